"""The client of a Swordfish service: Redfish HTTP(S), sessions, replay.

`SwordfishClient` reads the JSON resources of one Redfish service (the
service root ``/redfish/v1`` and what it links to).  It talks through a
transport:

* `HttpTransport` sends real requests with ``requests`` (``http`` or
  ``https``, the certificate checked against the CA path the service gives)
  and turns transport failures into the exceptions the service reports;
* `ReplayTransport` answers from recorded responses, one JSON file per
  request in a folder, so that the driver, its tests and ``delfin-driver
  check`` run without a service;
* `RecordingTransport` wraps a real transport and saves every answer as
  such a file (credentials and tokens never reach it).

Authentication is lazy: the first request reads the service root (which
Redfish serves without credentials), checks that the service is a
Swordfish one, then logs in.  Where the root links a session collection the
client POSTs ``{"UserName", "Password"}`` there and sends the
``X-Auth-Token`` it gets; a service that answers without a token (or does
not offer sessions) is read with HTTP basic authentication instead.  A 401
on a later request logs in once more and retries once.

Reads are cached for a few seconds (``cache_seconds``): one sync calls
several listers that each walk the same systems, and a service answers each
resource once per sync instead of once per lister.  The driver drops the
cache (`forget`) when a sync starts, so a sync never sees an older one's
reads.
"""
import base64
import json
import os
import re
import threading
import time

import requests
from oslo_log import log as logging

from delfin import cryptor
from delfin import exception
from delfin.drivers.swordfish import inventory

LOG = logging.getLogger(__name__)

SERVICE_ROOT = '/redfish/v1'
TOKEN_HEADER = 'X-Auth-Token'
DEFAULT_TIMEOUT = 10
DEFAULT_CACHE_SECONDS = 10
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'fixtures')

# Answer headers a recording keeps (never the token).
_RECORDED_HEADERS = ('Location', 'Content-Type')


def not_swordfish(text):
    """The error of an address where no Swordfish service answers: a 404
    ``StorageBackendNotFound`` whose message names the cause."""
    return exception.StorageBackendNotFound(message=text)


def fixture_name(method, path):
    """The file a request is recorded under:
    ``GET /redfish/v1/Storage/S1`` -> ``GET_redfish_v1_Storage_S1.json``.

    Within a segment, a character other than a letter, digit, ``.``, ``=``
    or ``-`` (``_`` included) is percent-escaped, so that two paths never
    share a file.
    """
    segments = path.split('#')[0].strip('/').split('/')
    escaped = [re.sub(r'[^A-Za-z0-9.=-]',
                      lambda m: '%%%02X' % ord(m.group(0)), segment)
               for segment in segments]
    return method.upper() + '_' + '_'.join(escaped) + '.json'


class HttpTransport(object):
    """Real requests to the service."""

    def __init__(self, host, port, scheme='https', verify=False,
                 timeout=DEFAULT_TIMEOUT):
        host_part = '[%s]' % host if ':' in host else host
        self.base_url = '%s://%s:%s' % (scheme, host_part, port)
        self.verify = verify
        self.timeout = timeout
        self._session = requests.Session()
        # Proxy variables and .netrc must not change how a backend is
        # reached, nor add credentials of their own.
        self._session.trust_env = False

    def request(self, method, path, body=None, headers=None):
        """Send one request: (status, answer headers, JSON or None).

        :raises InvalidIpOrPort: nothing answers (refused, unreachable,
            no answer within the timeout).
        :raises SSLCertificateFailed, SSLHandshakeFailed: TLS failures.
        """
        url = self.base_url + path
        try:
            response = self._session.request(
                method, url, json=body, headers=headers,
                verify=self.verify, timeout=self.timeout,
                allow_redirects=False)
        except requests.exceptions.SSLError as err:
            LOG.warning("TLS failure on %s %s: %s", method, url, err)
            if 'CERTIFICATE_VERIFY_FAILED' in str(err) or \
                    'certificate verify failed' in str(err):
                raise exception.SSLCertificateFailed()
            raise exception.SSLHandshakeFailed()
        except requests.exceptions.Timeout:
            raise exception.InvalidIpOrPort(
                message='No answer from %s within %s s.'
                        % (self.base_url, self.timeout))
        except requests.exceptions.ConnectionError as err:
            raise exception.InvalidIpOrPort(
                message='Cannot connect to %s: %s'
                        % (self.base_url, _reason(err)))
        except requests.exceptions.RequestException as err:
            raise exception.StorageBackendException(
                '%s %s failed: %s' % (method, path, _reason(err)))
        data = None
        if response.content:
            try:
                data = response.json()
            except ValueError:
                data = None
        return response.status_code, response.headers, data

    def close(self):
        self._session.close()


