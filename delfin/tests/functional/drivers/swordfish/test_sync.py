"""Each of SNIA's Swordfish mockup sets, served by sushy-static, registered
with the service and synced: what the API lists afterwards is what the
mockup's JSON files hold (computed from the files, not by the driver)."""
import pytest

from delfin.tests import conftest as base
from delfin.tests.functional.drivers.swordfish import conftest
from delfin.tests.functional.drivers.swordfish import mockups

SETS = mockups.SETS


@pytest.fixture(scope='module')
def registered(service, sushy_static):
    """All four sets registered at once (they share one service UUID),
    each synced once: {set name: storage}."""
    storages = {}
    for name in SETS:
        status, body = service.request('POST', '/v1/storages', {
            'vendor': 'snia', 'model': 'swordfish',
            'rest': {'host': '127.0.0.1', 'port': sushy_static[name],
                     'username': 'monitor', 'password': 'any-password'},
            'extra_attributes': {'scheme': 'http'}})
        assert status == 201, body
        storages[name] = body
    for body in storages.values():
        conftest.wait_job(service, body['id'])
    return storages


def _list(service, path, storage_id):
    status, body = service.request(
        'GET', '/v1/%s?storage_id=%s&limit=1000' % (path, storage_id))
    assert status == 200, body
    key = path.replace('-', '_')
    assert body['total'] == len(body[key])
    return body[key]


def _mockup(name):
    return mockups.MockupSet(conftest.mockup_folder(name))


def test_every_set_is_registered_with_its_own_serial(registered):
    serials = {s['serial_number'] for s in registered.values()}
    assert len(serials) == len(SETS)


@pytest.mark.parametrize('name', SETS)
def test_sync_succeeds(service, registered, name):
    storage_id = registered[name]['id']
    status, body = service.request('GET',
                                   '/v1/storages/%s/jobs' % storage_id)
    assert status == 200
    job = body['jobs'][0]
    assert job['state'] == 'succeeded', job
    status, storage = service.request('GET', '/v1/storages/%s' % storage_id)
    assert storage['sync_status'] == 'SYNCED'


@pytest.mark.parametrize('name', SETS)
def test_pools_are_the_mockups(service, registered, name):
    expected = _mockup(name).pools()
    pools = _list(service, 'storage-pools', registered[name]['id'])
    assert {p['native_storage_pool_id']: p['name'] for p in pools} == {
        uri: mockups.expected_name(p) for uri, p in expected.items()}
    for pool in pools:
        data = expected[pool['native_storage_pool_id']]['Capacity']['Data']
        assert pool['total_capacity'] == data['AllocatedBytes']
        assert pool['used_capacity'] == data.get('ConsumedBytes', 0)
    total = sum(p['total_capacity'] for p in pools)
    status, storage = service.request(
        'GET', '/v1/storages/%s' % registered[name]['id'])
    assert storage['total_capacity'] == total


@pytest.mark.parametrize('name', SETS)
def test_volumes_are_the_mockups(service, registered, name):
    expected = _mockup(name).volumes()
    pools = set(_mockup(name).pools())
    volumes = _list(service, 'volumes', registered[name]['id'])
    assert {v['native_volume_id'] for v in volumes} == set(expected)
    for volume in volumes:
        source = expected[volume['native_volume_id']]
        assert volume['name'] == mockups.expected_name(source)
        assert volume['total_capacity'] == mockups.expected_size(source)
        # Members live under StoragePools/<pool>/AllocatedVolumes/<id>.
        pool = volume['native_volume_id'].split('/AllocatedVolumes/')[0]
        # A volume outside any pool: the API shows "" for the id (never
        # null, as the SODA dashboard needs).
        assert volume['native_storage_pool_id'] == (
            pool if pool in pools else '')


@pytest.mark.parametrize('name', SETS)
def test_disks_are_the_mockups(service, registered, name):
    expected = _mockup(name).drives()
    disks = _list(service, 'disks', registered[name]['id'])
    assert {d['native_disk_id'] for d in disks} == set(expected)
    for disk in disks:
        drive = expected[disk['native_disk_id']]
        assert disk['name'] == mockups.expected_name(drive)
        assert disk['capacity'] == drive.get('CapacityBytes', 0)
        assert disk['serial_number'] == drive.get('SerialNumber')


@pytest.mark.parametrize('name', SETS)
def test_controllers_are_the_mockups(service, registered, name):
    expected = _mockup(name).controllers()
    controllers = _list(service, 'controllers', registered[name]['id'])
    assert {c['native_controller_id'] for c in controllers} == set(expected)
    for controller in controllers:
        source = expected[controller['native_controller_id']]
        assert controller['soft_version'] == source.get('FirmwareVersion')


@pytest.mark.parametrize('name', SETS)
def test_filesystems_and_shares_are_the_mockups(service, registered, name):
    mockup = _mockup(name)
    storage_id = registered[name]['id']
    expected = mockup.filesystems()
    filesystems = _list(service, 'filesystems', storage_id)
    assert {f['native_filesystem_id']: f['name'] for f in filesystems} == {
        uri: mockups.expected_name(f) for uri, f in expected.items()}
    for fs in filesystems:
        source = expected[fs['native_filesystem_id']]
        assert fs['total_capacity'] == mockups.expected_size(source)
    shares = _list(service, 'shares', storage_id)
    expected_shares = mockup.shares()
    if name in ('filesystem-with-backend-storage-mockups',
                'service-based-mockups'):
        assert expected and expected_shares
    assert {s['native_share_id']: (s['path'], s['native_filesystem_id'])
            for s in shares} == {
        uri: (share.get('FileSharePath'), fs_uri)
        for uri, (share, fs_uri) in expected_shares.items()}


def test_the_issue_counts_hold(service, registered):
    """The sizes SNIA's sets are known for, as a check on the reader."""
    counts = {}
    for name in ('midrange-replication-mockups', 'service-based-mockups'):
        sid = registered[name]['id']
        counts[name] = tuple(len(_list(service, kind, sid)) for kind in (
            'storage-pools', 'volumes', 'disks', 'controllers'))
    assert counts['midrange-replication-mockups'] == (2, 8, 16, 2)
    assert counts['service-based-mockups'][:3] == (9, 17, 28)


def test_unhealthy_volumes_are_open_alerts(service, registered):
    name = 'service-based-mockups'
    storage_id = registered[name]['id']
    status, _ = service.request('POST', '/v1/storages/%s/alerts/sync'
                                % storage_id, {})
    assert status in (200, 202)
    warned = {u for u, v in _mockup(name).volumes().items()
              if v.get('Status', {}).get('Health') == 'Warning'}
    assert warned

    def alerts():
        status, body = service.request('GET', '/v1/storages/%s/alerts'
                                       % storage_id)
        assert status == 200
        return body['alerts']

    base.wait_for(alerts, 30, what='alerts of the service-based set')
    located = {a['location'] for a in alerts()
               if a['resource_type'] == 'volume'}
    assert located == warned
    assert {a['severity'] for a in alerts()} == {'Warning'}


def test_capabilities_list_volume_metrics_of_the_telemetry_set(
        service, registered):
    storage_id = registered['direct-attach-with-telemetry']['id']
    status, body = service.request('GET', '/v1/storages/%s/capabilities'
                                   % storage_id)
    assert status == 200, body
    metrics = body['spec']['resource_metrics']
    assert set(metrics) == {'volume'}
    assert metrics['volume']['readIops']['unit'] == 'IOPS'
    assert body['resources']['volume'] == 'supported'
    assert body['resources']['port'] == 'unsupported'
