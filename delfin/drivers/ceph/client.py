"""The client of the ceph ceph REST API, with record and replay.

`BackendClient` speaks to the backend through a transport:

* `HttpTransport` sends real HTTPS requests with ``requests``, verifying
  the backend's certificate when the service gives a CA path, and turns
  transport failures into the exceptions the service understands;
* `ReplayTransport` answers from recorded fixtures, one JSON file per
  request in a folder, so the driver, its tests and ``delfin-driver check``
  run without a backend;
* `RecordingTransport` wraps a real transport and saves every answer as
  such a file (secrets removed), which is how fixtures are made.

Which one is used comes from the storage's ``extra_attributes``:
``replay`` (``true`` for the fixtures shipped in this package, or a
folder) and ``record`` (a folder to write recordings into).

The client logs in lazily on the first request (no I/O in the driver's
constructor), keeps the session token, and logs in again once when the
backend says the session expired.
"""
import json
import os
import re
import threading
import urllib.parse

import requests
from oslo_log import log as logging

from delfin import cryptor
from delfin import exception

LOG = logging.getLogger(__name__)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'fixtures')
LOGIN_PATH = '/api/v1/sessions'
TOKEN_HEADER = 'X-Auth-Token'
DEFAULT_TIMEOUT = 30

# Keys whose values never reach a recording, at any depth.
SECRET_KEYS = ('token', 'password', 'secret', 'session_key')
REDACTED = 'recorded-redacted'


def fixture_name(method, path, params=None):
    """The file name a request is recorded under.

    ``GET /api/v1/volumes?page=2`` becomes
    ``GET_api_v1_volumes__page=2.json``.
    """
    name = method.upper() + '_' + path.strip('/').replace('/', '_')
    if params:
        name += '__' + '&'.join('%s=%s' % (k, params[k])
                                for k in sorted(params))
    return re.sub(r'[^A-Za-z0-9_.=&-]', '-', name) + '.json'


def split_link(link):
    """(path, params) of a link such as ``/api/v1/volumes?page=2``."""
    parts = urllib.parse.urlsplit(link)
    return parts.path, dict(urllib.parse.parse_qsl(parts.query))


def redact(value):
    """A copy of a JSON document with secret values replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class HttpTransport(object):
    """Real HTTPS requests to the backend."""

    def __init__(self, host, port, verify=False, timeout=DEFAULT_TIMEOUT):
        self.base_url = 'https://%s:%s' % (host, port)
        self.verify = verify
        self.timeout = timeout
        self._session = requests.Session()

    def request(self, method, path, params=None, body=None, headers=None):
        """Send one request; return (HTTP status, decoded JSON or None)."""
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=body,
                headers=headers, verify=self.verify, timeout=self.timeout)
        except requests.exceptions.SSLError as err:
            if 'CERTIFICATE_VERIFY_FAILED' in str(err):
                raise exception.SSLCertificateFailed()
            raise exception.SSLHandshakeFailed()
        except (requests.exceptions.ConnectTimeout,
                requests.exceptions.ConnectionError):
            raise exception.InvalidIpOrPort()
        except requests.exceptions.Timeout:
            raise exception.StorageBackendException(
                '%s %s timed out' % (method, path))
        try:
            data = response.json() if response.content else None
        except ValueError:
            raise exception.BadResponse()
        return response.status_code, data

    def close(self):
        self._session.close()


class ReplayTransport(object):
    """Answers from recorded fixtures instead of a backend."""

    def __init__(self, folder=FIXTURES):
        self.folder = folder

    def request(self, method, path, params=None, body=None, headers=None):
        name = fixture_name(method, path, params)
        file_path = os.path.join(self.folder, name)
        try:
            with open(file_path, encoding='utf-8') as f:
                recorded = json.load(f)
        except FileNotFoundError:
            raise exception.StorageBackendException(
                'no recorded answer for %s %s (expected %s); record it '
                'from a real backend with extra_attributes.record'
                % (method, path, file_path))
        return recorded['status'], recorded.get('body')

    def close(self):
        pass


class RecordingTransport(object):
    """Passes requests to a real transport and saves every answer."""

    def __init__(self, inner, folder):
        self.inner = inner
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def request(self, method, path, params=None, body=None, headers=None):
        status, data = self.inner.request(method, path, params, body,
                                          headers)
        # Request bodies and headers carry credentials: never recorded.
        recorded = {'request': {'method': method.upper(), 'path': path,
                                'params': params or {}},
                    'status': status, 'body': redact(data)}
        file_path = os.path.join(self.folder,
                                 fixture_name(method, path, params))
        with open(file_path, 'w', encoding='utf-8') as f:
            json.dump(recorded, f, indent=2, sort_keys=True)
            f.write('\n')
        LOG.info("Recorded %s %s into %s", method, path, file_path)
        return status, data

    def close(self):
        self.inner.close()


class BackendClient(object):
    """Authenticated JSON requests to the backend."""

    def __init__(self, transport, username=None, password=None):
        self.transport = transport
        self.username = username
        # Encrypted by the service; decoded only when logging in.
        self._password = password
        self._token = None
        self._lock = threading.Lock()

    def login(self):
        password = cryptor.decode(self._password) if self._password else ''
        status, data = self.transport.request(
            'POST', LOGIN_PATH,
            body={'username': self.username, 'password': password})
        if status in (401, 403):
            raise exception.InvalidUsernameOrPassword()
        if status >= 300 or not isinstance(data, dict):
            raise exception.StorageBackendException(
                'login answered HTTP %s' % status)
        self._token = data.get('token')
        return self._token

    def _headers(self):
        with self._lock:
            if self._token is None:
                self.login()
            return {TOKEN_HEADER: self._token}

    def request(self, method, path, params=None, body=None):
        status, data = self.transport.request(method, path, params, body,
                                              self._headers())
        if status == 401:
            # The session expired: one new login, one retry.
            with self._lock:
                self._token = None
            status, data = self.transport.request(method, path, params,
                                                  body, self._headers())
        if status >= 300:
            raise exception.StorageBackendException(
                '%s %s answered HTTP %s' % (method, path, status))
        return data

    def get(self, path, params=None):
        return self.request('GET', path, params)

    def post(self, path, body=None):
        return self.request('POST', path, body=body)

    def get_all(self, path):
        """Yield the items of a paged collection, page by page.

        Pages look like ``{"items": [...], "next": "/path?page=2"}``.
        """
        params = None
        while path:
            page = self.get(path, params) or {}
            for item in page.get('items', []):
                yield item
            link = page.get('next')
            path, params = split_link(link) if link else (None, None)

    def close(self):
        self.transport.close()


def client_from_access_info(access_info):
    """Build the client a driver needs from its access information.

    No I/O happens here: the first request logs in.
    """
    rest = access_info.get('rest') or {}
    extra = access_info.get('extra_attributes') or {}
    replay = extra.get('replay')
    if replay:
        folder = FIXTURES if replay is True or replay == 'true' else replay
        transport = ReplayTransport(folder)
    else:
        if not rest.get('host'):
            raise exception.InvalidInput('the rest access section needs a '
                                         'host')
        transport = HttpTransport(
            rest['host'], rest.get('port', 443),
            verify=access_info.get('verify', False),
            timeout=int(extra.get('timeout', DEFAULT_TIMEOUT)))
        if extra.get('record'):
            transport = RecordingTransport(transport, extra['record'])
    return BackendClient(transport, rest.get('username'),
                         rest.get('password'))
