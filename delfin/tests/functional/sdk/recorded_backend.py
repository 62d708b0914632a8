"""An HTTPS server that plays a storage backend from recorded answers.

It serves a folder of fixtures in the format the scaffolded driver client
records (``{"request": {"method", "path", "params"}, "status", "body"}``),
indexed by their ``request`` part, over TLS with a throw-away self-signed
certificate.  It also behaves like a backend on authentication: the login
must carry the expected password, and every other request the token it
handed out.
"""
import datetime
import http.server
import ipaddress
import json
import os
import ssl
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOGIN_PATH = '/api/v1/sessions'
TOKEN_HEADER = 'X-Auth-Token'


def _self_signed(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(folder, 'backend.crt')
    key_path = os.path.join(folder, 'backend.key')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def _index(fixtures):
    answers = {}
    for name in os.listdir(fixtures):
        if not name.endswith('.json'):
            continue
        with open(os.path.join(fixtures, name), encoding='utf-8') as f:
            recorded = json.load(f)
        request = recorded['request']
        key = (request['method'], request['path'],
               tuple(sorted((request.get('params') or {}).items())))
        answers[key] = (recorded['status'], recorded['body'])
    return answers


class RecordedBackend(object):
    """``with RecordedBackend(fixtures, tmp, password) as backend:`` serves
    on ``backend.port`` until the block ends."""

    def __init__(self, fixtures, workdir, password):
        self.answers = _index(fixtures)
        self.password = password
        self.token = 'live-token-%s' % os.urandom(4).hex()
        self.requests = []
        self._cert = _self_signed(workdir)
        self._server = None
        self._thread = None

    @property
    def port(self):
        return self._server.server_address[1]

    def __enter__(self):
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, method):
                parts = urllib.parse.urlsplit(self.path)
                params = tuple(sorted(urllib.parse.parse_qsl(parts.query)))
                length = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(length) or b'null')
                backend.requests.append((method, parts.path))
                if parts.path == LOGIN_PATH:
                    if (body or {}).get('password') != backend.password:
                        return self._send(401, {'error': 'bad password'})
                    return self._send(200, {'token': backend.token})
                if self.headers.get(TOKEN_HEADER) != backend.token:
                    return self._send(401, {'error': 'no session'})
                found = backend.answers.get((method, parts.path, params))
                if found is None:
                    return self._send(404, {'error': 'unknown'})
                return self._send(*found)

            def _send(self, status, data):
                payload = json.dumps(data).encode('utf-8')
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._answer('GET')

            def do_POST(self):
                self._answer('POST')

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                       Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self._cert)
        self._server.socket = context.wrap_socket(self._server.socket,
                                                  server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name='recorded-backend', daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
