"""The route table of the REST API.

`ROUTES` lists every endpoint as a `delfin.api.common.wsgi.Route`
(method, path, controller, action, unique name).  The inventory routes are
generated from the resource registry; the others are written out here so
the table reads as the API's map.  Other parts of the service add their
endpoints by appending entries to this table.
"""
from delfin.api.common import wsgi
from delfin.api.v1 import extensions
from delfin.api.v1 import resources

Route = wsgi.Route

ROUTES = []
ROUTES += resources.routes()
ROUTES += extensions.ROUTES
