"""The Ceph driver on answers recorded from a Ceph 16.2 cluster.

``fixtures/`` of the driver holds what the manager answered with the
cluster's ``noout`` flag set (one health check); ``fixtures/healthy`` the
same cluster without it; ``fixtures/wrong-password`` its answer to a wrong
password.  Expected values are read from the recorded answers, so the
tests hold for any re-recording.
"""
import json
import os

import pytest

from delfin import cryptor
from delfin import exception
from delfin.common import constants
from delfin.drivers.ceph import client as backend
from delfin.drivers.ceph import driver as ceph_driver
from delfin.sdk import conformance

FIXTURES = backend.FIXTURES
SAMPLES = os.path.join(os.path.dirname(FIXTURES), 'samples')


def recorded(name, folder=FIXTURES):
    with open(os.path.join(folder, name), encoding='utf-8') as f:
        return json.load(f)['body']


def replaying(folder=FIXTURES):
    """A driver answering from ``folder``; call inside
    conformance.ephemeral_secret_key()."""
    info = conformance.encrypt_access_info(conformance.load_data_file(
        os.path.join(SAMPLES, 'access_info.yaml')))
    info['extra_attributes'] = {'replay': folder}
    info.pop('storage_id', None)
    return ceph_driver.CephDriver(storage_id='storage-1', **info)


@pytest.fixture
def driver():
    with conformance.ephemeral_secret_key():
        yield replaying()


def test_conformance_on_recorded_answers():
    report = conformance.run_check(
        'ceph', 'ceph', conformance.load_data_file(
            os.path.join(SAMPLES, 'access_info.yaml')))
    problems = [v.as_dict() for v in report.violations
                if v.severity == 'error']
    assert report.passed, json.dumps(problems, indent=2)
    counts = {name: report.interface(name).counts for name in (
        'list_storage_pools', 'list_volumes', 'list_disks',
        'list_controllers', 'list_alerts')}
    assert counts['list_volumes']['volume'] == 2
    assert counts['list_storage_pools']['storage_pool'] == 2
    assert counts['list_disks']['disk'] == 1
    assert counts['list_controllers']['controller'] == 2
    assert counts['list_alerts']['alerts'] == 1


def test_storage_is_the_cluster(driver):
    storage = driver.get_storage(None)
    fsid = recorded('GET_api_monitor.json')['mon_status']['monmap']['fsid']
    stats = recorded('GET_api_health_minimal.json')['df']['stats']
    assert storage['serial_number'] == fsid
    assert storage['name'] == 'ceph-' + fsid.split('-')[0]
    assert storage['firmware_version'] == '16.2.15'
    assert storage['description'].startswith('ceph version 16.2.15 ')
    # HEALTH_WARN (noout) is degraded.
    assert storage['status'] == constants.StorageStatus.DEGRADED
    assert storage['total_capacity'] == stats['total_bytes']
    assert storage['raw_capacity'] == stats['total_bytes']
    assert storage['used_capacity'] == stats['total_used_raw_bytes']
    assert storage['free_capacity'] == stats['total_avail_bytes']


def test_healthy_cluster_is_normal():
    with conformance.ephemeral_secret_key():
        storage = replaying(os.path.join(FIXTURES, 'healthy')).get_storage(
            None)
    assert storage['status'] == constants.StorageStatus.NORMAL


def test_pools_hold_stored_bytes_and_what_remains(driver):
    pools = {p['name']: p for p in driver.list_storage_pools(None)}
    raw = {p['pool_name']: p for p in recorded(
        'GET_api_pool__stats=true.json')}
    assert set(pools) == set(raw) == {'device_health_metrics', 'rbdpool'}
    for name, pool in pools.items():
        stats = raw[name]['stats']
        assert pool['native_storage_pool_id'] == str(raw[name]['pool'])
        assert pool['used_capacity'] == stats['stored']['latest']
        assert pool['free_capacity'] == stats['max_avail']['latest']
        assert pool['total_capacity'] == \
            pool['used_capacity'] + pool['free_capacity']
        assert pool['status'] == constants.StoragePoolStatus.NORMAL
    assert pools['rbdpool']['storage_type'] == constants.StorageType.BLOCK
    assert pools['rbdpool']['used_capacity'] > 0


