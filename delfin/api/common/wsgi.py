"""Request dispatch: from a matched route to a controller action and back.

A controller action is a method ``action(self, req, **path_params)``; when it
also declares a ``body`` parameter it receives the request's JSON document
(required unless the parameter has a default).  An action returns a dict or
list (serialised as JSON), ``None`` (empty body), or a ready
`webob.Response` (for non-JSON answers such as Prometheus metrics).  Its
success status is 200 unless the action is decorated with `response`.

Every failure leaves as Delfin's error body
``{"error_code", "error_msg", "error_args"}`` with the exception's HTTP code:
a `DelfinException` as itself, a `TypeError` as ``BadRequest`` (Delfin's
rule), anything else as a bare 500 ``DelfinException`` whose details only go
to the log.
"""
import dataclasses
import datetime
import decimal
import functools
import inspect
import json
import os

import webob
import webob.exc
from oslo_log import log as logging

from delfin import exception

LOG = logging.getLogger(__name__)

JSON_CONTENT_TYPE = 'application/json'
# The environ key of when the server received the request (a
# `time.monotonic` time), where it tells.
RECEIVED_AT = 'delfin.received_at'
# A request document nested deeper than this is refused: no schema of the
# API goes past a few levels, and validating a deep one costs recursion.
MAX_BODY_DEPTH = 32
REQUEST_ID_HEADER = 'x-compute-request-id'
# Every header naming the request: OpenStack's and Delfin's.
REQUEST_ID_HEADERS = ('x-openstack-request-id', REQUEST_ID_HEADER)
# Delfin's datetime format (naive UTC); rendered with isoformat, which
# gives the same text with a zero-padded year.
DATETIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'


class RequestBodyTooLarge(exception.Invalid):
    msg_fmt = "Request body is larger than {0} bytes."
    code = 413


@dataclasses.dataclass(frozen=True)
class Route:
    """One entry of the route table.

    ``path`` uses python-routes syntax (``/v1/storages/{id}``); ``controller``
    is a class or zero-argument factory, instantiated once per application;
    ``action`` names its method.  ``name`` must be unique in the table.
    """
    method: str
    path: str
    controller: object
    action: str
    name: str = None

    @property
    def route_name(self):
        return self.name or '%s %s' % (self.method, self.path)


def response(code):
    """Set the success status of a controller action."""
    def decorate(fn):
        fn.wsgi_code = code
        return fn
    return decorate


class Controller(object):
    """Base of the API controllers."""

    @staticmethod
    def context(req):
        return req.environ['delfin.context']


# Requests that only read: the methods an API server may run on its
# threads kept for reads.
READ_METHODS = frozenset(('GET', 'HEAD'))


def waits_on_backend(fn):
    """Marks an action that reads but may wait on a storage backend: the
    API server runs it with the requests that change things, never on a
    thread kept for reads (`delfin.api.server`)."""
    fn.wsgi_waits = True
    return fn


def reads_pages(fn):
    """Marks an action that reads a page of a collection that may be
    large (up to ``api_max_limit`` rows: volumes, alerts): the API server
    runs it on a lane of its own, so that the quick reads dashboards poll
    (a storage, the storage list) never queue behind such pages."""
    fn.wsgi_pages = True
    return fn


def new_request_id():
    """``req-`` and a random (version 4) UUID, as `uuid.uuid4` makes it
    but without building the object."""
    h = os.urandom(16).hex()
    return 'req-%s-%s-4%s-%s%s-%s' % (h[:8], h[8:12], h[13:16],
                                      _VARIANT[h[16]], h[17:20], h[20:])


# The variant bits of a random UUID (10xx) in its 17th digit.
_VARIANT = {d: '89ab'[int(d, 16) & 3] for d in '0123456789abcdef'}


