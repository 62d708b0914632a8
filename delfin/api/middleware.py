"""WSGI middleware of the API pipeline.

`RequestId` is the outermost layer: it names every request and turns
anything that escapes the layers below into a JSON 500.  The id is the
client's own when it sends one in ``X-OpenStack-Request-ID`` in the form
OpenStack services use (``req-<uuid>``), as they keep it; otherwise a new
``req-<uuid>``.  It is returned in ``x-openstack-request-id`` and, as
Delfin does, ``x-compute-request-id``, on successes and errors alike.

`Context` attaches the `delfin.context.RequestContext` of the request, which
carries no identity (like Delfin's v1, the API has no authentication of its
own), and makes it the current context of the thread serving the request,
so that every log line written for the request carries its id.
"""
import re

from oslo_log import log as logging

from delfin import context as delfin_context
from delfin.api.common import wsgi

LOG = logging.getLogger(__name__)


class RequestId(object):
    """Names the request and guarantees a JSON answer."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = client_request_id(environ) or wsgi.new_request_id()
        environ['delfin.request_id'] = request_id

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers
                       if k.lower() not in wsgi.REQUEST_ID_HEADERS]
            headers += [(h, request_id) for h in wsgi.REQUEST_ID_HEADERS]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        except Exception as exc:  # noqa: BLE001  last line of defence
            LOG.exception("Request %s failed", request_id)
            return wsgi.fault(exc)(environ, start)


# An id a client may name its request with: OpenStack's form only, so
# nothing else reaches the logs through it.
_CLIENT_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}\Z')


def client_request_id(environ):
    """The request id the client sent, when it has the accepted form."""
    value = environ.get('HTTP_X_OPENSTACK_REQUEST_ID', '').strip().lower()
    return value if _CLIENT_ID.match(value) else None


class Context(object):
    """Puts a fresh request context in ``environ['delfin.context']``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        context = delfin_context.RequestContext(
            request_id=environ.get('delfin.request_id'),
            remote_address=environ.get('REMOTE_ADDR'),
            overwrite=False)
        environ['delfin.context'] = context
        # The thread's current context until its next request: the one
        # log lines without a context of their own show.
        context.update_store()
        return self.app(environ, start_response)