def test_pool_quota_limits_what_remains(driver):
    pool = recorded('GET_api_pool__stats=true.json')[-1]
    stored = pool['stats']['stored']['latest']
    pool['quota_max_bytes'] = stored + 1000
    mapped = driver._pool(pool)
    assert mapped['free_capacity'] == 1000
    assert mapped['total_capacity'] == stored + 1000


@pytest.mark.parametrize('pgs, status', [
    ({'active+clean': 32}, constants.StoragePoolStatus.NORMAL),
    ({'active+clean': 30, 'active+clean+scrubbing+deep': 2},
     constants.StoragePoolStatus.NORMAL),
    ({'active+clean': 30, 'active+undersized+degraded': 2},
     constants.StoragePoolStatus.DEGRADED),
    ({'active+clean': 30, 'peering': 2}, constants.StoragePoolStatus.ABNORMAL),
    ({}, constants.StoragePoolStatus.UNKNOWN),
])
def test_pool_status_follows_its_placement_groups(pgs, status):
    assert ceph_driver.CephDriver._pool_status(pgs) == status


def test_volumes_are_rbd_images(driver):
    volumes = {v['name']: v for v in driver.list_volumes(None)}
    images = {i['name']: i for group in recorded(
        'GET_api_block_image__limit=100&offset=0.json')
        for i in group['value']}
    pool_ids = {p['pool_name']: str(p['pool'])
                for p in recorded('GET_api_pool.json')}
    assert set(volumes) == set(images) == {'vol1', 'vol2'}
    for name, volume in volumes.items():
        image = images[name]
        pool_id = pool_ids[image['pool_name']]
        assert volume['native_volume_id'] == '%s/%s' % (pool_id, image['id'])
        assert volume['native_storage_pool_id'] == pool_id
        assert volume['total_capacity'] == image['size']
        assert volume['used_capacity'] == image['disk_usage']
        assert volume['free_capacity'] == image['size'] - image['disk_usage']
        assert volume['type'] == constants.VolumeType.THIN
        assert volume['status'] == constants.VolumeStatus.AVAILABLE
    # 64 MiB were written into vol1 when the cluster was made.
    assert volumes['vol1']['used_capacity'] == 64 * 1024 ** 2


def test_image_without_fast_diff_has_no_used_bytes(driver):
    image = recorded('GET_api_block_image__limit=100&offset=0.json')[0][
        'value'][0]
    image['disk_usage'] = None
    volume = driver._volume(image, {})
    assert volume['used_capacity'] is None
    assert volume['free_capacity'] is None
    assert volume['total_capacity'] == image['size']


def test_disks_are_osds(driver):
    disks = driver.list_disks(None)
    osds = recorded('GET_api_osd.json')
    assert [d['native_disk_id'] for d in disks] == \
        ['osd.%d' % o['osd'] for o in osds]
    disk, osd = disks[0], osds[0]
    assert disk['capacity'] == osd['stats']['stat_bytes'] > 0
    assert disk['physical_type'] == constants.DiskPhysicalType.HDD
    assert disk['status'] == constants.DiskStatus.NORMAL
    assert disk['logical_type'] == constants.DiskLogicalType.MEMBER
    assert disk['serial_number'] == osd['uuid']


@pytest.mark.parametrize('up, in_, status, logical', [
    (1, 1, constants.DiskStatus.NORMAL, constants.DiskLogicalType.MEMBER),
    (1, 0, constants.DiskStatus.DEGRADED, constants.DiskLogicalType.FREE),
    (0, 1, constants.DiskStatus.ABNORMAL, constants.DiskLogicalType.MEMBER),
    (0, 0, constants.DiskStatus.OFFLINE, constants.DiskLogicalType.FREE),
])
def test_osd_up_and_in_give_the_disk_status(driver, up, in_, status,
                                            logical):
    osd = dict(recorded('GET_api_osd.json')[0], up=up)
    osd['in'] = in_
    disk = driver._disk(osd)
    assert (disk['status'], disk['logical_type']) == (status, logical)


