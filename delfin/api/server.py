"""The HTTP server of the API: granian, embedded in the service process.

Connections are accepted, read and written by granian's Rust runtime, so a
thousand idle or slow clients cost memory and no Python time; only complete
requests reach Python.  Once a request has started, its headers must
arrive within ``api_client_timeout`` seconds and its body within as many
seconds more, or the connection is closed (408 for a late body); an idle
keep-alive connection is closed after as long.  granian leaves open a
connection that never sends a byte.

The WSGI application runs on three lanes of threads; the server thread only
passes requests and answers between granian and them.  Reads (GET and
HEAD) run on ``api_threads`` threads (`read_threads`): they are Python
work on the database, bound to one core by the interpreter lock, so few
threads serve them fastest (more only make them contend for that lock: the
SQLite driver gives it up at every row); only the network waits of a
server database are worth a second one.  Requests that may wait on
something else (a storage backend, the message broker): those that change
things, and the reads an application marks so (its ``waits(method,
path)``), run on ``api_backend_threads`` threads of their own, so that a
slow backend never holds up the reads.  Reads of pages of large
collections (the application's ``pages(method, path)``: up to a thousand
volumes or alerts, milliseconds of Python each) run on
``api_page_threads`` threads of their own too: the quick reads dashboards
poll then take turns with them for the interpreter lock instead of
queueing behind them.

Several processes serve one port when ``delfin_workers`` is above 1: each
binds it with ``SO_REUSEPORT`` (granian does that on Linux) and the kernel
spreads new connections over them (see `delfin.cmd.api`).
"""
import asyncio
import concurrent.futures
import io
import os
import socket
import sys
import threading
import time

from oslo_log import log as logging

from delfin.api.common import wsgi as api_wsgi

LOG = logging.getLogger(__name__)

# Answer of a request whose body did not arrive in time.
_TIMEOUT_BODY = (b'{"error_code": "RequestTimeout", "error_msg": "The '
                 b'request body did not arrive in time.", "error_args": []}')
# Answer of a request whose body is larger than the server reads.
_TOO_LARGE_BODY = (b'{"error_code": "RequestBodyTooLarge", "error_msg": '
                   b'"Request body is larger than %d bytes.", '
                   b'"error_args": [%d]}')


class _BodyTooLarge(Exception):
    pass


def _header_key(name):
    name = name.upper().replace('-', '_')
    if name in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        return name
    return 'HTTP_' + name


class _StartResponse(object):
    """The ``start_response`` of one request."""

    __slots__ = ('status', 'headers')

    def __init__(self):
        self.status = None
        self.headers = None

    def __call__(self, status, headers, exc_info=None):
        if exc_info is not None and self.status is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = status
        self.headers = headers
        return self._write

    @staticmethod
    def _write(data):
        raise NotImplementedError('write() is not supported; return the '
                                  'body instead')


