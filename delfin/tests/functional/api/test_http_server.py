"""The API behind the production HTTP server (granian), over real HTTP."""
import http.client
import json

import pytest


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