def test_controllers_are_mon_and_mgr_daemons(driver):
    controllers = {c['name']: c for c in driver.list_controllers(None)}
    assert set(controllers) == {'mon.a', 'mgr.x'}
    for controller in controllers.values():
        assert controller['status'] == constants.ControllerStatus.NORMAL
        assert controller['soft_version'] == '16.2.15'
        assert controller['location'] == 'vm'
        assert controller['mgmt_ip'] == '127.0.0.1'


def test_health_check_is_an_alert(driver):
    alerts = driver.list_alerts(None)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert['alert_id'] == alert['match_key'] == 'OSDMAP_FLAGS'
    assert alert['sequence_number'] == 'OSDMAP_FLAGS'
    assert alert['severity'] == constants.Severity.WARNING
    assert alert['category'] == constants.Category.FAULT
    assert alert['description'] == 'noout flag(s) set'
    assert alert['recovery_advice'].endswith('#osdmap-flags')


def test_alert_keeps_its_time_while_the_check_lasts():
    with conformance.ephemeral_secret_key():
        driver = replaying()
        first = driver.list_alerts(None)[0]['occur_time']
        assert driver.list_alerts(None)[0]['occur_time'] == first
        # The check goes away, then comes back: a new episode.
        driver.client = replaying(os.path.join(FIXTURES, 'healthy')).client
        assert driver.list_alerts(None) == []
        driver.client = replaying().client
        again = driver.list_alerts(None)[0]['occur_time']
    assert again >= first
    assert driver.list_alerts(None, {'begin_time': again + 1}) == []
    assert len(driver.list_alerts(None, {'begin_time': again,
                                         'end_time': again})) == 1


def test_muted_check_says_so(driver):
    check = recorded('GET_api_health_minimal.json')['health']['checks'][0]
    check['muted'] = True
    assert driver._alert(check, 1)['description'].endswith(
        '(muted in Ceph)')


def test_clear_alert_names_the_ceph_command(driver):
    with pytest.raises(exception.StorageClearAlertFailed) as caught:
        driver.clear_alert(None, 'OSDMAP_FLAGS')
    assert 'ceph health mute OSDMAP_FLAGS' in str(caught.value)


def test_wrong_password_is_refused_by_name():
    with conformance.ephemeral_secret_key():
        driver = replaying(os.path.join(FIXTURES, 'wrong-password'))
        with pytest.raises(exception.InvalidUsernameOrPassword) as caught:
            driver.get_storage(None)
    assert 'Invalid credentials' in str(caught.value)
    assert caught.value.code == 400


def _window_of(series_lists):
    stamps = [int(t * 1000) for series in series_lists for t, _ in series]
    return min(stamps), max(stamps)


def test_performance_of_pools_and_osds(driver):
    pools = recorded('GET_api_pool__stats=true.json')
    osds = recorded('GET_api_osd.json')
    start, end = _window_of(
        [p['stats']['rd']['rates'] for p in pools] +
        [o['stats_history']['op_r'] for o in osds])
    metrics = driver.collect_perf_metrics(
        None, 'storage-1', driver.get_capabilities(None)['resource_metrics'],
        start, end)
    by_key = {(m.labels['resource_type'], m.labels['resource_id'], m.name): m
              for m in metrics}
    rbd = [p for p in pools if p['pool_name'] == 'rbdpool'][0]
    write_bytes = by_key[('storagePool', str(rbd['pool']), 'writeThroughput')]
    assert write_bytes.labels['unit'] == 'MB/s'
    assert write_bytes.labels['resource_name'] == 'rbdpool'
    assert write_bytes.values == {
        int(t * 1000): v / 1024 ** 2 for t, v in
        rbd['stats']['wr_bytes']['rates']}
    reads = by_key[('storagePool', str(rbd['pool']), 'readIops')].values
    writes = by_key[('storagePool', str(rbd['pool']), 'writeIops')].values
    assert by_key[('storagePool', str(rbd['pool']), 'iops')].values == {
        t: reads[t] + writes[t] for t in reads}
    osd_reads = by_key[('disk', 'osd.0', 'readIops')].values
    assert osd_reads == {int(t * 1000): v for t, v in
                         osds[0]['stats_history']['op_r']}
    assert by_key[('disk', 'osd.0', 'readThroughput')].values == {
        int(t * 1000): v / 1024 ** 2
        for t, v in osds[0]['stats_history']['op_out_bytes']}
    for metric in metrics:
        assert metric.labels['storage_id'] == 'storage-1'
        assert all(start <= t <= end for t in metric.values)


