"""The API behind the production WSGI server (waitress), over real HTTP."""
import concurrent.futures
import http.client
import json
import logging
import uuid

import pytest
from oslo_context import context as oslo_context


@pytest.fixture(scope='module')
def server(sqlite_engine):
    from delfin import service
    from delfin.api import app as api_app
    api = service.ApiServer(app=api_app.make_app(max_body_size=2048),
                            host='127.0.0.1', port=0, threads=2)
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
