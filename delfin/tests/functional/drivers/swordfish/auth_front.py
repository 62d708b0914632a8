"""A Redfish front that asks for credentials, before a sushy-static.

sushy-static serves a mockup to anyone; a real Redfish service does not.
`AuthFront` listens on a loopback port, answers the service root without
credentials (as Redfish does), and passes every other GET to the
sushy-static behind it only with valid credentials:

* with ``sessions=True``, ``POST /redfish/v1/SessionService/Sessions``
  with the right ``UserName``/``Password`` creates a session (201, an
  ``X-Auth-Token`` header and a ``Location``); requests carrying that
  token pass, ``DELETE`` of the Location ends the session;
* HTTP basic authentication with the right user passes too (unless
  ``basic=False``);
* anything else is a 401.

It records what it saw (``logins``, ``token_reads``, ``basic_reads``,
``logouts``) so that tests can tell which way a client authenticated.
"""
import base64
import http.server
import json
import secrets
import threading
import urllib.error
import urllib.request

SESSIONS = '/redfish/v1/SessionService/Sessions'


class AuthFront(object):

    def __init__(self, upstream, username, password, sessions=True,
                 basic=True):
        self.upstream = upstream
        self.username = username
        self.password = password
        self.sessions = sessions
        self.basic = basic
        self.tokens = {}
        self.logins = 0
        self.failed_logins = 0
        self.token_reads = 0
        self.basic_reads = 0
        self.logouts = 0
        self._lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={'poll_interval': 0.05}, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def expire_sessions(self):
        with self._lock:
            self.tokens.clear()

    def _authorised(self, headers):
        token = headers.get('X-Auth-Token')
        with self._lock:
            if token and token in self.tokens:
                self.token_reads += 1
                return True
        auth = headers.get('Authorization') or ''
        if self.basic and auth.startswith('Basic '):
            user, _, password = base64.b64decode(
                auth[6:]).decode('utf-8').partition(':')
            if (user, password) == (self.username, self.password):
                with self._lock:
                    self.basic_reads += 1
                return True
        return False

    def _handler(self):
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _answer(self, status, body=None, headers=None):
                data = json.dumps(body).encode() if body is not None \
                    else b''
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length) if length else b''
                if self.path.rstrip('/') != SESSIONS or not front.sessions:
                    self._answer(405, {'error': 'not allowed'})
                    return
                try:
                    body = json.loads(raw or b'{}')
                except ValueError:
                    body = {}
                if (body.get('UserName'), body.get('Password')) != (
                        front.username, front.password):
                    with front._lock:
                        front.failed_logins += 1
                    self._answer(401, {'error': 'bad credentials'})
                    return
                token = secrets.token_hex(16)
                session = '%s/%s' % (SESSIONS, token[:8])
                with front._lock:
                    front.tokens[token] = session
                    front.logins += 1
                self._answer(201, {'@odata.id': session},
                             {'X-Auth-Token': token, 'Location': session})

            def do_DELETE(self):
                with front._lock:
                    gone = [t for t, s in front.tokens.items()
                            if s == self.path]
                    for token in gone:
                        del front.tokens[token]
                    front.logouts += len(gone)
                self._answer(204 if gone else 404)

            def do_GET(self):
                public = self.path.rstrip('/') == '/redfish/v1'
                if not public and not front._authorised(self.headers):
                    self._answer(401, {'error': 'authentication required'})
                    return
                try:
                    with urllib.request.urlopen(front.upstream + self.path,
                                                timeout=10) as answer:
                        status, data = answer.status, answer.read()
                except urllib.error.HTTPError as err:
                    status, data = err.code, b''
                except OSError as err:
                    # The service behind is down or too slow.
                    status = 502
                    data = json.dumps({'error': str(err)}).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