class WSGIBridge(object):
    """Serves a WSGI application to granian's RSGI interface.

    granian reads each request whole (bounded by the client timeout) and
    awaits its answer; the application runs on a thread of the pool and
    its body is sent in one piece (the API's bodies are built in memory).
    """

    def __init__(self, app, threads, client_timeout, server_name='delfin',
                 server_port=0, max_body_size=None, backend_threads=None,
                 page_threads=None):
        self.app = app
        self.client_timeout = client_timeout
        # Bodies are read into memory before the application runs: one
        # larger than this is refused without being read.
        self.max_body_size = max_body_size
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix='delfin-api')
        # The lane of requests that may wait on a backend (none: one lane).
        self.backend_pool = self.pool if not backend_threads else \
            concurrent.futures.ThreadPoolExecutor(
                max_workers=backend_threads,
                thread_name_prefix='delfin-api-backend')
        waits = getattr(app, 'waits', None)
        self._waits = waits if callable(waits) else self._changes
        # The lane of the reads of pages of large collections (none: they
        # run with the other reads).
        pages = getattr(app, 'pages', None)
        self._pages = pages if callable(pages) else None
        self.page_pool = self.pool
        if page_threads and self._pages is not None:
            self.page_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=page_threads,
                thread_name_prefix='delfin-api-pages')
        # What every request's environ starts from, built once.
        self._base = {
            'SCRIPT_NAME': '',
            'SERVER_NAME': server_name,
            'SERVER_PORT': str(server_port),
            'wsgi.version': (1, 0),
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': True,
            'wsgi.run_once': False,
        }

    @staticmethod
    def _changes(method, path):
        return method not in api_wsgi.READ_METHODS

    def lane(self, method, path):
        """The pool that runs a request."""
        try:
            if self.backend_pool is not self.pool and \
                    self._waits(method, path):
                return self.backend_pool
            if self.page_pool is not self.pool and \
                    self._pages(method, path):
                return self.page_pool
        except Exception:  # noqa: BLE001  the application answers it
            return self.backend_pool
        return self.pool

    def environ(self, scope, body):
        environ = self._base.copy()
        environ['REQUEST_METHOD'] = scope.method
        # granian gives the percent-decoded path as text; WSGI wants its
        # bytes as a latin-1 string.
        environ['PATH_INFO'] = scope.path.encode(
            'utf-8', 'surrogateescape').decode('latin-1')
        environ['QUERY_STRING'] = scope.query_string
        environ['SERVER_PROTOCOL'] = 'HTTP/%s' % scope.http_version
        environ['wsgi.url_scheme'] = scope.scheme
        environ['wsgi.input'] = io.BytesIO(body)
        client = scope.client
        if client:
            host, _sep, port = client.rpartition(':')
            host = host.strip('[]') if _sep else client
            # An IPv4 client of the dual-stack socket, as itself.
            if host.startswith('::ffff:') and '.' in host:
                host = host[7:]
            environ['REMOTE_ADDR'] = host
            environ['REMOTE_PORT'] = port if _sep else ''
        for name, value in scope.headers.items():
            key = _header_key(name)
            if key in environ and key.startswith('HTTP_'):
                environ[key] += ',' + value
            else:
                environ[key] = value
        if body or 'CONTENT_LENGTH' in environ:
            environ['CONTENT_LENGTH'] = str(len(body))
        # The body is read whole before the application runs.
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        return environ

    def call(self, scope, body, received_at=None):
        """(status code, headers, body) of the application's answer."""
        start = _StartResponse()
        environ = self.environ(scope, body)
        if received_at is not None:
            environ[api_wsgi.RECEIVED_AT] = received_at
        result = self.app(environ, start)
        try:
            data = b''.join(result)
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                close()
        return int(start.status[:3]), start.headers, data

    async def _read_body(self, scope, protocol):
        limit = self.max_body_size
        if limit is None:
            return await protocol()
        length = scope.headers.get('content-length')
        if length is not None and length.strip().isdigit() and \
                int(length) > limit:
            raise _BodyTooLarge()
        chunks, size = [], 0
        async for chunk in protocol:
            size += len(chunk)
            if size > limit:
                raise _BodyTooLarge()
            chunks.append(chunk)
        return b''.join(chunks)

    async def __rsgi__(self, scope, protocol):
        if scope.proto != 'http':
            return
        received_at = time.monotonic()
        try:
            body = await asyncio.wait_for(self._read_body(scope, protocol),
                                          self.client_timeout)
        except asyncio.TimeoutError:
            protocol.response_bytes(408, [
                ('content-type', 'application/json'),
                ('connection', 'close')], _TIMEOUT_BODY)
            return
        except _BodyTooLarge:
            protocol.response_bytes(413, [
                ('content-type', 'application/json'),
                ('connection', 'close')], _TOO_LARGE_BODY % (
                    self.max_body_size, self.max_body_size))
            return
        loop = asyncio.get_running_loop()
        status, headers, data = await loop.run_in_executor(
            self.lane(scope.method, scope.path), self.call, scope, body,
            received_at)
        protocol.response_bytes(status, headers, data)

    def close(self, timeout=None):
        """Let the requests in progress finish (at most ``timeout``)."""
        done = threading.Event()

        def wait():
            self.pool.shutdown(wait=True)
            self.backend_pool.shutdown(wait=True)
            self.page_pool.shutdown(wait=True)
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)