def _reason(err):
    """The innermost reason of a requests error, without the URL noise."""
    text = str(err)
    match = re.search(r"(\[Errno -?\d+\][^'\")]*)", text)
    if match:
        return match.group(1).strip()
    for known in ('Connection refused', 'Name or service not known',
                  'Network is unreachable', 'timed out',
                  'Connection reset by peer', 'Remote end closed'):
        if known in text:
            return known
    return text


class ReplayTransport(object):
    """Answers from recorded responses instead of a service."""

    def __init__(self, folder):
        self.folder = folder

    def request(self, method, path, body=None, headers=None):
        file_path = os.path.join(self.folder, fixture_name(method, path))
        try:
            with open(file_path, encoding='utf-8') as f:
                recorded = json.load(f)
        except FileNotFoundError:
            if method.upper() != 'GET':
                # Sessions and logouts were not recorded: the service
                # behaves as one without sessions.
                return 405, {}, None
            return 404, {}, None
        return (recorded['status'], recorded.get('headers') or {},
                recorded.get('body'))

    def close(self):
        pass


class RecordingTransport(object):
    """Passes requests to a real transport and saves the GET answers."""

    def __init__(self, inner, folder):
        self.inner = inner
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def request(self, method, path, body=None, headers=None):
        status, answer_headers, data = self.inner.request(method, path, body,
                                                          headers)
        if method.upper() == 'GET':
            # Request bodies and headers carry credentials: never recorded.
            recorded = {
                'request': {'method': 'GET', 'path': path},
                'status': status,
                'headers': {k: answer_headers[k] for k in _RECORDED_HEADERS
                            if k in answer_headers},
                'body': data,
            }
            file_path = os.path.join(self.folder, fixture_name(method, path))
            with open(file_path, 'w', encoding='utf-8') as f:
                json.dump(recorded, f, indent=2, sort_keys=True)
                f.write('\n')
        return status, answer_headers, data

    def close(self):
        self.inner.close()


