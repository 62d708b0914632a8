"""A REST driver written in Delfin's style, unchanged, against an HTTPS
backend on a loopback port: inventory, alerts, performance, TLS
verification from the CA directory, and Delfin's error mapping."""
import time

import pytest
from oslo_config import cfg

from delfin import context
from delfin import cryptor
from delfin import exception
from delfin import ssl_utils
from delfin.common import constants
from delfin.tests import local_http
from delfin.tests import tls_certs
from delfin.tests.functional.drivers import acme_rest_backend
from delfin.tests.functional.drivers.delfin_style import rest_driver

CONF = cfg.CONF
USERNAME, PASSWORD = 'admin', 'S3cret!pw'
GiB, TiB = 2 ** 30, 2 ** 40

pytestmark = pytest.mark.filterwarnings(
    'ignore::urllib3.exceptions.InsecureRequestWarning')


@pytest.fixture(autouse=True)
def utc_host(monkeypatch):
    """The driver reads alert times as host-local time; pin it to UTC."""
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope='module', autouse=True)
def secret_keys():
    CONF.set_override('secret_keys', [cryptor.generate_key()],
                      group='security')
    cryptor.reset()
    yield
    CONF.clear_override('secret_keys', group='security')
    cryptor.reset()


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    base = tmp_path_factory.mktemp('rest-pki')
    authority = tls_certs.Authority()
    ca_dir = base / 'ca'
    ca_dir.mkdir()
    tls_certs.write_cert(ca_dir / 'acme-ca.pem', authority.cert)
    ssl_utils.reload_certificate(str(ca_dir) + '/')

    def pair(name, cert_authority, hosts):
        key, cert = cert_authority.issue(hosts)
        return (tls_certs.write_cert(base / (name + '.pem'), cert),
                tls_certs.write_key(base / (name + '.key'), key))

    return {
        'ca_dir': str(ca_dir),
        'good': pair('good', authority, ('127.0.0.1', 'localhost')),
        'wrong_name': pair('wrong-name', authority, ('array.example',)),
        'stranger': pair('stranger', tls_certs.Authority('Other CA'),
                         ('127.0.0.1',)),
    }


@pytest.fixture
def backend():
    return acme_rest_backend.Backend(USERNAME, PASSWORD)


@pytest.fixture
def serve(backend, pki):
    def start(cert='good'):
        return local_http.serve(backend.handler_class(), *pki[cert])
    return start


def access_info(port, password=PASSWORD, **extra):
    """What the core hands a driver: the password encrypted, and the CA
    path as ``verify``."""
    info = {'storage_id': 'storage-1', 'vendor': 'acme',
            'model': 'rest_array',
            'rest': {'host': '127.0.0.1', 'port': port,
                     'username': USERNAME,
                     'password': cryptor.encode(password)}}
    info.update(extra)
    return info


@pytest.fixture
def ctx():
    admin = context.get_admin_context()
    admin.storage_id = 'storage-1'
    return admin


def test_inventory_over_verified_tls(serve, pki, ctx, backend):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(
            **access_info(port, verify=pki['ca_dir']))
        storage = driver.get_storage(ctx)
        assert storage == {
            'name': 'acme-rest-01', 'vendor': 'Acme', 'model': 'FS-4000',
            'status': constants.StorageStatus.NORMAL,
            'serial_number': 'ACME2024REST01', 'firmware_version': '7.2.0',
            'location': 'rack 12', 'total_capacity': int(1.5 * TiB),
            'used_capacity': 512 * GiB, 'free_capacity': 1024 * GiB,
            'raw_capacity': 2 * TiB,
        }
        pools = driver.list_storage_pools(ctx)
        assert [(p['native_storage_pool_id'], p['status'],
                 p['free_capacity']) for p in pools] == [
            ('p1', 'normal', 768 * GiB), ('p2', 'degraded', 256 * GiB)]
        assert all(p['storage_id'] == 'storage-1' for p in pools)
        volumes = driver.list_volumes(ctx)
        assert [(v['native_volume_id'], v['native_storage_pool_id'],
                 v['type'], v['status']) for v in volumes] == [
            ('v1', 'p1', 'thin', 'available'),
            ('v2', 'p1', 'thick', 'available'),
            ('v3', 'p2', 'thin', 'error')]
        assert volumes[2]['total_capacity'] == TiB
        assert backend.logins == 1
        driver.close_connection()
        assert backend.tokens == set()


def test_token_is_kept_encrypted_and_renewed(serve, pki, ctx, backend):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(
            **access_info(port, verify=pki['ca_dir']))
        driver.get_storage(ctx)
        client = driver.rest_client
        (token,) = backend.tokens
        assert client.rest_auth_token != token
        assert cryptor.decode(client.rest_auth_token) == token
        # The backend forgets the session: the driver logs in again.
        backend.tokens.clear()
        assert driver.list_volumes(ctx)
        assert backend.logins == 2