def _json_default(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        return value.isoformat(timespec='microseconds')
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() \
            else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    raise TypeError('%s is not JSON serialisable' % type(value).__name__)


# The encoding of every body: json.dumps's defaults (ASCII output, ", "
# and ": " separators) with the types above.
_ENCODER = json.JSONEncoder(default=_json_default)


def dumps(data):
    """The JSON text of ``data`` as the API renders it."""
    return _ENCODER.encode(data)


class JSONText(str):
    """A body already rendered as `dumps` would render it; an action may
    return one instead of the data."""
    __slots__ = ()


def json_response(status, data=None, headers=None):
    if data is not None and status not in _NO_BODY:
        # The headers and the body's bytes as they are: webob's content
        # type and charset handling cost more than the rest of a polled
        # request.
        body = (data if isinstance(data, JSONText)
                else dumps(data)).encode('utf-8')
        resp = webob.Response(
            status=status, app_iter=[body], headerlist=[
                ('Content-Type', JSON_CONTENT_TYPE),
                ('Content-Length', str(len(body)))])
    else:
        resp = webob.Response(status=status, content_type=JSON_CONTENT_TYPE,
                              charset='UTF-8')
        resp.body = b''
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


# Statuses without a body.
_NO_BODY = frozenset([204, 205, 304])


def error_body(exc):
    """Delfin's error body for a `DelfinException`."""
    return {
        'error_code': exc.error_code,
        'error_msg': exc.msg,
        'error_args': [_plain(a) for a in exc.error_args],
    }


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def fault(exc):
    """The JSON error response of ``exc`` (any exception)."""
    if isinstance(exc, exception.DelfinException):
        delfin_exc = exc
    elif isinstance(exc, TypeError):
        delfin_exc = exception.BadRequest()
    elif isinstance(exc, webob.exc.HTTPException):
        return json_response(exc.code, {
            'error_code': type(exc).__name__,
            'error_msg': exc.explanation or exc.title,
            'error_args': []})
    else:
        delfin_exc = exception.DelfinException()
    code = delfin_exc.code if isinstance(delfin_exc.code, int) else 500
    return json_response(code, error_body(delfin_exc))


def _read_body(req, max_size):
    """The raw body, never more than ``max_size`` bytes."""
    length = _content_length(req.environ)
    if length is not None and length > max_size:
        raise RequestBodyTooLarge(max_size)
    if length is None and not _unsized_body(req.environ):
        # WSGI forbids reading an input of unknown size the server does
        # not terminate: without a length there is no body.
        return b''
    data = req.body_file_raw.read(
        length if length is not None else max_size + 1)
    if len(data) > max_size:
        raise RequestBodyTooLarge(max_size)
    return data


def _content_length(environ):
    """The request's ``Content-Length`` as webob reads it (None when
    absent or not a number), without its descriptor's cost on the many
    requests that have none."""
    value = environ.get('CONTENT_LENGTH')
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _unsized_body(environ):
    return bool(environ.get('wsgi.input_terminated')) or 'chunked' in \
        environ.get('HTTP_TRANSFER_ENCODING', '').lower()


def _is_json(req):
    return (req.content_type or '').strip().lower() == JSON_CONTENT_TYPE


def parse_body(req, max_size):
    """The request's JSON document, or ``None`` when it carries none.

    As in Delfin a body counts only when it is non-empty and sent as
    ``application/json``; a non-empty body of another type is reported as
    ``InvalidContentType`` when a document is required (see `invoke`).
    """
    environ = req.environ
    raw = _read_body(req, max_size)
    environ['delfin.raw_body_size'] = len(raw)
    if not raw.strip():
        return None
    if not _is_json(req):
        environ['delfin.foreign_body'] = True
        return None
    try:
        document = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise exception.MalformedRequestBody('cannot understand JSON')
    except RecursionError:
        raise _too_deep()
    if _depth_over(document, MAX_BODY_DEPTH):
        raise _too_deep()
    return document


def _too_deep():
    return exception.MalformedRequestBody(
        'the JSON document is nested more than %d levels deep'
        % MAX_BODY_DEPTH)


def _depth_over(document, limit):
    """Whether ``document`` nests lists or objects more than ``limit``
    levels deep (without recursion)."""
    level = [document]
    depth = 0
    while level:
        containers = [v for v in level if isinstance(v, (dict, list))]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = []
        for v in containers:
            level.extend(v.values() if isinstance(v, dict) else v)
    return False


def check_query(req):
    """Decode the query string now, so that one that is not UTF-8 is a
    400 rather than a failure wherever it is first read."""
    if not req.environ.get('QUERY_STRING'):
        return
    try:
        req.GET
    except UnicodeDecodeError:
        raise exception.InvalidInput('the query string is not valid UTF-8')


def _takes_body(method):
    """(takes a body, requires one) of a controller action."""
    return _body_signature(getattr(method, '__func__', method))


@functools.lru_cache(maxsize=None)
def _body_signature(function):
    # Actions are few and fixed: their signatures are read once.
    params = inspect.signature(function).parameters
    body = params.get('body')
    if body is None:
        return False, False
    return True, body.default is inspect.Parameter.empty


def invoke(controller, action, req, path_params, max_body_size):
    """Run one action and build its response (errors propagate)."""
    method = getattr(controller, action, None)
    if method is None:
        raise exception.NotFound()
    takes_body, body_required = _takes_body(method)
    check_query(req)
    body = parse_body(req, max_body_size)
    kwargs = dict(path_params)
    if takes_body:
        if body is None and body_required:
            if req.environ.get('delfin.foreign_body'):
                raise exception.InvalidContentType(req.content_type)
            raise exception.MalformedRequestBody(
                'a JSON document is required')
        if body is not None or body_required:
            kwargs['body'] = body
    elif body is not None:
        # An action that takes no document refuses one (Delfin: BadRequest).
        raise exception.BadRequest()
    result = method(req, **kwargs)
    if isinstance(result, webob.Response):
        return result
    return json_response(getattr(method, 'wsgi_code', 200), result)
