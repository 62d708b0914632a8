"""The router: a WSGI application that maps a route table onto controllers.

It is built from a list of `delfin.api.common.wsgi.Route`; each distinct
controller factory is instantiated once.  A request matching no route, or a
known path with another method, answers Delfin's JSON 404 ``NotFound``.
"""
import functools

import routes
import webob
from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.common import outage
from delfin.api.common import wsgi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class Router(object):
    """Dispatches requests to controller actions according to a table."""

    def __init__(self, route_table, max_body_size=None):
        self._max_body_size = max_body_size
        self._mapper = routes.Mapper()
        self._controllers = {}
        names = set()
        for route in route_table:
            name = route.route_name
            if name in names:
                raise ValueError('duplicate route name %r' % name)
            names.add(name)
            key = 'controller-%d' % id(route.controller)
            if key not in self._controllers:
                self._controllers[key] = route.controller()
            controller = self._controllers[key]
            if not callable(getattr(controller, route.action, None)):
                raise ValueError('%s has no action %r'
                                 % (type(controller).__name__, route.action))
            self._mapper.connect(name, route.path, controller=key,
                                 action=route.action,
                                 conditions={'method': [route.method]})
        # Matching tries the table's patterns one by one; dashboards ask
        # the same paths again and again, so recent answers are kept.
        self._match = functools.lru_cache(maxsize=4096)(self._match_path)

    def waits(self, method, path):
        """Whether a request (method, decoded path) may wait on something
        else than the database: it changes things (which may call a
        backend or the broker), or its action is marked
        `wsgi.waits_on_backend`."""
        if method not in wsgi.READ_METHODS:
            return True
        return self._marked(method, path, 'wsgi_waits')

    def pages(self, method, path):
        """Whether a read (method, decoded path) is of an action marked
        `wsgi.reads_pages`: a page of a collection that may be large."""
        if method not in wsgi.READ_METHODS:
            return False
        return self._marked(method, path, 'wsgi_pages')

    def _marked(self, method, path, mark):
        """Whether the action of a request has the attribute ``mark``."""
        match = self._match(method, path)
        if match is None:
            return False
        action = getattr(self._controllers[match[0]], match[1], None)
        return getattr(action, mark, False)

    def _match_path(self, method, path):
        """(controller key, action, path parameters) or None."""
        match = self._mapper.routematch(environ={
            'REQUEST_METHOD': method, 'PATH_INFO': path})
        if match is None:
            return None
        params = dict(match[0])
        return params.pop('controller'), params.pop('action'), params

    @property
    def max_body_size(self):
        if self._max_body_size is not None:
            return self._max_body_size
        return CONF.api_max_body_size

    def __call__(self, environ, start_response):
        return self.handle(environ)(environ, start_response)

    def handle(self, environ):
        """The `webob.Response` to the request of ``environ``."""
        req = webob.Request(environ)
        resp = self._respond(req, environ)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("%s %s %s", environ.get('REQUEST_METHOD'),
                      _raw_path(environ), resp.status_int)
        return resp

    def _respond(self, req, environ):
        try:
            match = self._match(environ['REQUEST_METHOD'],
                                _path(environ))
            if match is None:
                raise exception.NotFound()
            key, action, params = match
            resp = wsgi.invoke(self._controllers[key], action, req,
                               dict(params), self.max_body_size)
        except Exception as exc:  # noqa: BLE001  every error has a body
            return _failure(req, environ, exc)
        if _database.down:
            _database.ok()
        return resp


def _database_away(exc):
    import sqlalchemy as sa
    from delfin.db import engine
    return isinstance(exc, sa.exc.DBAPIError) and engine.unavailable(exc)


# Requests refused while the database is away are logged once per outage.
_database = outage.Outage('database', 'API')


def _raw_path(environ):
    """The path and query as received (undecoded), for the log."""
    query = environ.get('QUERY_STRING')
    return environ.get('PATH_INFO', '') + ('?' + query if query else '')


def _path(environ):
    """The request's path as text (WSGI gives its bytes as latin-1).

    :raises InvalidInput: the path is not UTF-8: it names nothing (a 400,
        not a failure of the route matching).
    """
    try:
        return environ.get('PATH_INFO', '').encode('latin-1').decode(
            'utf-8')
    except UnicodeError:
        raise exception.InvalidInput('the path is not valid UTF-8')


def _failure(req, environ, exc):
    path = environ.get('PATH_INFO', '')
    if _database_away(exc):
        _database.failed('%s %s refused: %s' % (
            req.method, path, type(exc.orig).__name__))
        exc = exception.ServiceUnavailable('database')
    if isinstance(exc, exception.ServiceUnavailable):
        resp = wsgi.fault(exc)
        resp.headers['Retry-After'] = str(exc.retry_after)
        return resp
    if isinstance(exc, exception.DelfinException):
        if exc.code >= 500:
            LOG.error("%s %s failed: %s", req.method, path, exc.error_code)
    elif not isinstance(exc, TypeError):
        LOG.exception("Unexpected error serving %s %s", req.method, path)
    return wsgi.fault(exc)
