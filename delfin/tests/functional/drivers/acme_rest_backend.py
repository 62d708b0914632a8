"""A small REST storage backend ("acme rest_array") serving the recorded
fixtures in delfin_style/fixtures/rest_array over HTTPS.

``POST /api/v1/sessions`` with the right username and password returns a
token that every other call needs in ``X-Auth-Token``; ``DELETE`` on the
same path ends the session.  ``GET`` on system, pools, volumes, alerts and
performance returns the fixtures; ``DELETE /api/v1/alerts/<seq>`` clears an
alert.
"""
import json
import os
import secrets
import threading
import urllib.parse

from delfin.tests import local_http

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'delfin_style', 'fixtures', 'rest_array')


def _fixture(name):
    with open(os.path.join(FIXTURES, name + '.json')) as f:
        return json.load(f)


class Backend(object):
    def __init__(self, username, password):
        self.username = username
        self.password = password
        self.tokens = set()
        self.logins = 0
        self.requests = []
        self.alerts = _fixture('alerts')
        self.lock = threading.Lock()

    def handler_class(self):
        backend = self

        class Handler(local_http.JSONHandler):
            def handle_request(self, method, path, body):
                with backend.lock:
                    return backend.answer(method, path, body,
                                          self.headers.get('X-Auth-Token'))
        return Handler

    def answer(self, method, path, body, token):
        url = urllib.parse.urlsplit(path)
        self.requests.append((method, url.path))
        if url.path == '/api/v1/sessions' and method == 'POST':
            creds = json.loads(body or b'{}')
            if (creds.get('username'), creds.get('password')) \
                    != (self.username, self.password):
                return 401, {'error': 'bad credentials'}
            new_token = secrets.token_hex(16)
            self.tokens.add(new_token)
            self.logins += 1
            return 200, {'token': new_token}
        if token not in self.tokens:
            return 401, {'error': 'not logged in'}
        if url.path == '/api/v1/sessions' and method == 'DELETE':
            self.tokens.discard(token)
            return 200, {}
        if method == 'GET' and url.path in ('/api/v1/system',
                                            '/api/v1/pools',
                                            '/api/v1/volumes',
                                            '/api/v1/performance'):
            return 200, _fixture(url.path.rsplit('/', 1)[1])
        if method == 'GET' and url.path == '/api/v1/alerts':
            return 200, self.alerts
        if method == 'DELETE' and url.path.startswith('/api/v1/alerts/'):
            seq = url.path.rsplit('/', 1)[1]
            remaining = [a for a in self.alerts if a['seq'] != seq]
            if len(remaining) == len(self.alerts):
                return 404, {'error': 'no such alert'}
            self.alerts = remaining
            return 200, {}
        return 404, {'error': 'no such resource'}
