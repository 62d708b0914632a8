"""The Ceph driver against a real Ceph cluster (``ceph_cluster``): what the
service lists after a sync is what Ceph's own command line says, health
checks come and go as alerts, and a registration that cannot work says
why.

Byte counts that the cluster keeps changing by itself (its own metadata:
maps, logs, object maps) are compared within `SLACK`; everything else is
compared exactly.
"""
import socket
import ssl
import threading
import time

import pytest
from oslo_config import cfg

from delfin import context
from delfin import cryptor
from delfin import exception
from delfin.common import constants
from delfin.drivers.ceph import driver as ceph_driver
from delfin.tests import conftest
from delfin.tests import local_http
from delfin.tests import tls_certs

CONF = cfg.CONF
SLACK = 4 * 1024 ** 2


@pytest.fixture(scope='module', autouse=True)
def secret_key():
    """One key for the module: the storage registered by the first test
    is synced and polled with the password it stored."""
    CONF.set_override('secret_keys', [cryptor.generate_key()],
                      group='security')
    cryptor.reset()
    yield
    CONF.clear_override('secret_keys', group='security')
    cryptor.reset()


@pytest.fixture(scope='module')
def registered(service, ceph_cluster):
    """The cluster registered through the API, its first sync done."""
    status, storage = service.request('POST', '/v1/storages',
                                      ceph_cluster.access())
    assert status == 201, storage
    service.wait_idle(60)
    return storage


def _list(service, kind, storage_id):
    status, body = service.request(
        'GET', '/v1/%s?storage_id=%s&limit=1000' % (kind, storage_id))
    assert status == 200, body
    return body[kind.replace('-', '_')]


def _sync(service, storage_id):
    status, body = service.request('POST',
                                   '/v1/storages/%s/sync' % storage_id)
    assert status == 202, body
    service.wait_idle(120)


def _near(a, b):
    return abs(a - b) <= SLACK


def test_storage_is_the_cluster(service, ceph_cluster, registered):
    fsid = ceph_cluster.run('fsid').strip()
    stats = ceph_cluster.json('df')['stats']
    assert registered['serial_number'] == fsid
    assert registered['firmware_version'] == \
        ceph_cluster.json('version')['version'].split()[2]
    assert registered['total_capacity'] == stats['total_bytes']
    assert registered['raw_capacity'] == stats['total_bytes']
    assert _near(registered['used_capacity'], stats['total_used_raw_bytes'])
    assert _near(registered['free_capacity'], stats['total_avail_bytes'])
    status = ceph_cluster.json('health')['status']
    expected = {'HEALTH_OK': 'normal', 'HEALTH_WARN': 'degraded',
                'HEALTH_ERR': 'abnormal'}[status]
    assert registered['status'] == expected
    status, job = service.request(
        'GET', '/v1/storages/%s/jobs?limit=1' % registered['id'])
    assert job['jobs'][0]['state'] == 'succeeded', job


def test_pools_are_ceph_pools(service, ceph_cluster, registered):
    pools = {p['name']: p for p in
             _list(service, 'storage-pools', registered['id'])}
    assert sorted(pools) == sorted(ceph_cluster.json('osd', 'pool', 'ls'))
    for pool in ceph_cluster.json('df')['pools']:
        mine = pools[pool['name']]
        assert mine['native_storage_pool_id'] == str(pool['id'])
        assert _near(mine['used_capacity'], pool['stats']['stored'])
        assert _near(mine['free_capacity'], pool['stats']['max_avail'])
        assert mine['total_capacity'] == \
            mine['used_capacity'] + mine['free_capacity']
    assert pools[ceph_cluster.pool]['storage_type'] == 'block'


def test_volumes_are_rbd_images(service, ceph_cluster, registered):
    pool_id = {p['pool_name']: str(p['pool_id']) for p in
               ceph_cluster.json('osd', 'pool', 'ls', 'detail')}
    expected = {}
    for pool in ceph_cluster.json('osd', 'pool', 'ls'):
        if pool == 'device_health_metrics':
            continue
        usage = {i['name']: i['used_size'] for i in
                 ceph_cluster.json('rbd', 'du', '-p', pool)['images']}
        for image in ceph_cluster.json('rbd', 'ls', '-l', pool):
            expected['%s/%s' % (pool_id[pool], image['id'])] = (
                image['image'], pool_id[pool], image['size'],
                usage[image['image']])
    volumes = _list(service, 'volumes', registered['id'])
    assert {v['native_volume_id']: (
        v['name'], v['native_storage_pool_id'], v['total_capacity'],
        v['used_capacity']) for v in volumes} == expected
    assert len(expected) >= 2
    assert {v['type'] for v in volumes} == {'thin'}