class SwordfishClient(object):
    """Authenticated, cached reads of one Swordfish service."""

    def __init__(self, transport, username=None, password=None,
                 cache_seconds=DEFAULT_CACHE_SECONDS, where=''):
        self.transport = transport
        self.username = username or ''
        # Encrypted by the service; decoded only to log in.
        self._password = password
        self.cache_seconds = cache_seconds
        self.where = where
        self._lock = threading.RLock()
        self._root = None
        self._auth = None          # ('token', value) or ('basic', (u, p))
        self._session_uri = None
        self._cache = {}

    # -- connection ---------------------------------------------------------

    def root(self):
        """The service root, checked to be a Swordfish service; logs in."""
        with self._lock:
            if self._root is None or self._auth is None:
                self._connect()
            return self._root

    def _connect(self):
        status, headers, root = self.transport.request('GET', SERVICE_ROOT)
        if status == 401 or status == 403:
            # Roots are public in Redfish, but a service may guard it.
            root = None
        elif status in (301, 302, 303, 307, 308):
            raise not_swordfish((
                'No Swordfish service at %s: GET %s redirects to %s; check '
                'extra_attributes.scheme and the port.'
                % (self.where, SERVICE_ROOT, (headers or {}).get('Location'))))
        elif status != 200 or not isinstance(root, dict):
            raise not_swordfish((
                'No Swordfish service at %s: GET %s answered HTTP %s%s.'
                % (self.where, SERVICE_ROOT, status,
                   '' if isinstance(root, dict) or status != 200
                   else ' without a JSON document')))
        elif not (root.get('RedfishVersion') or
                  root.get('@odata.id', '').rstrip('/') == SERVICE_ROOT):
            raise not_swordfish((
                'No Swordfish service at %s: %s is not a Redfish service '
                'root.' % (self.where, SERVICE_ROOT)))
        self._login(root)
        if root is None:
            status, _, root = self._get_authenticated(SERVICE_ROOT)
            if status != 200 or not isinstance(root, dict):
                raise not_swordfish((
                    'No Swordfish service at %s: GET %s answered HTTP %s.'
                    % (self.where, SERVICE_ROOT, status)))
        if not any(inventory.link(root, key)
                   for key in inventory.SYSTEM_COLLECTIONS):
            raise not_swordfish((
                'No Swordfish service at %s: the Redfish service offers '
                'neither Storage nor StorageServices.' % self.where))
        self._root = root

    def _password_text(self):
        return cryptor.decode(self._password) if self._password else ''

    def _login(self, root):
        """Open a Redfish session where offered, else use basic auth;
        store and return the authentication (``('token', value)`` or
        ``('basic', header value)``).  Called under ``self._lock``."""
        password = self._password_text()
        sessions = inventory.link(root, 'Links', 'Sessions') or (
            SERVICE_ROOT + '/SessionService/Sessions' if root is None
            else None)
        if sessions:
            status, headers, _ = self.transport.request(
                'POST', sessions,
                body={'UserName': self.username, 'Password': password})
            if status in (401, 403):
                raise exception.InvalidUsernameOrPassword()
            token = (headers or {}).get(TOKEN_HEADER)
            if 200 <= status < 300 and token:
                self._session_uri = (headers or {}).get('Location')
                self._auth = ('token', token)
                return self._auth
            LOG.debug("No Redfish session at %s (HTTP %s); using basic "
                      "authentication", self.where, status)
        raw = ('%s:%s' % (self.username, password)).encode('utf-8')
        auth = ('basic', 'Basic ' + base64.b64encode(raw).decode('ascii'))
        if root is not None:
            # The root is public: check the credentials on a guarded
            # resource before saying they are good.
            first = next((inventory.link(root, key) for key
                          in inventory.SYSTEM_COLLECTIONS
                          if inventory.link(root, key)), None)
            if first:
                status, _, _ = self._send('GET', first, auth)
                if status in (401, 403):
                    raise exception.InvalidUsernameOrPassword()
        self._auth = auth
        return auth

    def _current_auth(self):
        auth = self._auth
        if auth is None:
            with self._lock:
                if self._auth is None:
                    self._login(self._root)
                auth = self._auth
        return auth

    def _send(self, method, path, auth=None):
        kind, value = auth or self._current_auth()
        header = TOKEN_HEADER if kind == 'token' else 'Authorization'
        return self.transport.request(method, path, headers={header: value})

    def _get_authenticated(self, path):
        auth = self._current_auth()
        status, headers, data = self._send('GET', path, auth)
        if status == 401:
            # The session expired or was dropped: log in once more (unless
            # another thread just did).
            with self._lock:
                if self._auth is auth or self._auth is None:
                    self._auth = None
                    self._login(self._root)
                auth = self._auth
            status, headers, data = self._send('GET', path, auth)
            if status == 401:
                raise exception.InvalidUsernameOrPassword()
        return status, headers, data

    # -- reads ----------------------------------------------------------------

    def get(self, uri):
        """The resource at ``uri`` (a ``#`` fragment is ignored), or None
        when the service does not have it (404).

        :raises StorageBackendException: any other failure.
        """
        path = _path_of(uri).split('#')[0].rstrip('/') or SERVICE_ROOT
        now = time.monotonic()
        cached = self._cache.get(path)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        self.root()
        status, _, data = self._get_authenticated(path)
        if status == 404:
            LOG.warning("%s links %s, which it does not have", self.where,
                        path)
            data = None
        elif status != 200 or not isinstance(data, dict):
            raise exception.StorageBackendException(
                'GET %s answered HTTP %s' % (path, status))
        self._cache[path] = (now, data)
        return data

    def forget(self):
        """Drop cached reads (the next read asks the service)."""
        self._cache.clear()

    def close(self):
        """End the Redfish session, if any, and the connection."""
        with self._lock:
            if self._auth and self._auth[0] == 'token' and self._session_uri:
                try:
                    self._send('DELETE', _path_of(self._session_uri))
                except exception.DelfinException as err:
                    LOG.info("Could not end the session at %s: %s",
                             self.where, err)
            self._auth = None
            self._root = None
            self._cache.clear()
        self.transport.close()


