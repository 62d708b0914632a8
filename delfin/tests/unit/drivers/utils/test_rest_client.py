"""RestClient: Delfin's attributes, request building and the mapping of
transport errors to exceptions, against servers on loopback ports."""
import json

import pytest
import requests
from oslo_config import cfg

from delfin import exception
from delfin import ssl_utils
from delfin.drivers.utils import rest_client
from delfin.drivers.utils.rest_client import RestClient
from delfin.tests import local_http
from delfin.tests import tls_certs

CONF = cfg.CONF

# Several tests talk to servers without verifying them, on purpose.
pytestmark = pytest.mark.filterwarnings(
    'ignore::urllib3.exceptions.InsecureRequestWarning')


def _access(port, **extra):
    access = {'rest': {'host': '127.0.0.1', 'port': port,
                       'username': 'admin', 'password': 'encoded-secret'}}
    access.update(extra)
    return access


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    """A CA directory and two server certificates: one for 127.0.0.1
    issued by that CA, one self-signed by a stranger."""
    base = tmp_path_factory.mktemp('pki')
    authority = tls_certs.Authority()
    ca_dir = base / 'ca'
    ca_dir.mkdir()
    tls_certs.write_cert(ca_dir / 'ca.pem', authority.cert)
    ssl_utils.reload_certificate(str(ca_dir))
    key, cert = authority.issue(('127.0.0.1',))
    stranger = tls_certs.Authority('Stranger CA')
    s_key, s_cert = stranger.issue(('127.0.0.1',))
    return {
        'ca_dir': str(ca_dir),
        'good': (tls_certs.write_cert(base / 'good.pem', cert),
                 tls_certs.write_key(base / 'good.key', key)),
        'stranger': (tls_certs.write_cert(base / 'bad.pem', s_cert),
                     tls_certs.write_key(base / 'bad.key', s_key)),
    }


def test_socket_timeout_constant():
    assert rest_client.SOCKET_TIMEOUT == 10


def test_missing_rest_access_is_invalid_input():
    with pytest.raises(exception.InvalidInput) as info:
        RestClient(ssh={'host': 'h'})
    assert str(info.value) == \
        'Invalid input received. Input rest_access is missing'


def test_constructor_sets_delfin_attributes_without_io():
    client = RestClient(**_access(8443, verify='/etc/ca'))
    assert client.rest_host == '127.0.0.1'
    assert client.rest_port == 8443
    assert client.rest_username == 'admin'
    assert client.rest_password == 'encoded-secret'
    assert client.san_address == 'https://127.0.0.1:8443'
    assert client.session is None
    assert client.device_id is None
    assert client.rest_auth_token is None
    assert client.verify == '/etc/ca'


def test_verify_false_from_the_core_is_kept(tmp_path):
    CONF.set_override('ca_path', str(tmp_path), group='storage_driver')
    try:
        assert RestClient(**_access(1, verify=False)).verify is False
        # Built without the core's 'verify', the option still applies.
        assert RestClient(**_access(1)).verify == str(tmp_path)
    finally:
        CONF.clear_override('ca_path', group='storage_driver')
    assert RestClient(**_access(1)).verify is False


def test_init_http_head_prepares_a_json_session():
    client = RestClient(**_access(1, verify=False))
    client.init_http_head()
    session = client.session
    assert isinstance(session, requests.Session)
    assert session.headers['Accept'] == 'application/json'
    assert session.headers['Content-Type'] == 'application/json'
    assert session.headers['Connection'] == 'keep-alive'
    assert session.verify is False
    assert session.trust_env is False
    assert session.auth is None
    adapter = session.get_adapter('https://127.0.0.1:1/')
    assert not isinstance(adapter, ssl_utils.HostNameIgnoreAdapter)
    client.init_http_head()
    assert client.session is not session


def test_subclass_may_ask_to_ignore_host_names():
    class LaxClient(RestClient):
        verify_hostname = False

    client = LaxClient(**_access(1, verify='/ca'))
    client.init_http_head()
    assert client.session.verify == '/ca'
    assert isinstance(client.session.get_adapter('https://x/'),
                      ssl_utils.HostNameIgnoreAdapter)


