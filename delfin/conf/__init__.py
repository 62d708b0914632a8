"""Configuration options of the service, one module per option group.

Importing this package registers every option on ``oslo_config.cfg.CONF``.
``delfin.conf.opts.list_opts`` feeds ``oslo-config-generator`` (the sample
configuration in etc/delfin/ is generated from it).
"""
from oslo_config import cfg

from delfin.conf import alerts
from delfin.conf import api
from delfin.conf import coordination
from delfin.conf import database
from delfin.conf import delfin_compat
from delfin.conf import default
from delfin.conf import fake_driver
from delfin.conf import security
from delfin.conf import storage_driver
from delfin.conf import sync
from delfin.conf import telemetry

CONF = cfg.CONF

_MODULES = (default, api, database, sync, alerts, coordination, security,
            storage_driver, fake_driver, telemetry, delfin_compat)

for _module in _MODULES:
    _module.register_opts(CONF)
