"""Registering a Swordfish service: how the driver logs in (Redfish session
or basic authentication), checks TLS, picks one system, and what a client
is told when the credentials are wrong, nothing answers, or what answers is
not a Swordfish service."""
import json
import time

import pytest
from oslo_config import cfg

from delfin.tests import conftest as base
from delfin.tests import local_http
from delfin.tests import tls_certs
from delfin.tests.functional.drivers.swordfish import auth_front
from delfin.tests.functional.drivers.swordfish import conftest
from delfin.tests.functional.drivers.swordfish import mockups

CONF = cfg.CONF
USER, PASSWORD = 'monitor', 'Sw0rdfish-secret'
MIDRANGE = 'midrange-replication-mockups'
SERVICE_BASED = 'service-based-mockups'


def _body(port, password=PASSWORD, **extra):
    extra.setdefault('scheme', 'http')
    return {'vendor': 'snia', 'model': 'swordfish',
            'rest': {'host': '127.0.0.1', 'port': port, 'username': USER,
                     'password': password},
            'extra_attributes': extra}


def _register(service, body):
    status, answer = service.request('POST', '/v1/storages', body)
    assert PASSWORD not in json.dumps(answer)
    return status, answer


@pytest.fixture
def front(sushy_static):
    fronts = []

    def make(name=MIDRANGE, **kw):
        f = auth_front.AuthFront('http://127.0.0.1:%d' % sushy_static[name],
                                 USER, PASSWORD, **kw)
        fronts.append(f)
        return f

    yield make
    for f in fronts:
        f.stop()


def _delete(service, storage_id):
    status, _ = service.request('DELETE', '/v1/storages/%s' % storage_id)
    assert status == 202
    service.wait_idle(30)


def _volumes(service, storage_id):
    status, body = service.request(
        'GET', '/v1/volumes?storage_id=%s&limit=1000' % storage_id)
    assert status == 200
    return body['volumes']


# -- authentication -----------------------------------------------------------

def test_redfish_session_is_used_where_offered(service, front):
    server = front(sessions=True)
    status, storage = _register(service, _body(server.port))
    assert status == 201, storage
    assert conftest.wait_job(service, storage['id'])['state'] == 'succeeded'
    assert len(_volumes(service, storage['id'])) == 8
    assert server.logins >= 1
    assert server.token_reads > 0
    assert server.basic_reads == 0
    _delete(service, storage['id'])


def test_basic_authentication_without_sessions(service, front):
    server = front(sessions=False)
    status, storage = _register(service, _body(server.port))
    assert status == 201, storage
    assert conftest.wait_job(service, storage['id'])['state'] == 'succeeded'
    assert len(_volumes(service, storage['id'])) == 8
    assert server.basic_reads > 0
    assert server.logins == 0
    _delete(service, storage['id'])


@pytest.mark.parametrize('sessions', [True, False])
def test_wrong_password_is_a_400_naming_it(service, front, sessions):
    server = front(sessions=sessions)
    status, answer = _register(service, _body(server.port, 'wrong-one'))
    assert status == 400
    assert answer['error_code'] == 'InvalidUsernameOrPassword'
    assert 'username or password' in answer['error_msg']
    assert server.token_reads == 0 and server.basic_reads == 0


def test_expired_session_logs_in_again(service, front):
    server = front(sessions=True)
    status, storage = _register(service, _body(server.port))
    assert status == 201
    assert conftest.wait_job(service, storage['id'])['state'] == 'succeeded'
    logins = server.logins
    server.expire_sessions()
    status, _ = service.request('POST', '/v1/storages/%s/sync'
                                % storage['id'])
    assert status == 202
    job = conftest.wait_job(service, storage['id'])
    assert job['state'] == 'succeeded', job
    assert job['trigger'] != 'register'
    assert server.logins == logins + 1
    _delete(service, storage['id'])
    # Removing the storage ends its session on the service.
    base.wait_for(lambda: server.logouts >= 1, 10, what='a logout')


# -- nothing there, or not Swordfish ------------------------------------------

def test_closed_port_is_a_400_naming_the_address(service):
    port = local_http.unused_port()
    status, answer = _register(service, _body(port))
    assert status == 400
    assert answer['error_code'] == 'InvalidIpOrPort'
    assert '127.0.0.1:%d' % port in answer['error_msg']


