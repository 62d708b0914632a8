"""Importable configuration entry point kept at Delfin's module path.

Drivers' own tests import ``delfin.common.config`` to get every option
registered; it also offers the global ``CONF``.
"""
from oslo_config import cfg

import delfin.conf  # noqa: F401  (registers every option)

CONF = cfg.CONF
