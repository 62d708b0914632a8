"""WSGI middleware of the API pipeline.

`RequestId` is the outermost layer: it names every request
(``x-compute-request-id: req-<uuid>``, on successes and errors alike) and
turns anything that escapes the layers below into a JSON 500.  `Context`
attaches the `delfin.context.RequestContext` of the request, which carries no
identity: like Delfin's v1, the API has no authentication of its own.
"""
from oslo_log import log as logging

from delfin import context as delfin_context
from delfin.api.common import wsgi

LOG = logging.getLogger(__name__)


class RequestId(object):
    """Names the request and guarantees a JSON answer."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = wsgi.new_request_id()
        environ['delfin.request_id'] = request_id

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers
                       if k.lower() != wsgi.REQUEST_ID_HEADER]
            headers.append((wsgi.REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        except Exception as exc:  # noqa: BLE001  last line of defence
            LOG.exception("Request %s failed", request_id)
            return wsgi.fault(exc)(environ, start)


class Context(object):
    """Puts a fresh request context in ``environ['delfin.context']``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ['delfin.context'] = delfin_context.RequestContext(
            request_id=environ.get('delfin.request_id'),
            remote_address=environ.get('REMOTE_ADDR'),
            overwrite=False)
        return self.app(environ, start_response)