def read_threads():
    """The threads of an API process for reads: ``api_threads``, or when
    it is 0, 1 on SQLite and 2 on a server database."""
    from oslo_config import cfg
    conf = cfg.CONF
    if conf.api_threads:
        return conf.api_threads
    from delfin.db import engine as db_engine
    try:
        backend = db_engine.database_url(
            conf.database.connection).get_backend_name()
    except Exception:  # noqa: BLE001  the engine reports a bad URL itself
        backend = 'sqlite'
    return 1 if backend == 'sqlite' else 2


def _os_threads():
    """How many threads the process has, Python's or not."""
    try:
        return len(os.listdir('/proc/self/task'))
    except OSError:
        return threading.active_count()


def free_port(host):
    """A port of ``host`` nobody listens on now."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _probe_address(host):
    # '::' accepts IPv4 too (granian's sockets are dual-stack).
    if host in ('::', '0.0.0.0', ''):
        return '127.0.0.1'
    return host


class EmbeddedServer(object):
    """granian serving ``app`` on ``host:port`` from a thread of this
    process; `start` returns once it accepts connections."""

    def __init__(self, app, host, port, threads=2, client_timeout=30,
                 backlog=1024, max_body_size=None, start_timeout=15,
                 backend_threads=8, page_threads=None):
        from granian.constants import Interfaces
        from granian.http import HTTP1Settings
        from granian.server.embed import Server
        self.host = host.strip('[]')
        self.port = port or free_port(self.host)
        self.bridge = WSGIBridge(app, threads, client_timeout,
                                 server_port=self.port,
                                 max_body_size=max_body_size,
                                 backend_threads=backend_threads,
                                 page_threads=page_threads)
        self.start_timeout = start_timeout
        self._server = Server(
            self.bridge, address=self.host, port=self.port,
            interface=Interfaces.RSGI, backlog=backlog, websockets=False,
            log_enabled=False,
            http1_settings=HTTP1Settings(
                header_read_timeout=int(client_timeout * 1000)))
        self._thread = None
        self._loop = None
        self._failure = None

    def start(self):
        self._threads_before = _os_threads()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='delfin-api-server')
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        probe = (_probe_address(self.host), self.port)
        while True:
            if not self._thread.is_alive():
                raise RuntimeError('the API server did not start: %s'
                                   % (self._failure or 'it exited'))
            try:
                socket.create_connection(probe, timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop(1)
                    raise RuntimeError('the API server is not accepting '
                                       'connections on %s port %s'
                                       % (self.host, self.port))
                time.sleep(0.02)

    def _run(self):
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve())
        except BaseException as e:  # noqa: BLE001  reported by start/alive
            self._failure = e
            LOG.exception("The API server failed")
        finally:
            loop.close()

    def stop(self, timeout=None):
        """Stop accepting, let requests in progress finish, return."""
        if self._thread is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._server.stop)
            except RuntimeError:
                pass  # the loop ended meanwhile
        self._thread.join(timeout)
        self.bridge.close(timeout)
        self._thread = None
        # granian's own (Rust) threads end a moment after its server
        # returns; one still running when the interpreter finalizes aborts
        # the process.  Wait for them, briefly.
        self._server = None
        deadline = time.monotonic() + min(timeout or 2.0, 2.0)
        while _os_threads() > self._threads_before and \
                time.monotonic() < deadline:
            time.sleep(0.01)

    def alive(self):
        return self._thread is not None and self._thread.is_alive()


def check_port(host, port):
    """Raise OSError when ``port`` of ``host`` is taken by a socket that
    does not share it (another program); other API processes of this
    service share it (``SO_REUSEPORT``)."""
    host = host.strip('[]')
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, port))