def _path_of(uri):
    """The path of an absolute or relative URI."""
    match = re.match(r'^[a-z]+://[^/]+(/.*)$', uri)
    return match.group(1) if match else uri


def client_from_access_info(access_info):
    """The client of a storage's access information; no I/O.

    ``extra_attributes``: ``scheme`` (``https`` by default, or ``http``),
    ``timeout`` (seconds, default 10), ``cache_seconds`` (default 10),
    ``replay`` (a folder of recorded answers, or the name of a set under
    the driver's ``fixtures/``) and ``record`` (a folder to save answers
    into).
    """
    rest = access_info.get('rest') or {}
    extra = access_info.get('extra_attributes') or {}
    cache_seconds = _number(extra, 'cache_seconds', DEFAULT_CACHE_SECONDS)
    replay = extra.get('replay')
    if replay:
        folder = replay if os.path.isdir(str(replay)) else os.path.join(
            FIXTURES, str(replay))
        if not os.path.isdir(folder):
            raise exception.InvalidInput(
                'replay: no recorded answers in %s' % folder)
        return SwordfishClient(ReplayTransport(folder), rest.get('username'),
                               rest.get('password'), cache_seconds,
                               where='recorded set %s' % replay)
    if not rest.get('host'):
        raise exception.InvalidInput('the rest access section needs a host')
    scheme = str(extra.get('scheme', 'https')).lower()
    if scheme not in ('http', 'https'):
        raise exception.InvalidInput(
            "extra_attributes.scheme must be 'http' or 'https', not %r"
            % scheme)
    port = rest.get('port') or (443 if scheme == 'https' else 80)
    timeout = _number(extra, 'timeout', DEFAULT_TIMEOUT)
    if timeout <= 0:
        raise exception.InvalidInput('extra_attributes.timeout must be '
                                     'positive')
    transport = HttpTransport(rest['host'], port, scheme,
                              verify=access_info.get('verify', False),
                              timeout=timeout)
    if extra.get('record'):
        transport = RecordingTransport(transport, extra['record'])
    return SwordfishClient(transport, rest.get('username'),
                           rest.get('password'), cache_seconds,
                           where=transport_where(scheme, rest['host'], port))


def _number(extra, key, default):
    value = extra.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise exception.InvalidInput(
            'extra_attributes.%s must be a number of seconds, not %r'
            % (key, value))
    if number < 0:
        raise exception.InvalidInput(
            'extra_attributes.%s must not be negative' % key)
    return number


def transport_where(scheme, host, port):
    host_part = '[%s]' % host if ':' in host else host
    return '%s://%s:%s' % (scheme, host_part, port)