def test_disks_are_osds(service, ceph_cluster, registered):
    disks = {d['name']: d for d in _list(service, 'disks', registered['id'])}
    assert sorted(disks) == sorted('osd.%d' % i for i in
                                   ceph_cluster.json('osd', 'ls'))
    for node in ceph_cluster.json('osd', 'df')['nodes']:
        disk = disks[node['name']]
        assert disk['capacity'] == node['kb'] * 1024
        assert disk['physical_type'] == node['device_class']
        assert disk['status'] == ('normal' if node['status'] == 'up'
                                  else disk['status'])


def test_controllers_are_mons_and_mgrs(service, ceph_cluster, registered):
    controllers = {c['name']: c for c in
                   _list(service, 'controllers', registered['id'])}
    mons = ['mon.%s' % m['name'] for m in
            ceph_cluster.json('mon', 'dump')['mons']]
    mgr = ceph_cluster.json('mgr', 'dump')
    mgrs = ['mgr.%s' % mgr['active_name']] + [
        'mgr.%s' % s['name'] for s in mgr['standbys']]
    assert sorted(controllers) == sorted(mons + mgrs)
    assert {c['status'] for c in controllers.values()} == {'normal'}


def test_capabilities(service, registered):
    status, body = service.request(
        'GET', '/v1/storages/%s/capabilities' % registered['id'])
    assert status == 200, body
    assert {(m['resource_type'], m['name']) for m in body['metrics']} >= {
        ('storagePool', 'readIops'), ('storagePool', 'writeThroughput'),
        ('disk', 'writeIops'), ('disk', 'readThroughput')}
    resources = body['resources']
    assert [k for k, v in resources.items() if v == 'supported'] == [
        'storage_pool', 'volume', 'controller', 'disk']


def test_performance_of_pools_and_osds(service, ceph_cluster, registered):
    from delfin.drivers import api as driver_api
    facade = driver_api.API()
    spec = facade.get_capabilities(None, registered['id'])['spec']
    end = int(time.time() * 1000)
    metrics = facade.collect_perf_metrics(
        None, registered['id'], spec['resource_metrics'], end - 300000,
        end + 1000)
    seen = {(m.labels['resource_type'], m.labels['resource_id'])
            for m in metrics}
    pools = {str(p['id']) for p in ceph_cluster.json('df')['pools']}
    osds = {'osd.%d' % i for i in ceph_cluster.json('osd', 'ls')}
    assert {r for t, r in seen if t == 'storagePool'} == pools
    assert {r for t, r in seen if t == 'disk'} == osds
    for metric in metrics:
        assert all(v >= 0 for v in metric.values.values())


def _alerts(service, storage_id, state):
    status, body = service.request(
        'GET', '/v1/storages/%s/alerts?state=%s' % (storage_id, state))
    assert status == 200, body
    return {a['alert_id']: a for a in body['alerts']}


def _poll_alerts(service, storage_id, code, state):
    """Ask for an alert poll; wait until alert ``code`` is in ``state``."""
    status, body = service.request(
        'POST', '/v1/storages/%s/alerts/sync' % storage_id, {})
    assert status in (200, 202), body
    return conftest.wait_for(
        lambda: _alerts(service, storage_id, state).get(code), timeout=60,
        interval=0.1, what='alert %s %s' % (code, state))


def _until_health(ceph_cluster, code, present):
    """Wait until the manager's API reports (or no longer reports) the
    health check ``code``, as the driver reads it."""
    driver = _driver(ceph_cluster)
    conftest.wait_for(
        lambda: (code in {a['alert_id'] for a in driver.list_alerts(None)})
        == present, timeout=60, interval=0.5,
        what='health check %s %s' % (code, 'raised' if present else 'gone'))


