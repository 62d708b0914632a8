"""The API behind the production HTTP server (granian), over real HTTP."""
import concurrent.futures
import http.client
import json
import logging
import resource
import socket
import threading
import time
import uuid

import pytest
from oslo_context import context as oslo_context

# Seconds a client has to send a request in the server of these tests.
CLIENT_TIMEOUT = 1.0


@pytest.fixture(scope='module')
def server(sqlite_engine):
    from delfin import service
    from delfin.api import app as api_app
    api = service.ApiServer(app=api_app.make_app(max_body_size=2048),
                            host='127.0.0.1', port=0, threads=2,
                            client_timeout=CLIENT_TIMEOUT)
    api.start()
    try:
        yield api.addresses[0]
    finally:
        api.stop(5)


def _request(address, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        headers = headers or {}
        conn.request(method, path, body=body, headers=headers,
                     encode_chunked='Transfer-Encoding' in headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp, json.loads(data) if data else None
    finally:
        conn.close()


def test_list_over_http(server):
    resp, body = _request(server, 'GET', '/v1/storages')
    assert resp.status == 200
    assert body == {'storages': [], 'total': 0}
    assert resp.getheader('x-compute-request-id').startswith('req-')
    assert resp.getheader('Content-Type').startswith('application/json')


def test_every_answer_shows_what_was_committed_before_its_request(server):
    """Polls answered from what the server keeps between changes never
    miss a change committed before they were sent, under load too."""
    from delfin.db import api as db
    from delfin.tests.functional.api.conftest import make_storage
    storage = make_storage(name='polled', total_capacity=0)
    path = '/v1/storages/%s' % storage['id']
    stop = threading.Event()

    def poll():     # other clients keep the server busy meanwhile
        conn = http.client.HTTPConnection(*server, timeout=10)
        while not stop.is_set():
            conn.request('GET', '/v1/storages')
            conn.getresponse().read()
        conn.close()

    pollers = [threading.Thread(target=poll) for _ in range(4)]
    for t in pollers:
        t.start()
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        for value in range(1, 60):
            db.update('storage', storage['id'], {'total_capacity': value})
            conn.request('GET', path)
            shown = json.loads(conn.getresponse().read())
            conn.request('GET', '/v1/storages')
            listed = json.loads(conn.getresponse().read())
            assert shown['total_capacity'] == value
            assert [s['total_capacity'] for s in listed['storages']
                    if s['id'] == storage['id']] == [value]
    finally:
        stop.set()
        for t in pollers:
            t.join()
        conn.close()
        db.update('storage', storage['id'], {'deleted': True})


def test_unknown_path_over_http(server):
    resp, body = _request(server, 'GET', '/nowhere')
    assert resp.status == 404
    assert body['error_code'] == 'NotFound'
    assert resp.getheader('x-compute-request-id').startswith('req-')


def test_large_body_is_refused(server):
    doc = json.dumps({'vendor': 'v', 'model': 'm',
                      'extra_attributes': {'k': 'x' * 4000}})
    resp, body = _request(server, 'POST', '/v1/storages', doc,
                          {'Content-Type': 'application/json'})
    assert resp.status == 413
    assert body['error_code'] == 'RequestBodyTooLarge'


def test_large_chunked_body_is_refused(server):
    def chunks():
        for _ in range(10):
            yield b'x' * 1000

    resp, body = _request(server, 'POST', '/v1/storages', chunks(),
                          {'Content-Type': 'application/json',
                           'Transfer-Encoding': 'chunked'})
    assert resp.status == 413
    assert body['error_code'] == 'RequestBodyTooLarge'


def test_chunked_body_is_read(server):
    def chunks():
        yield b'{"vendor": "fake_storage", '
        yield b'"model": "fake_driver"}'

    resp, body = _request(server, 'POST', '/v1/storages', chunks(),
                          {'Content-Type': 'application/json',
                           'Transfer-Encoding': 'chunked'})
    assert resp.status == 400
    # The document arrived whole: validation, not a missing body.
    assert body['error_code'] == 'InvalidInput'


class _ContextRecorder(logging.Handler):
    """Records the request id of the context current when each request's
    log line is written, as oslo.log's formatter reads it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.ids = []

    def emit(self, record):
        if record.getMessage().startswith('GET /v1/extensions'):
            current = oslo_context.get_current()
            self.ids.append(current.request_id if current else None)


def test_every_request_has_its_own_request_id(server):
    recorder = _ContextRecorder()
    logger = logging.getLogger('delfin.api.common.routing')
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(recorder)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda _: _request(server, 'GET', '/v1/extensions')[0],
                range(400)))
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
    ids = [r.getheader('x-openstack-request-id') for r in answers]
    assert all(i.startswith('req-') for i in ids)
    assert len(set(ids)) == 400
    assert [r.getheader('x-compute-request-id') for r in answers] == ids
    # Each request's log line carries that request's id.
    assert sorted(recorder.ids) == sorted(ids)


def test_a_request_id_sent_by_the_client_is_kept(server):
    mine = 'req-%s' % uuid.uuid4()
    resp, _body = _request(server, 'GET', '/v1/storages',
                           headers={'X-OpenStack-Request-ID': mine})
    assert resp.getheader('x-openstack-request-id') == mine
    assert resp.getheader('x-compute-request-id') == mine
    resp, _body = _request(server, 'GET', '/v1/nowhere',
                           headers={'X-OpenStack-Request-ID': mine})
    assert resp.status == 404
    assert resp.getheader('x-openstack-request-id') == mine
    # Anything else is not an id: a new one is made.
    for other in ('hello', 'req-1 forged', mine + 'x', mine.upper() + '0'):
        resp, _body = _request(server, 'GET', '/v1/storages',
                               headers={'X-OpenStack-Request-ID': other})
        got = resp.getheader('x-openstack-request-id')
        assert got.startswith('req-') and got not in (other, mine)


def _allow_open_files(count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        if hard != resource.RLIM_INFINITY and hard < count:
            pytest.fail('this test needs %d open files; the limit is %d'
                        % (count, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def test_idle_connections_do_not_lock_out_a_new_client(server):
    # A thousand connections that never send a byte (health checks, slow
    # clients), far more than the request threads.  Both ends are in this
    # process.
    _allow_open_files(4096)
    idle = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(server, timeout=5))
        resp, body = _request(server, 'GET', '/v1/storages')
        assert resp.status == 200
        assert body['total'] == 0
    finally:
        for sock in idle:
            sock.close()


def _closed_within(sock, seconds):
    """Whether the server closes ``sock`` within ``seconds`` (whatever
    it sends first), and what it sent."""
    sock.settimeout(seconds)
    data = b''
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True, data
            data += chunk
    except socket.timeout:
        return False, data
    except ConnectionResetError:
        return True, data


def test_a_client_slow_to_send_its_headers_is_disconnected(server):
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b'GET /v1/storages HTTP/1.1\r\nHost: x\r\n')
        closed, _data = _closed_within(sock, CLIENT_TIMEOUT + 5)
        assert closed


def test_a_client_slow_to_send_its_body_gets_a_408(server):
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b'POST /v1/storages HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Type: application/json\r\n'
                     b'Content-Length: 100\r\n\r\n{"vendor": ')
        started = time.monotonic()
        closed, data = _closed_within(sock, CLIENT_TIMEOUT + 5)
        assert data.startswith(b'HTTP/1.1 408'), data
        assert b'RequestTimeout' in data
        assert time.monotonic() - started >= CLIENT_TIMEOUT * 0.9


def test_a_kept_alive_connection_serves_several_requests(server):
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        for _ in range(3):
            conn.request('GET', '/v1/storages')
            resp = conn.getresponse()
            assert resp.status == 200
            assert json.loads(resp.read())['total'] == 0
    finally:
        conn.close()


def test_a_body_larger_than_the_limit_is_refused_unread(server):
    # Announced at 100 MB, not sent: refused at once, not awaited.
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b'POST /v1/storages HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Type: application/json\r\n'
                     b'Content-Length: 100000000\r\n\r\n{')
        _closed, data = _closed_within(sock, CLIENT_TIMEOUT * 0.8)
        assert data.startswith(b'HTTP/1.1 413'), data
        assert b'RequestBodyTooLarge' in data


def test_a_chunked_body_past_the_server_limit_is_refused(server):
    def chunks():
        for _ in range(40):
            yield b'x' * 32768   # 1.25 MiB in all, over api_max_body_size

    resp, body = _request(server, 'POST', '/v1/storages', chunks(),
                          {'Content-Type': 'application/json',
                           'Transfer-Encoding': 'chunked'})
    assert resp.status == 413
    assert body['error_code'] == 'RequestBodyTooLarge'


def test_a_path_with_non_ascii_characters_is_understood(server):
    resp, body = _request(server, 'GET', '/v1/storages/%C3%A9t%C3%A9')
    assert resp.status == 404
    assert body['error_code'] == 'StorageNotFound'
    assert body['error_args'] == ['\u00e9t\u00e9']


def test_an_idle_kept_alive_connection_is_closed_after_the_timeout(server):
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b'GET /v1/storages HTTP/1.1\r\nHost: x\r\n\r\n')
        first = sock.recv(65536)
        assert first.startswith(b'HTTP/1.1 200')
        closed, _data = _closed_within(sock, CLIENT_TIMEOUT + 5)
        assert closed


def _lane_app(release):
    def app(environ, start_response):
        if app.waits(environ['REQUEST_METHOD'], environ['PATH_INFO']):
            release.wait(10)
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{}']
    # What the API's application tells the server (`Router.waits`).
    app.waits = lambda method, path: method != 'GET' or path == '/backend'
    return app


def _busy_server(backend_threads):
    """A server of `_lane_app` with two read threads, and four requests
    waiting on a "backend" (three POSTs and a GET marked so)."""
    from delfin.api import server as api_server
    release = threading.Event()
    srv = api_server.EmbeddedServer(
        _lane_app(release), '127.0.0.1', 0, threads=2,
        backend_threads=backend_threads)
    srv.start()
    pool = concurrent.futures.ThreadPoolExecutor(4)
    address = ('127.0.0.1', srv.port)
    waiting = [pool.submit(_request, address, 'POST', '/things', b'{}')
               for _ in range(3)]
    waiting.append(pool.submit(_request, address, 'GET', '/backend'))
    time.sleep(0.3)
    return srv, address, release, pool, waiting


def _answered_at_once(address, path):
    """Five reads of ``path`` in a row, each answered within a second."""
    for _ in range(5):
        started = time.monotonic()
        resp, _body = _request(address, 'GET', path)
        assert resp.status == 200
        assert time.monotonic() - started < 1.0


def _not_answered(address, path):
    """A read of ``path`` gets no answer within half a second."""
    conn = http.client.HTTPConnection(*address, timeout=0.5)
    conn.request('GET', path)
    with pytest.raises(socket.timeout):
        conn.getresponse()
    conn.close()


def _finish(srv, release, pool, waiting):
    """Let the held requests go (each is answered 200), stop the
    server."""
    release.set()
    assert [f.result(10)[0].status for f in waiting] == \
        [200] * len(waiting)
    pool.shutdown()
    srv.stop(5)


def test_requests_waiting_on_a_backend_never_hold_up_reads():
    srv, address, release, pool, waiting = _busy_server(backend_threads=8)
    try:
        _answered_at_once(address, '/v1/storages')
        assert not any(f.done() for f in waiting)
    finally:
        _finish(srv, release, pool, waiting)


def test_with_one_lane_a_slow_backend_holds_up_the_reads():
    # The contrast: the same load on one lane of two threads.
    srv, address, release, pool, waiting = _busy_server(backend_threads=None)
    try:
        _not_answered(address, '/v1/storages')
    finally:
        _finish(srv, release, pool, waiting)


def _pages_server(page_threads):
    """A server with one read thread whose page lane (if any) is busy
    with a slow page of a large collection."""
    from delfin.api import server as api_server
    release = threading.Event()

    def app(environ, start_response):
        if environ['PATH_INFO'] == '/v1/volumes':
            release.wait(10)
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{}']
    app.waits = lambda method, path: method != 'GET'
    app.pages = lambda method, path: path == '/v1/volumes'
    srv = api_server.EmbeddedServer(app, '127.0.0.1', 0, threads=1,
                                    page_threads=page_threads)
    srv.start()
    pool = concurrent.futures.ThreadPoolExecutor(1)
    address = ('127.0.0.1', srv.port)
    waiting = [pool.submit(_request, address, 'GET', '/v1/volumes')]
    time.sleep(0.3)
    return srv, address, release, pool, waiting


def test_a_slow_page_of_a_large_collection_never_holds_up_quick_reads():
    srv, address, release, pool, waiting = _pages_server(page_threads=1)
    try:
        _answered_at_once(address, '/v1/storages/x')
        assert not waiting[0].done()
    finally:
        _finish(srv, release, pool, waiting)


def test_without_a_page_lane_quick_reads_wait_behind_a_page():
    srv, address, release, pool, waiting = _pages_server(page_threads=None)
    try:
        _not_answered(address, '/v1/storages/x')
    finally:
        _finish(srv, release, pool, waiting)


def test_the_api_sends_pages_of_large_collections_to_the_page_lane():
    from delfin.api import app as api_app
    app = api_app.make_app()
    for path in ('/v1/volumes', '/v1/ports', '/v1/disks',
                 '/v1/storage-pools', '/v1/alerts', '/v1/storages/x/jobs'):
        assert app.pages('GET', path), path
        assert not app.waits('GET', path), path
    for path in ('/v1/storages', '/v1/storages/x', '/v1/volumes/x',
                 '/v1/health', '/nowhere'):
        assert not app.pages('GET', path), path
    assert not app.pages('POST', '/v1/storages')
    assert not app.pages('DELETE', '/v1/alerts/x')


def test_the_api_sends_writes_and_backend_reads_to_the_backend_lane():
    from delfin.api import app as api_app
    app = api_app.make_app()
    assert app.waits('POST', '/v1/storages')
    assert app.waits('DELETE', '/v1/storages/x')
    assert app.waits('PUT', '/v1/storages/x/access-info')
    assert app.waits('GET', '/v1/storages/x/capabilities')
    assert not app.waits('GET', '/v1/storages')
    assert not app.waits('GET', '/v1/storages/x')
    assert not app.waits('GET', '/v1/volumes')
    assert not app.waits('GET', '/nowhere')
