"""The client of the Ceph manager's REST API (the ``dashboard`` module).

Three transports carry the requests:

* `HttpTransport` talks to the manager over HTTPS (or HTTP with
  ``extra_attributes: {"scheme": "http"}``), verifying its certificate
  against ``[storage_driver] ca_path`` when that is set;
* `ReplayTransport` answers from recorded files (``fixtures/``), one JSON
  file per request, so that the driver is tested without a cluster;
* `RecordingTransport` wraps the HTTP transport and saves every answer
  into such a file, tokens removed, which is how the fixtures are made.

Which one is used comes from the storage's ``extra_attributes``:
``replay`` (``true`` for the fixtures of this package, or a folder) and
``record`` (a folder to write recordings into).

What the API demands (Ceph 16.2):

* every request carries ``Accept: application/vnd.ceph.api.v<X.Y>+json``;
  plain ``application/json`` is refused with 415.  Most endpoints are at
  version 1.0, ``GET /api/block/image`` at 2.0 (`API_VERSIONS`);
* ``POST /api/auth`` with the user name and password answers 201 with a
  token, sent as ``Authorization: Bearer`` afterwards; wrong credentials
  answer 400 ``invalid_credentials``;
* a missing or expired token answers 401: the client logs in again once
  and retries, then fails with `InvalidUsernameOrPassword`.

The client logs in lazily on the first request: building it does no I/O.
"""
import hashlib
import json
import os
import re
import threading

import requests
from oslo_log import log as logging

from delfin import cryptor
from delfin import exception

LOG = logging.getLogger(__name__)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'fixtures')
LOGIN_PATH = '/api/auth'
DEFAULT_TIMEOUT = 30
# Connecting takes at most this long, whatever the read timeout, so that
# an unreachable address is reported well within the API's wait.
MAX_CONNECT_TIMEOUT = 10
DEFAULT_VERSION = '1.0'
# Endpoints whose current version is not DEFAULT_VERSION.
API_VERSIONS = {
    '/api/block/image': '2.0',
}
MEDIA_TYPE = 'application/vnd.ceph.api.v%s+json'
# Answer headers kept by the transports (the rest is of no use).
KEPT_HEADERS = ('X-Total-Count',)

# Keys whose values never reach a recording, at any depth.
SECRET_KEYS = ('token', 'password', 'secret', 'session_key')
REDACTED = 'recorded-redacted'


def fixture_name(method, path, params=None):
    """The file name a request is recorded under.

    ``GET /api/pool?stats=true`` becomes ``GET_api_pool__stats=true.json``.
    """
    name = method.upper() + '_' + path.strip('/').replace('/', '_')
    if params:
        name += '__' + '&'.join('%s=%s' % (k, params[k])
                                for k in sorted(params))
    return re.sub(r'[^A-Za-z0-9_.=&-]', '-', name) + '.json'