def test_alerts_in_time_range_and_clearing(serve, ctx, backend):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(**access_info(port,
                                                          verify=False))
        every = driver.list_alerts(ctx)
        assert [a['sequence_number'] for a in every] == \
            ['1001', '1002', '1003']
        first = every[0]
        assert first['occur_time'] == 1704164645000  # 2024-01-02 03:04:05Z
        assert first['severity'] == constants.Severity.CRITICAL
        assert first['resource_type'] == constants.DEFAULT_RESOURCE_TYPE
        window = {'begin_time': 1704240000000,   # 2024-01-03 00:00Z
                  'end_time': 1704412800000}     # 2024-01-05 00:00Z
        assert [a['sequence_number']
                for a in driver.list_alerts(ctx, window)] == ['1002', '1003']
        assert [a['sequence_number'] for a in driver.list_alerts(
            ctx, {'begin_time': 1704412800001})] == []

        driver.clear_alert(ctx, '1002')
        assert [a['sequence_number'] for a in driver.list_alerts(ctx)] == \
            ['1001', '1003']
        with pytest.raises(exception.StorageClearAlertFailed):
            driver.clear_alert(ctx, '1002')


def test_parse_alert_is_called_on_the_class(ctx):
    oids = rest_driver.TRAP_OIDS
    trap = {oids['sequence']: '77', oids['code']: '0x0201',
            oids['severity']: 'major', oids['message']: 'Fan 2 failed',
            oids['time']: '1704164645000'}
    alert = rest_driver.AcmeRestDriver.parse_alert(ctx, trap)
    assert alert['severity'] == constants.Severity.MAJOR
    assert alert['occur_time'] == 1704164645000
    assert alert['sequence_number'] == '77'
    with pytest.raises(exception.InvalidResults) as info:
        rest_driver.AcmeRestDriver.parse_alert(ctx, {})
    assert info.value.code == 400


def test_capabilities_and_performance(serve, ctx):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(**access_info(port,
                                                          verify=False))
        caps = driver.get_capabilities(ctx)
        storage_metrics = caps['resource_metrics']['storage']
        assert storage_metrics['iops']['unit'] == 'IOPS'
        metrics = driver.collect_perf_metrics(
            ctx, 'storage-1', caps['resource_metrics'],
            1704164400000, 1704164700000)
        by_name = {m.name: m for m in metrics}
        assert by_name['iops'].values == {1704164400000: 1200,
                                          1704164700000: 1350}
        assert by_name['throughput'].labels['unit'] == 'MB/s'
        assert isinstance(metrics[0], constants.metric_struct)


def test_ca_path_from_configuration_without_trailing_slash(serve, pki, ctx):
    CONF.set_override('ca_path', pki['ca_dir'].rstrip('/'),
                      group='storage_driver')
    try:
        with serve() as port:
            # No 'verify' key: the client falls back to [storage_driver].
            driver = rest_driver.AcmeRestDriver(**access_info(port))
            assert driver.get_storage(ctx)['serial_number'] == \
                'ACME2024REST01'
    finally:
        CONF.clear_override('ca_path', group='storage_driver')


def test_wrong_password_is_invalid_username_or_password(serve, ctx):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(
            **access_info(port, password='wrong', verify=False))
        with pytest.raises(exception.InvalidUsernameOrPassword) as info:
            driver.get_storage(ctx)
        assert info.value.code == 400


def test_refused_port_is_invalid_ip_or_port(ctx):
    driver = rest_driver.AcmeRestDriver(
        **access_info(local_http.unused_port(), verify=False))
    with pytest.raises(exception.InvalidIpOrPort):
        driver.get_storage(ctx)


def test_certificate_of_an_unknown_ca_is_refused(serve, pki, ctx):
    with serve('stranger') as port:
        for cls in (rest_driver.AcmeRestDriver,
                    rest_driver.AcmeLaxRestDriver):
            driver = cls(**access_info(port, verify=pki['ca_dir']))
            with pytest.raises(exception.SSLCertificateFailed):
                driver.get_storage(ctx)
        # Verification off (no CA path configured): accepted.
        driver = rest_driver.AcmeRestDriver(**access_info(port,
                                                          verify=False))
        assert driver.get_storage(ctx)['name'] == 'acme-rest-01'


def test_host_name_is_checked_unless_the_driver_opts_out(serve, pki, ctx):
    with serve('wrong_name') as port:
        strict = rest_driver.AcmeRestDriver(
            **access_info(port, verify=pki['ca_dir']))
        with pytest.raises(exception.SSLCertificateFailed):
            strict.get_storage(ctx)
        lax = rest_driver.AcmeLaxRestDriver(
            **access_info(port, verify=pki['ca_dir']))
        assert lax.get_storage(ctx)['name'] == 'acme-rest-01'


def test_plain_http_port_is_a_handshake_failure(backend, ctx):
    with local_http.serve(backend.handler_class()) as port:
        driver = rest_driver.AcmeRestDriver(**access_info(port,
                                                          verify=False))
        with pytest.raises(exception.SSLHandshakeFailed):
            driver.get_storage(ctx)


def test_reset_connection_logs_in_again(serve, pki, ctx, backend):
    with serve() as port:
        driver = rest_driver.AcmeRestDriver(**access_info(port,
                                                          verify=False))
        driver.get_storage(ctx)
        driver.reset_connection(ctx, verify=pki['ca_dir'])
        assert driver.rest_client.verify == pki['ca_dir']
        assert backend.logins == 2 and len(backend.tokens) == 1
        assert driver.get_storage(ctx)['status'] == 'normal'