def test_silent_host_is_a_400_within_the_driver_timeout(service):
    with local_http.silent_listener() as port:
        started = time.monotonic()
        status, answer = _register(service, _body(port, timeout='1'))
        took = time.monotonic() - started
    assert status == 400
    assert answer['error_code'] == 'InvalidIpOrPort'
    assert 'within 1' in answer['error_msg']
    assert took < 10


def test_http_server_without_redfish_is_a_404_saying_so(service, tmp_path,
                                                        start_sushy):
    server = start_sushy(str(tmp_path))
    status, answer = _register(service, _body(server.port))
    assert status == 404
    assert answer['error_code'] == 'StorageBackendNotFound'
    assert 'No Swordfish service' in answer['error_msg']
    assert 'HTTP 404' in answer['error_msg']


def test_json_service_that_is_not_redfish_is_a_404_saying_so(service):
    with local_http.serve(local_http.EchoHandler) as port:
        status, answer = _register(service, _body(port))
    assert status == 404
    assert answer['error_code'] == 'StorageBackendNotFound'
    assert 'not a Redfish service root' in answer['error_msg']


def test_redfish_without_storage_is_a_404_saying_so(service, tmp_path,
                                                    start_sushy):
    root = tmp_path / 'index.json'
    root.write_text(json.dumps({
        '@odata.id': '/redfish/v1', 'Id': 'RootService',
        'RedfishVersion': '1.18.0',
        'Systems': {'@odata.id': '/redfish/v1/Systems'}}))
    server = start_sushy(str(tmp_path))
    status, answer = _register(service, _body(server.port))
    assert status == 404
    assert 'neither Storage nor StorageServices' in answer['error_msg']


# -- TLS ---------------------------------------------------------------------

@pytest.fixture
def tls(tmp_path):
    authority = tls_certs.Authority()
    ca_file = tls_certs.write_cert(tmp_path / 'ca.pem', authority.cert)

    def pair(cert_authority, name):
        key, cert = cert_authority.issue(('127.0.0.1',))
        return (str(tls_certs.write_cert(tmp_path / (name + '.pem'), cert)),
                str(tls_certs.write_key(tmp_path / (name + '.key'), key)))

    CONF.set_override('ca_path', str(ca_file), group='storage_driver')
    yield {'good': pair(authority, 'good'),
           'stranger': pair(tls_certs.Authority('Other CA'), 'stranger')}
    CONF.clear_override('ca_path', group='storage_driver')


def test_https_is_verified_against_the_ca_path(service, tls, start_sushy):
    folder = conftest.mockup_folder(MIDRANGE)
    good = start_sushy(folder, *tls['good'])
    body = _body(good.port)
    del body['extra_attributes']
    status, storage = _register(service, body)
    assert status == 201, storage
    assert conftest.wait_job(service, storage['id'])['state'] == 'succeeded'
    assert len(_volumes(service, storage['id'])) == 8
    _delete(service, storage['id'])

    stranger = start_sushy(folder, *tls['stranger'])
    body['rest']['port'] = stranger.port
    status, answer = _register(service, body)
    assert status == 400
    assert answer['error_code'] == 'SSLCertificateFailed'


# -- one system of several ------------------------------------------------

def test_system_attribute_picks_one_system(service, sushy_static):
    wanted = '/redfish/v1/StorageServices/2'
    mockup = mockups.MockupSet(conftest.mockup_folder(SERVICE_BASED))
    status, storage = _register(service, _body(
        sushy_static[SERVICE_BASED], system=wanted))
    assert status == 201, storage
    assert conftest.wait_job(service, storage['id'])['state'] == 'succeeded'
    pools_link = mockup.systems()[wanted]['StoragePools']['@odata.id']
    expected = set(mockup._members(pools_link, {}))
    status, body = service.request(
        'GET', '/v1/storage-pools?storage_id=%s' % storage['id'])
    assert {p['native_storage_pool_id'] for p in body['storage_pools']} == \
        expected
    assert storage['name'] == mockup.systems()[wanted]['Name']
    _delete(service, storage['id'])


def test_unknown_system_is_a_404_listing_the_systems(service, sushy_static):
    status, answer = _register(service, _body(
        sushy_static[SERVICE_BASED], system='NoSuchSystem'))
    assert status == 404
    assert "'NoSuchSystem'" in answer['error_msg']
    assert '/redfish/v1/StorageServices/Simple1' in answer['error_msg']