def redact(value):
    """A copy of a JSON document with secret values replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def accept_header(path):
    """The ``Accept`` header the API wants for ``path``."""
    return MEDIA_TYPE % API_VERSIONS.get(path, DEFAULT_VERSION)


class Answer(object):
    """One answer of the API: HTTP status, decoded JSON body (None when
    the body is empty) and the headers of `KEPT_HEADERS`."""

    __slots__ = ('status', 'body', 'headers', 'json')

    def __init__(self, status, body, headers=None, is_json=True):
        self.status = status
        self.body = body
        self.headers = headers or {}
        # False when the server sent something that is not JSON: not a
        # Ceph manager, or not its REST API.
        self.json = is_json


class HttpTransport(object):
    """Real requests to the manager."""

    def __init__(self, host, port, scheme='https', verify=False,
                 timeout=DEFAULT_TIMEOUT):
        if ':' in host and not host.startswith('['):
            host = '[%s]' % host  # an IPv6 address
        self.where = '%s:%s' % (host, port)
        self.scheme = scheme
        self.base_url = '%s://%s' % (scheme, self.where)
        self.verify = verify
        self.timeout = (min(timeout, MAX_CONNECT_TIMEOUT), timeout)
        self._session = requests.Session()

    def request(self, method, path, params=None, body=None, headers=None):
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=body,
                headers=headers, verify=self.verify, timeout=self.timeout,
                allow_redirects=False)
        except requests.exceptions.SSLError as err:
            if 'CERTIFICATE_VERIFY_FAILED' in str(err):
                raise exception.SSLCertificateFailed(message=(
                    'The certificate of the Ceph manager at %s is not '
                    'trusted by [storage_driver] ca_path' % self.where))
            raise exception.SSLHandshakeFailed(message=(
                'TLS handshake with %s failed (%s); if the Ceph dashboard '
                'serves plain HTTP, register it with extra_attributes '
                '{"scheme": "http"}' % (self.where, _reason(err))))
        except requests.exceptions.ConnectTimeout:
            raise exception.InvalidIpOrPort(message=(
                'No connection to %s within %s s'
                % (self.where, self.timeout[0])))
        except requests.exceptions.ConnectionError as err:
            if isinstance(err, requests.exceptions.ReadTimeout):
                raise self._read_timeout(method, path)
            raise exception.InvalidIpOrPort(message=(
                'Cannot connect to %s: %s' % (self.where, _reason(err))))
        except requests.exceptions.Timeout:
            raise self._read_timeout(method, path)
        kept = {k: response.headers[k] for k in KEPT_HEADERS
                if k in response.headers}
        if not response.content:
            return Answer(response.status_code, None, kept)
        try:
            data = response.json()
        except ValueError:
            return Answer(response.status_code, response.text[:200], kept,
                          is_json=False)
        return Answer(response.status_code, data, kept)

    def _read_timeout(self, method, path):
        return exception.StorageBackendException(
            '%s %s on %s gave no answer within %s s'
            % (method, path, self.where, self.timeout[1]))

    def close(self):
        self._session.close()


def _reason(err):
    """The innermost reason of a requests error (``[Errno 111] Connection
    refused``, ``[SSL: WRONG_VERSION_NUMBER] wrong version number ...``),
    without the URL and class names around it."""
    text = str(err)
    match = re.search(r"(\[(?:Errno [^\]]+|SSL[^\]]*)\][^'\"()]*)", text)
    return (match.group(1) if match else text).strip().rstrip('.')


class ReplayTransport(object):
    """Answers from recorded fixtures instead of a cluster."""

    def __init__(self, folder=FIXTURES):
        self.folder = folder
        self.where = 'recordings in %s' % folder

    def request(self, method, path, params=None, body=None, headers=None):
        name = fixture_name(method, path, params)
        file_path = os.path.join(self.folder, name)
        try:
            with open(file_path, encoding='utf-8') as f:
                recorded = json.load(f)
        except FileNotFoundError:
            raise exception.StorageBackendException(
                'no recorded answer for %s %s (expected %s); record it '
                'from a real cluster with extra_attributes.record'
                % (method, path, file_path))
        return Answer(recorded['status'], recorded.get('body'),
                      recorded.get('headers'))

    def close(self):
        pass


class RecordingTransport(object):
    """Passes requests to a real transport and saves every answer."""

    def __init__(self, inner, folder):
        self.inner = inner
        self.folder = folder
        self.where = inner.where
        os.makedirs(folder, exist_ok=True)

    def request(self, method, path, params=None, body=None, headers=None):
        answer = self.inner.request(method, path, params, body, headers)
        # Request bodies and headers carry credentials: never recorded.
        recorded = {'request': {'method': method.upper(), 'path': path,
                                'params': params or {}},
                    'status': answer.status, 'headers': answer.headers,
                    'body': redact(answer.body)}
        file_path = os.path.join(self.folder,
                                 fixture_name(method, path, params))
        with open(file_path, 'w', encoding='utf-8') as f:
            json.dump(recorded, f, indent=1, sort_keys=True)
            f.write('\n')
        LOG.info("Recorded %s %s into %s", method, path, file_path)
        return answer

    def close(self):
        self.inner.close()


def _detail(answer):
    body = answer.body
    if isinstance(body, dict):
        return body.get('detail') or body.get('code') or body
    return body


def _not_ceph(where, what):
    return exception.InvalidIpOrPort(message=(
        '%s is not the REST API of a Ceph manager (dashboard module): %s'
        % (where, what)))


# Tokens of the accounts this process is logged in with, shared by every
# client of one account on one manager (registration and the syncs that
# follow build separate drivers): a login costs the manager about a second
# of password hashing.  Keyed by address, user name and a digest of the
# password, so a changed password never reuses an old session.
_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()


class CephClient(object):
    """Authenticated JSON requests to the Ceph manager's REST API."""

    def __init__(self, transport, username=None, password=None):
        self.transport = transport
        self.username = username
        # Encrypted by the service; decoded only when logging in.
        self._password = password
        self._token = None
        self._session_key = None
        self._lock = threading.Lock()

    def _key(self, password):
        if self._session_key is None:
            digest = hashlib.sha256(password.encode('utf-8')).hexdigest()
            self._session_key = (self.where, self.username or '', digest)
        return self._session_key

    @property
    def where(self):
        return self.transport.where

    def login(self):
        """Log in; return the token.

        :raises InvalidUsernameOrPassword: the manager refuses the
            credentials.
        :raises InvalidIpOrPort: nothing answers there, or not a Ceph
            manager.
        """
        password = cryptor.decode(self._password) if self._password else ''
        answer = self.transport.request(
            'POST', LOGIN_PATH,
            body={'username': self.username or '', 'password': password},
            headers={'Accept': accept_header(LOGIN_PATH)})
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 201 and body.get('token'):
            self._token = body['token']
            with _SESSIONS_LOCK:
                _SESSIONS[self._key(password)] = self._token
            return self._token
        if not answer.json:
            raise _not_ceph(self.where, 'POST %s answered HTTP %s with %s'
                            % (LOGIN_PATH, answer.status,
                               'no JSON' if answer.body else 'no body'))
        if answer.status in (400, 401, 403) and (
                body.get('code') == 'invalid_credentials'
                or body.get('component') == 'auth'):
            raise exception.InvalidUsernameOrPassword(message=(
                'The Ceph manager at %s refused user %r: %s'
                % (self.where, self.username,
                   body.get('detail') or body.get('code'))))
        raise _not_ceph(self.where, 'POST %s answered HTTP %s %s'
                        % (LOGIN_PATH, answer.status,
                           json.dumps(answer.body)[:200]))

    def _token_now(self):
        with self._lock:
            if self._token is None:
                password = (cryptor.decode(self._password)
                            if self._password else '')
                with _SESSIONS_LOCK:
                    self._token = _SESSIONS.get(self._key(password))
                if self._token is None:
                    self.login()
            return self._token

    def _forget(self, token):
        """Drop ``token`` (refused by the manager) here and in the
        process's shared sessions, unless a newer one replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None
            with _SESSIONS_LOCK:
                for key in [k for k, v in _SESSIONS.items() if v == token]:
                    del _SESSIONS[key]

    def _send(self, method, path, params, body):
        token = self._token_now()
        headers = {'Accept': accept_header(path),
                   'Authorization': 'Bearer %s' % token}
        return token, self.transport.request(method, path, params, body,
                                             headers)

    def request(self, method, path, params=None, body=None):
        """One request; return its `Answer` (status below 300).

        :raises InvalidUsernameOrPassword: still 401 after a new login.
        :raises NotAuthorized: 403, the account lacks a permission.
        :raises StorageBackendException: any other refusal.
        """
        token, answer = self._send(method, path, params, body)
        if answer.status == 401:
            # The token expired (or the manager restarted, or the account
            # changed): one new login, one retry.
            self._forget(token)
            token, answer = self._send(method, path, params, body)
            if answer.status == 401:
                self._forget(token)
                raise exception.InvalidUsernameOrPassword(message=(
                    'The Ceph manager at %s refuses the token of user %r '
                    'right after a login' % (self.where, self.username)))
        if answer.status == 403:
            raise exception.NotAuthorized(message=(
                'The Ceph account %r may not %s %s (its dashboard role '
                'lacks the permission): %s' % (self.username, method, path,
                                               _detail(answer))))
        if answer.status >= 300:
            detail = answer.body
            if isinstance(detail, dict):
                detail = detail.get('detail') or detail
            raise exception.StorageBackendException(
                '%s %s answered HTTP %s: %s'
                % (method, path, answer.status, detail))
        if not answer.json:
            raise exception.StorageBackendException(
                '%s %s answered something that is not JSON'
                % (method, path))
        return answer

    def get(self, path, params=None):
        return self.request('GET', path, params).body

    def close(self):
        self.transport.close()


def positive_number(extra, key, default, kind):
    """``extra_attributes[key]`` as a positive number of type ``kind``
    (extra attributes arrive as strings).

    :raises InvalidInput: not a positive number.
    """
    value = extra.get(key)
    if value is None or value == '':
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise exception.InvalidInput(
            'extra_attributes.%s must be a positive number, not %r'
            % (key, value))
    return number


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
        scheme = str(extra.get('scheme') or 'https').lower()
        if scheme not in ('http', 'https'):
            raise exception.InvalidInput(
                'extra_attributes.scheme must be "http" or "https", not %r'
                % scheme)
        port = rest.get('port') or (8443 if scheme == 'https' else 8080)
        transport = HttpTransport(
            rest['host'], port, scheme=scheme,
            verify=access_info.get('verify', False),
            timeout=positive_number(extra, 'timeout', DEFAULT_TIMEOUT,
                                    float))
        if extra.get('record'):
            transport = RecordingTransport(transport, extra['record'])
    return CephClient(transport, rest.get('username'), rest.get('password'))
