"""API extensions: Delfin's discovery endpoint, which lists none."""
from delfin import exception
from delfin.api.common import wsgi
from delfin.api import openapi


class ExtensionsController(wsgi.Controller):
    """``/v1/extensions``: no extension ships, so the list is empty."""

    @openapi.describe(response=openapi.collection(
        'extensions', {'type': 'object'}, total=False))
    def index(self, req):
        return {'extensions': []}

    def show(self, req, alias):
        raise exception.NotFound()


ROUTES = [
    wsgi.Route('GET', '/v1/extensions', ExtensionsController, 'index',
               name='extension_index'),
    wsgi.Route('GET', '/v1/extensions/{alias}', ExtensionsController, 'show',
               name='extension_show'),
]
