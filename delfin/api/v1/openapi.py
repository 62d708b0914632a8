"""``GET /v1/openapi.json``: the API's own OpenAPI 3.1 description.

Generated once per process from the route table the router serves (see
`delfin.api.openapi`), so it always describes the endpoints, filters,
fields and request schemas that are actually served.
"""
import threading

from delfin.api.common import wsgi
from delfin.api import openapi

_lock = threading.Lock()
_document = None


def document():
    """The document of the v1 route table (built on first use)."""
    global _document
    if _document is None:
        with _lock:
            if _document is None:
                from delfin.api.v1 import router
                _document = wsgi.JSONText(wsgi.dumps(
                    openapi.document(router.ROUTES)))
    return _document


class OpenApiController(wsgi.Controller):

    @openapi.describe(response={'type': 'object',
                                'required': ['openapi', 'paths']})
    def show(self, req):
        """This description of the API."""
        return document()


ROUTES = [
    wsgi.Route('GET', '/v1/openapi.json', OpenApiController, 'show',
               name='openapi'),
]
