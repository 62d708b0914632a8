"""The Ceph manager client against real sockets: what a registration
meets when the address is wrong, is not a Ceph manager, or speaks
another protocol, and what a recording keeps."""
import http.server
import json
import threading
import time

import pytest

from delfin import cryptor
from delfin import exception
from delfin.drivers.ceph import client as backend
from delfin.sdk import conformance
from delfin.tests import conftest


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the server's (status, content type,
    body)."""

    def _answer(self):
        status, ctype, body = self.server.answer
        self.server.requests.append((self.command, self.path,
                                     dict(self.headers)))
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    """A local HTTP server; set ``.answer`` before use."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    server.answer = (404, 'text/html', b'<html>Not Found</html>')
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _client(port, scheme='http', timeout=5, host='127.0.0.1'):
    return backend.client_from_access_info({
        'rest': {'host': host, 'port': port, 'username': 'admin',
                 'password': cryptor.encode('secret')},
        'extra_attributes': {'scheme': scheme, 'timeout': timeout}})


@pytest.fixture(autouse=True)
def _key():
    with conformance.ephemeral_secret_key():
        yield


def test_nothing_listening_is_an_invalid_address():
    port = conftest.free_port()
    with pytest.raises(exception.InvalidIpOrPort) as caught:
        _client(port).login()
    assert 'Cannot connect to 127.0.0.1:%d' % port in str(caught.value)
    assert caught.value.code == 400


def test_unroutable_address_fails_within_the_timeout():
    started = time.monotonic()
    with pytest.raises(exception.InvalidIpOrPort) as caught:
        _client(8443, scheme='https', timeout=1, host='192.0.2.1').login()
    assert time.monotonic() - started < 5
    assert '192.0.2.1:8443' in str(caught.value)


def test_web_server_that_is_not_ceph(web_server):
    with pytest.raises(exception.InvalidIpOrPort) as caught:
        _client(web_server.server_port).login()
    assert 'is not the REST API of a Ceph manager' in str(caught.value)
    assert 'HTTP 404 with no JSON' in str(caught.value)


def test_json_service_that_is_not_ceph(web_server):
    web_server.answer = (404, 'application/json',
                         json.dumps({'error': 'no such path'}).encode())
    with pytest.raises(exception.InvalidIpOrPort) as caught:
        _client(web_server.server_port).login()
    assert 'is not the REST API of a Ceph manager' in str(caught.value)


def test_https_to_a_plain_http_server_suggests_the_scheme(web_server):
    with pytest.raises(exception.SSLHandshakeFailed) as caught:
        _client(web_server.server_port, scheme='https').login()
    assert '"scheme": "http"' in str(caught.value)
    assert caught.value.code == 400


def test_login_asks_for_the_versioned_media_type(web_server):
    web_server.answer = (201, 'application/vnd.ceph.api.v1.0+json',
                         json.dumps({'token': 'abc'}).encode())
    assert _client(web_server.server_port).login() == 'abc'
    method, path, headers = web_server.requests[0]
    assert (method, path) == ('POST', '/api/auth')
    assert headers['Accept'] == 'application/vnd.ceph.api.v1.0+json'


def test_block_images_want_version_two():
    assert backend.accept_header('/api/block/image') == \
        'application/vnd.ceph.api.v2.0+json'
    assert backend.accept_header('/api/pool') == \
        'application/vnd.ceph.api.v1.0+json'


def test_unknown_scheme_is_refused():
    with pytest.raises(exception.InvalidInput):
        backend.client_from_access_info({
            'rest': {'host': '127.0.0.1', 'port': 1},
            'extra_attributes': {'scheme': 'ftp'}})


@pytest.mark.parametrize('extra', [{'timeout': 'soon'}, {'timeout': '0'},
                                   {'scheme': 'http', 'timeout': '-3'}])
def test_bad_timeout_is_refused(extra):
    with pytest.raises(exception.InvalidInput, match='timeout'):
        backend.client_from_access_info({
            'rest': {'host': '127.0.0.1', 'port': 1},
            'extra_attributes': extra})


def test_recording_keeps_no_token(tmp_path, web_server):
    web_server.answer = (201, 'application/vnd.ceph.api.v1.0+json',
                         json.dumps({'token': 'abc.def',
                                     'username': 'admin'}).encode())
    transport = backend.RecordingTransport(
        backend.HttpTransport('127.0.0.1', web_server.server_port,
                              scheme='http'), str(tmp_path))
    client = backend.CephClient(transport, 'admin', cryptor.encode('pw-x'))
    assert client.login() == 'abc.def'
    text = (tmp_path / 'POST_api_auth.json').read_text()
    assert 'abc.def' not in text and 'pw-x' not in text
    assert json.loads(text)['body']['username'] == 'admin'