def test_performance_outside_the_window_is_empty(driver):
    metrics = driver.collect_perf_metrics(
        None, 'storage-1', {'storagePool': {'iops': {'unit': 'IOPS'}},
                            'disk': {'iops': {'unit': 'IOPS'}}}, 0, 1000)
    assert metrics == []


def test_only_wanted_metrics_are_collected(driver):
    metrics = driver.collect_perf_metrics(
        None, 'storage-1', {'disk': {'writeIops': {'unit': 'IOPS'}}},
        0, 2 ** 62)
    assert {(m.labels['resource_type'], m.name) for m in metrics} == {
        ('disk', 'writeIops')}


def test_volumes_follow_every_page():
    # Recorded with one image per page: the first page announces the
    # total (X-Total-Count), the second holds the other image.
    folder = os.path.join(FIXTURES, 'paged')
    with conformance.ephemeral_secret_key():
        driver = replaying(folder)
        driver.image_page = 1
        names = [v['name'] for v in driver.list_volumes(None)]
    assert names == ['vol1', 'vol2']


def test_missing_permission_names_the_request():
    # Recorded with an account of the dashboard's pool-manager role,
    # which may not read OSDs.
    with conformance.ephemeral_secret_key():
        driver = replaying(os.path.join(FIXTURES, 'pool-manager'))
        with pytest.raises(exception.NotAuthorized) as caught:
            driver.list_disks(None)
    assert caught.value.code == 403
    assert 'GET /api/osd' in str(caught.value)
    assert "You don't have permissions" in str(caught.value)


def test_drivers_of_one_account_share_its_session(tmp_path):
    # Registration and the syncs after it build separate drivers; only
    # the first logs in (a login costs the manager about a second).
    for name in ('POST_api_auth.json', 'GET_api_osd.json'):
        (tmp_path / name).write_text(
            open(os.path.join(FIXTURES, name), encoding='utf-8').read())
    with conformance.ephemeral_secret_key():
        assert replaying(str(tmp_path)).list_disks(None)
        (tmp_path / 'POST_api_auth.json').unlink()
        assert replaying(str(tmp_path)).list_disks(None)
        # Another password is another session: it must log in.
        other = replaying(str(tmp_path))
        other.client._password = cryptor.encode('another-password')
        with pytest.raises(exception.StorageBackendException,
                           match='POST_api_auth.json'):
            other.list_disks(None)


def test_standby_manager_is_a_controller():
    # Recorded with a second manager daemon running as standby.
    with conformance.ephemeral_secret_key():
        driver = replaying(os.path.join(FIXTURES, 'standby-mgr'))
        controllers = {c['name']: c for c in driver.list_controllers(None)}
    assert set(controllers) == {'mon.a', 'mgr.x', 'mgr.y'}
    assert controllers['mgr.y']['status'] == constants.ControllerStatus.NORMAL
    assert controllers['mgr.y']['soft_version'] == '16.2.15'
    # Only the active manager's address is known (from /api/summary).
    assert controllers['mgr.x']['mgmt_ip'] == '127.0.0.1'
    assert controllers['mgr.y']['mgmt_ip'] is None
