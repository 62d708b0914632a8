"""HTTPS client base for drivers of REST-managed storage backends.

A driver subclasses (or holds) ``RestClient``, calls ``init_http_head()``
to open a session, sets its own authentication on ``self.session`` and
sends requests with ``do_call``.  The class keeps Delfin's attributes and
behaviour: no status handling (4xx/5xx responses are returned), no
retries, and transport errors mapped to Delfin exceptions by a fixed table.

TLS: ``verify`` (set by the core from ``[storage_driver] ca_path``) is
``False`` or the CA file/directory the certificate chain is checked
against.  Unlike Delfin, the host name in the certificate is checked too;
a driver whose backends present certificates without their address sets
``verify_hostname = False`` on its subclass (then
``ssl_utils.HostNameIgnoreAdapter`` is mounted).
"""
import json

import requests
from oslo_log import log as logging

from delfin import exception
from delfin import ssl_utils
from delfin.i18n import _

LOG = logging.getLogger(__name__)

SOCKET_TIMEOUT = 10

_METHODS = ('POST', 'PUT', 'GET', 'DELETE')


class RestClient(object):
    """Session holder and request sender for one REST endpoint."""

    #: Check the certificate's host name when verifying TLS.
    verify_hostname = True

    def __init__(self, **kwargs):
        rest_access = kwargs.get('rest')
        if rest_access is None:
            raise exception.InvalidInput('Input rest_access is missing')
        self.rest_host = rest_access.get('host')
        self.rest_port = rest_access.get('port')
        self.rest_username = rest_access.get('username')
        # Kept encrypted; a driver decodes it right before use.
        self.rest_password = rest_access.get('password')
        self.san_address = 'https://%s:%s' % (self.rest_host,
                                              str(self.rest_port))
        self.session = None
        self.device_id = None
        if 'verify' in kwargs:
            self.verify = kwargs['verify']
        else:
            self.verify = ssl_utils.get_storage_ca_path() or False
        self.rest_auth_token = None

    def init_http_head(self):
        """Open a fresh session with JSON headers and the TLS settings."""
        if self.session:
            self.session.close()
        self.session = requests.Session()
        self.session.headers.update({
            'Connection': 'keep-alive',
            'Accept': 'application/json',
            'Content-Type': 'application/json',
        })
        self.session.verify = self.verify if self.verify else False
        # Proxy variables, .netrc and REQUESTS_CA_BUNDLE must not change
        # how the service reaches a backend.
        self.session.trust_env = False
        if self.verify_hostname:
            adapter = requests.adapters.HTTPAdapter()
        else:
            adapter = ssl_utils.get_host_name_ignore_adapter()
        self.session.mount('https://', adapter)

    def do_call(self, url, data, method, calltimeout=SOCKET_TIMEOUT):
        """Send one request and return the ``requests.Response``.

        `url` is appended to ``san_address`` unless it is absolute; `data`
        (when truthy) is sent as JSON; `method` is POST, PUT, GET or
        DELETE.  Transport errors become InvalidIpOrPort, ConnectTimeout,
        SSLCertificateFailed, SSLHandshakeFailed, StorageBackendException
        (read timeouts) or BadResponse.
        """
        if 'http' not in url and self.san_address:
            url = self.san_address + url
        kwargs = {'timeout': calltimeout}
        if data:
            kwargs['data'] = json.dumps(data)
        if method not in _METHODS:
            raise exception.StorageBackendException(
                _("Request method %s is invalid.") % method)
        send = getattr(self.session, method.lower())
        try:
            return send(url, **kwargs)
        except requests.exceptions.ConnectTimeout as e:
            LOG.error("Connect timeout on %s %s: %s", method, url, e)
            raise exception.InvalidIpOrPort()
        except requests.exceptions.ReadTimeout as e:
            LOG.error("Read timeout on %s %s: %s", method, url, e)
            raise exception.StorageBackendException(str(e))
        except requests.exceptions.SSLError as e:
            LOG.error("TLS error on %s %s: %s", method, url, e)
            if 'certificate verify failed' in str(e):
                raise exception.SSLCertificateFailed()
            raise exception.SSLHandshakeFailed()
        except Exception as e:
            LOG.error("Request %s %s failed: %s", method, url, e)
            text = str(e)
            if 'WSAETIMEDOUT' in text:
                raise exception.ConnectTimeout()
            if 'Failed to establish a new connection' in text:
                raise exception.InvalidIpOrPort()
            if 'Read timed out' in text:
                raise exception.StorageBackendException(text)
            raise exception.BadResponse()