def test_health_check_is_an_alert_until_it_goes(
        service, ceph_cluster, registered):
    sid = registered['id']
    ceph_cluster.run('osd', 'set', 'noout')
    try:
        _until_health(ceph_cluster, 'OSDMAP_FLAGS', True)
        alert = _poll_alerts(service, sid, 'OSDMAP_FLAGS', 'open')
        assert alert['severity'] == 'Warning'
        assert 'noout' in alert['description']
        # Ceph's REST API cannot mute it: clearing says how instead.
        status, body = service.request(
            'DELETE', '/v1/storages/%s/alerts/OSDMAP_FLAGS' % sid)
        assert status == 500, body
        assert body['error_code'] == 'StorageClearAlertFailed'
        assert 'ceph health mute OSDMAP_FLAGS' in body['error_msg']
        assert 'OSDMAP_FLAGS' in _alerts(service, sid, 'open')
    finally:
        ceph_cluster.run('osd', 'unset', 'noout')
    _until_health(ceph_cluster, 'OSDMAP_FLAGS', False)
    _poll_alerts(service, sid, 'OSDMAP_FLAGS', 'cleared')
    assert 'OSDMAP_FLAGS' not in _alerts(service, sid, 'open')


# -- the driver and its session ---------------------------------------------

def _driver(ceph_cluster, **extra):
    access = ceph_cluster.access(**extra)
    password = cryptor.encode(access['rest']['password'])
    access['rest'] = dict(access['rest'], password=password)
    access.pop('vendor')
    access.pop('model')
    return ceph_driver.CephDriver(storage_id='s', **access)


def _logout(ceph_cluster, token):
    import requests
    response = requests.post(
        'http://127.0.0.1:%d/api/auth/logout' % ceph_cluster.port,
        headers={'Accept': 'application/vnd.ceph.api.v1.0+json',
                 'Authorization': 'Bearer %s' % token}, timeout=30)
    assert response.status_code == 200, response.text


def test_expired_token_logs_in_again(ceph_cluster):
    driver = _driver(ceph_cluster)
    fsid = driver.get_storage(None)['serial_number']
    first = driver.client._token
    _logout(ceph_cluster, first)     # the manager now answers it with 401
    assert driver.get_storage(None)['serial_number'] == fsid
    assert driver.client._token not in (None, first)


def test_refused_after_one_new_login(ceph_cluster):
    user, password = 'delfin-test-reader', 'Read-0nly-pw-1'
    ceph_cluster.run('dashboard', 'ac-user-create', user, '-i',
                     _password_file(ceph_cluster, password), 'read-only',
                     '--force-password')
    try:
        driver = _driver(ceph_cluster, rest={
            'host': '127.0.0.1', 'port': ceph_cluster.port,
            'username': user, 'password': password})
        assert driver.list_disks(None)
    finally:
        ceph_cluster.run('dashboard', 'ac-user-delete', user)
    # The user is gone: its token is refused, and so is the new login.
    with pytest.raises(exception.InvalidUsernameOrPassword) as caught:
        driver.list_disks(None)
    assert user in str(caught.value)


def test_missing_permission_is_named(ceph_cluster):
    user, password = 'delfin-test-pools', 'P00l-only-pw-1'
    ceph_cluster.run('dashboard', 'ac-user-create', user, '-i',
                     _password_file(ceph_cluster, password), 'pool-manager',
                     '--force-password')
    try:
        driver = _driver(ceph_cluster, rest={
            'host': '127.0.0.1', 'port': ceph_cluster.port,
            'username': user, 'password': password})
        assert driver.list_storage_pools(None)
        with pytest.raises(exception.NotAuthorized) as caught:
            driver.list_disks(None)
    finally:
        ceph_cluster.run('dashboard', 'ac-user-delete', user)
    assert 'GET /api/osd' in str(caught.value)
    assert caught.value.code == 403


def _password_file(ceph_cluster, password):
    import os
    path = os.path.join(ceph_cluster.state_dir, 'test-password')
    with open(path, 'w') as f:
        f.write(password)
    return path


# -- registration that cannot work ------------------------------------------

def _register_fails(service, body, code):
    started = time.monotonic()
    status, answer = service.request('POST', '/v1/storages', body)
    elapsed = time.monotonic() - started
    assert 400 <= status < 500, answer
    assert answer['error_code'] == code, answer
    return answer, elapsed


