"""The route table of the REST API.

`ROUTES` lists every endpoint as a `delfin.api.common.wsgi.Route`
(method, path, controller, action, unique name); the endpoints of each area
are declared beside its controller and gathered here, and the inventory
routes are generated from the resource registry.  Another part of the
service adds its endpoints by appending its own list to this table.

Paths are those of Delfin's v1 API; sync jobs are additions.
"""
from delfin.api.common import wsgi
from delfin.api.v1 import access_info
from delfin.api.v1 import alerts
from delfin.api.v1 import extensions
from delfin.api.v1 import health
from delfin.api.v1 import jobs
from delfin.api.v1 import metrics
from delfin.api.v1 import openapi
from delfin.api.v1 import performance
from delfin.api.v1 import resources
from delfin.api.v1 import snmp_config
from delfin.api.v1 import storages

Route = wsgi.Route

ROUTES = []
ROUTES += storages.ROUTES
ROUTES += access_info.ROUTES
ROUTES += jobs.ROUTES
ROUTES += resources.routes()
ROUTES += extensions.ROUTES
ROUTES += snmp_config.ROUTES
ROUTES += alerts.ROUTES
ROUTES += metrics.ROUTES
ROUTES += health.ROUTES
ROUTES += openapi.ROUTES
ROUTES += performance.ROUTES