def test_invalid_method_is_rejected_before_sending():
    client = RestClient(**_access(1, verify=False))
    client.init_http_head()
    with pytest.raises(exception.StorageBackendException) as info:
        client.do_call('/x', None, 'get')
    assert str(info.value) == \
        'Exception from Storage Backend: Request method get is invalid..'


def test_do_call_without_session_raises_attribute_error():
    client = RestClient(**_access(1, verify=False))
    with pytest.raises(AttributeError):
        client.do_call('/x', None, 'GET')


def test_relative_path_goes_to_san_address_with_json_body(pki):
    with local_http.serve(local_http.EchoHandler, *pki['good']) as port:
        client = RestClient(**_access(port, verify=pki['ca_dir']))
        client.init_http_head()
        res = client.do_call('/api/items?x=1', {'name': 'v1'}, 'POST')
        assert res.status_code == 200
        echoed = res.json()
        assert echoed['method'] == 'POST'
        assert echoed['path'] == '/api/items?x=1'
        assert json.loads(echoed['body']) == {'name': 'v1'}
        assert echoed['headers']['content-type'] == 'application/json'
        for method in ('GET', 'PUT', 'DELETE'):
            assert client.do_call('/m', None, method).json()['method'] \
                == method


@pytest.mark.parametrize('data', [None, {}, []])
def test_falsy_data_sends_no_body(pki, data):
    with local_http.serve(local_http.EchoHandler, *pki['good']) as port:
        client = RestClient(**_access(port, verify=False))
        client.init_http_head()
        assert client.do_call('/x', data, 'PUT').json()['body'] is None


def test_absolute_url_is_used_unchanged():
    with local_http.serve(local_http.EchoHandler) as port:
        client = RestClient(**_access(1, verify=False))
        client.init_http_head()
        res = client.do_call('http://127.0.0.1:%d/abs' % port, None, 'GET')
        assert res.json()['path'] == '/abs'


@pytest.mark.parametrize('status', [401, 404, 500, 503])
def test_error_statuses_are_returned_not_raised(pki, status):
    with local_http.serve(local_http.EchoHandler, *pki['good']) as port:
        client = RestClient(**_access(port, verify=False))
        client.init_http_head()
        assert client.do_call('/status/%d' % status, None, 'GET') \
            .status_code == status


def test_refused_port_is_invalid_ip_or_port():
    client = RestClient(**_access(local_http.unused_port(), verify=False))
    client.init_http_head()
    with pytest.raises(exception.InvalidIpOrPort):
        client.do_call('/x', None, 'GET')


def test_connect_timeout_is_invalid_ip_or_port():
    with local_http.silent_listener() as port:
        client = RestClient(**_access(port, verify=False))
        client.init_http_head()
        with pytest.raises(exception.InvalidIpOrPort):
            client.do_call('/x', None, 'GET', calltimeout=0.3)


def test_read_timeout_is_a_backend_exception(pki):
    with local_http.serve(local_http.EchoHandler, *pki['good']) as port:
        client = RestClient(**_access(port, verify=False))
        client.init_http_head()
        with pytest.raises(exception.StorageBackendException) as info:
            client.do_call('/slow', None, 'GET', calltimeout=0.3)
        assert 'timed out' in str(info.value)


def test_certificate_from_unknown_ca_fails_verification(pki):
    with local_http.serve(local_http.EchoHandler, *pki['stranger']) as port:
        client = RestClient(**_access(port, verify=pki['ca_dir']))
        client.init_http_head()
        with pytest.raises(exception.SSLCertificateFailed):
            client.do_call('/x', None, 'GET')
        # Without verification the same server is reachable.
        client.verify = False
        client.init_http_head()
        assert client.do_call('/x', None, 'GET').status_code == 200


def test_plain_http_server_is_a_handshake_failure():
    with local_http.serve(local_http.EchoHandler) as port:
        client = RestClient(**_access(port, verify=False))
        client.init_http_head()
        with pytest.raises(exception.SSLHandshakeFailed):
            client.do_call('/x', None, 'GET')


def test_missing_ca_path_is_a_bad_response(pki, tmp_path):
    with local_http.serve(local_http.EchoHandler, *pki['good']) as port:
        client = RestClient(**_access(port,
                                      verify=str(tmp_path / 'missing')))
        client.init_http_head()
        with pytest.raises(exception.BadResponse) as info:
            client.do_call('/x', None, 'GET')
        assert info.value.code == 500