def test_wrong_password_is_refused(service, ceph_cluster):
    body = ceph_cluster.access()
    # Another name of the address: the cluster is registered already.
    body['rest']['host'] = 'localhost'
    body['rest']['password'] = 'not-' + ceph_cluster.password
    answer, _ = _register_fails(service, body, 'InvalidUsernameOrPassword')
    assert 'Invalid credentials' in answer['error_msg']
    assert ceph_cluster.password not in str(answer)


def test_unreachable_manager_is_refused_within_the_timeout(service,
                                                           ceph_cluster):
    with local_http.silent_listener() as port:
        body = ceph_cluster.access(extra_attributes={'scheme': 'http',
                                                     'timeout': '3'})
        body['rest']['port'] = port
        answer, elapsed = _register_fails(service, body, 'InvalidIpOrPort')
    assert 'No connection to 127.0.0.1:%d within 3' % port in \
        answer['error_msg']
    assert elapsed < 10


def test_closed_port_is_refused(service, ceph_cluster):
    body = ceph_cluster.access()
    body['rest']['port'] = local_http.unused_port()
    answer, _ = _register_fails(service, body, 'InvalidIpOrPort')
    assert 'Cannot connect to 127.0.0.1' in answer['error_msg']


def test_service_that_is_not_ceph_is_refused(service, ceph_cluster):
    with local_http.serve(local_http.EchoHandler) as port:
        body = ceph_cluster.access()
        body['rest']['port'] = port
        answer, _ = _register_fails(service, body, 'InvalidIpOrPort')
    assert 'is not the REST API of a Ceph manager' in answer['error_msg']


def test_https_to_the_plain_dashboard_names_the_scheme(service,
                                                       ceph_cluster):
    body = ceph_cluster.access(extra_attributes={})
    body['rest']['host'] = 'localhost'
    answer, _ = _register_fails(service, body, 'SSLHandshakeFailed')
    assert '"scheme": "http"' in answer['error_msg']


# -- TLS ----------------------------------------------------------------------

class _TlsFront(object):
    """A TLS endpoint in front of the plain-HTTP dashboard: what a
    manager with ``mgr/dashboard/ssl`` on looks like to a client."""

    def __init__(self, backend_port, cert_file, key_file):
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,),
                             daemon=True).start()

    def _serve(self, raw):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        upstream = socket.create_connection(('127.0.0.1',
                                             self.backend_port))
        threading.Thread(target=self._pump, args=(upstream, client),
                         daemon=True).start()
        self._pump(client, upstream)

    @staticmethod
    def _pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.listener.close()


@pytest.fixture(scope='module')
def tls_front(ceph_cluster, tmp_path_factory):
    base = tmp_path_factory.mktemp('ceph-tls')
    authority = tls_certs.Authority()
    key, cert = authority.issue(('127.0.0.1',))
    front = _TlsFront(ceph_cluster.port,
                      str(tls_certs.write_cert(base / 'mgr.pem', cert)),
                      str(tls_certs.write_key(base / 'mgr.key', key)))
    ca = tls_certs.write_cert(base / 'ca.pem', authority.cert)
    other = tls_certs.write_cert(base / 'other-ca.pem',
                                 tls_certs.Authority('Other CA').cert)
    yield front, str(ca), str(other)
    front.close()


def test_https_verified_against_the_configured_ca(service, ceph_cluster,
                                                  tls_front):
    front, ca, other = tls_front
    body = ceph_cluster.access(extra_attributes={})
    body['rest']['port'] = front.port
    CONF.set_override('ca_path', other, group='storage_driver')
    answer, _ = _register_fails(service, body, 'SSLCertificateFailed')
    assert 'ca_path' in answer['error_msg']
    CONF.set_override('ca_path', ca, group='storage_driver')
    from delfin.drivers import api as driver_api
    storage = driver_api.API().discover_storage(
        context.get_admin_context(),
        dict(body, rest=dict(body['rest'], password=cryptor.encode(
            body['rest']['password']))))
    assert storage['serial_number'] == ceph_cluster.run('fsid').strip()
    assert storage['status'] in constants.StorageStatus.ALL
