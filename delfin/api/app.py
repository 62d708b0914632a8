"""The API's WSGI application.

`make_app` assembles the pipeline: request id and last-resort error
handling, request context, then the router over the v1 route table
(`delfin.api.v1.router.ROUTES`).  Every path is absolute (``/v1/...``, and
``/metrics``), so nothing is mounted under a prefix.
"""
# Before anything imports oslo.messaging: native threads, never eventlet.
from delfin import rpc  # noqa: F401
from delfin.api import middleware  # noqa: E402
from delfin.api.common import routing  # noqa: E402


def make_app(route_table=None, max_body_size=None):
    """The WSGI application serving ``route_table`` (default: the v1 table).

    ``max_body_size`` overrides ``[DEFAULT] api_max_body_size``.  Its
    ``waits(method, path)`` tells the server which requests may wait on a
    backend (`delfin.api.common.routing.Router.waits`), its ``pages(method,
    path)`` which read pages of a large collection
    (`delfin.api.common.routing.Router.pages`).
    """
    if route_table is None:
        from delfin.api.v1 import router
        route_table = router.ROUTES
    router = routing.Router(route_table, max_body_size=max_body_size)
    app = middleware.RequestId(middleware.Context(router))
    # What the server asks to put a request on its thread lane.
    app.waits = router.waits
    app.pages = router.pages
    return app
