"""The Swordfish driver on answers recorded from SNIA's mockup sets
(``delfin/drivers/swordfish/fixtures/``): the conformance check, and each
quirk of the mockups the driver must survive."""
import json
import os
import shutil

import pytest

from delfin import exception
from delfin.common import constants
from delfin.drivers.swordfish import client as sf_client
from delfin.drivers.swordfish import driver as sf_driver
from delfin.sdk import conformance

SETS = ('midrange', 'service-based', 'filesystem', 'direct-attach')
SAMPLES = os.path.join(os.path.dirname(sf_driver.__file__), 'samples')
SECRET = 'change-me'
# Recorded sizes: pools, volumes, disks, controllers, file systems, shares.
COUNTS = {'midrange': (2, 8, 16, 2, 0, 0),
          'service-based': (9, 17, 28, 3, 1, 1),
          'filesystem': (2, 4, 16, 0, 1, 1),
          'direct-attach': (1, 1, 2, 1, 0, 0)}


@pytest.fixture(autouse=True)
def secret_key():
    with conformance.ephemeral_secret_key():
        yield


def _driver(replay, **extra):
    info = conformance.encrypt_access_info(conformance.load_data_file(
        os.path.join(SAMPLES, 'access_info.yaml')))
    info['extra_attributes'] = dict(extra, replay=replay)
    return sf_driver.SwordfishDriver(storage_id='storage-1', **info)


def _copy(tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(os.path.join(sf_client.FIXTURES, name), folder)
    return folder


def _edit(folder, uri, change):
    path = folder / sf_client.fixture_name('GET', uri)
    recorded = json.loads(path.read_text())
    change(recorded['body'])
    path.write_text(json.dumps(recorded))


@pytest.mark.parametrize('name', SETS)
def test_conformance_on_each_recorded_set(name):
    info = conformance.load_data_file(os.path.join(SAMPLES,
                                                   'access_info.yaml'))
    info['extra_attributes'] = {'replay': name}
    report = conformance.run_check('snia', 'swordfish', info)
    problems = [v.as_dict() for v in report.violations]
    assert report.passed, json.dumps(problems, indent=2)
    counted = tuple(report.interface(i).counts[k] for i, k in (
        ('list_storage_pools', 'storage_pool'), ('list_volumes', 'volume'),
        ('list_disks', 'disk'), ('list_controllers', 'controller'),
        ('list_filesystems', 'filesystem'), ('list_shares', 'share')))
    assert counted == COUNTS[name]


def test_sample_access_info_replays_a_recorded_set():
    storage = _driver('service-based').get_storage(None)
    assert storage['name'] == 'Root Service'
    assert storage['serial_number'].startswith(
        '92384634-2938-2342-8820-489239905423:')


def test_sets_sharing_a_service_uuid_get_distinct_serials():
    serials = {_driver(name).get_storage(None)['serial_number']
               for name in SETS}
    assert len(serials) == len(SETS)


def test_a_drive_listed_twice_is_one_disk():
    disks = _driver('midrange').list_disks(None)
    ids = [d['native_disk_id'] for d in disks]
    assert len(ids) == len(set(ids)) == 16
    assert '/redfish/v1/Chassis/StorageEnclosure1/Drives/0THGXLUP' in ids


def test_a_collection_listed_as_a_member_is_expanded():
    # StorageServices/Simple1 links Chassis/StorageEnclosure1/Drives, a
    # collection whose drives Storage/1 also lists one by one.
    disks = _driver('service-based').list_disks(None)
    ids = {d['native_disk_id'] for d in disks}
    assert len(ids) == len(disks) == 28
    assert all('/Drives/' in i for i in ids)


def test_repeated_ids_and_names_stay_apart():
    volumes = list(_driver('service-based').list_volumes(None))
    names = [v['name'] for v in volumes]
    assert len(set(names)) < len(names)
    assert len({v['native_volume_id'] for v in volumes}) == 17


def test_volume_size_falls_back_to_provisioned_then_allocated():
    volumes = {v['native_volume_id']: v for v in
               _driver('service-based').list_volumes(None)}
    thin = volumes['/redfish/v1/StorageServices/1/StoragePools/SpecialPool/'
                   'AllocatedVolumes/4']
    assert thin['total_capacity'] == 1099511627776
    assert thin['type'] == constants.VolumeType.THIN
    assert thin['used_capacity'] == 0
    allocated = volumes['/redfish/v1/StorageServices/2/StoragePools/'
                        'BasePool/AllocatedVolumes/1']
    assert allocated['total_capacity'] == 1099511627776
    assert allocated['type'] == constants.VolumeType.THICK
    assert sf_driver.volume_size({'CapacityBytes': 5, 'Capacity': {
        'Data': {'ProvisionedBytes': 7, 'AllocatedBytes': 9}}}) == 5
    assert sf_driver.volume_size({}) == 0


def test_volumes_point_at_the_pool_they_are_allocated_from():
    driver = _driver('midrange')
    pools = {p['native_storage_pool_id'] for p in
             driver.list_storage_pools(None)}
    for volume in driver.list_volumes(None):
        assert volume['native_storage_pool_id'] in pools
        assert volume['native_volume_id'].startswith(
            volume['native_storage_pool_id'] + '/AllocatedVolumes/')


def test_a_member_the_service_lacks_is_skipped(tmp_path):
    folder = _copy(tmp_path, 'midrange')
    gone = ('/redfish/v1/Storage/MidrangeStorageSystem/StoragePools/'
            'StoragePool1/AllocatedVolumes/Volume1')
    os.remove(folder / sf_client.fixture_name('GET', gone))
    volumes = list(_driver(str(folder)).list_volumes(None))
    assert len(volumes) == 7
    assert gone not in {v['native_volume_id'] for v in volumes}


def test_a_member_listed_twice_by_a_collection_is_one_volume(tmp_path):
    folder = _copy(tmp_path, 'midrange')

    def twice(body):
        body['Members'].append(dict(body['Members'][0]))
        body['Members'].append({'@odata.id': body['Members'][1]['@odata.id']
                                + '/'})
    _edit(folder, '/redfish/v1/Storage/MidrangeStorageSystem/Volumes',
          twice)
    assert len(list(_driver(str(folder)).list_volumes(None))) == 8


def test_paged_collections_are_followed(tmp_path):
    folder = _copy(tmp_path, 'midrange')
    first = '/redfish/v1/Storage/MidrangeStorageSystem/Volumes'
    second = first + '?$skip=5'
    path = folder / sf_client.fixture_name('GET', first)
    recorded = json.loads(path.read_text())
    body = recorded['body']
    rest = dict(body, Members=body['Members'][5:])
    del rest['Members@odata.count']
    body['Members'] = body['Members'][:5]
    body['Members@odata.nextLink'] = second
    path.write_text(json.dumps(recorded))
    (folder / sf_client.fixture_name('GET', second)).write_text(
        json.dumps(dict(recorded, body=rest)))
    assert len(list(_driver(str(folder)).list_volumes(None))) == 8


def test_system_picks_one_system_by_uri_id_or_name():
    by_uri = _driver('service-based', system='/redfish/v1/StorageServices/2')
    pools = by_uri.list_storage_pools(None)
    assert [p['native_storage_pool_id'] for p in pools] == [
        '/redfish/v1/StorageServices/2/StoragePools/BasePool']
    by_id = _driver('service-based', system='Simple1')
    assert by_id.get_storage(None)['name'] == 'My Simple Storage Service'
    # Two systems share the Id "1": that choice is refused, naming them.
    with pytest.raises(exception.StorageBackendNotFound,
                       match='More than one storage system'):
        _driver('service-based', system='1').get_storage(None)


def test_unhealthy_resources_are_alerts():
    driver = _driver('service-based')
    alerts = driver.list_alerts(None)
    assert {a['alert_id'] for a in alerts} == {'VolumeHealthWarning'}
    assert {a['severity'] for a in alerts} == {constants.Severity.WARNING}
    assert len({a['sequence_number'] for a in alerts}) == len(alerts) == 6
    # Polled again, an alert keeps its time.
    again = {a['sequence_number']: a['occur_time']
             for a in driver.list_alerts(None)}
    assert again == {a['sequence_number']: a['occur_time'] for a in alerts}
    before = min(again.values()) - 1
    assert driver.list_alerts(None, {'begin_time': 1,
                                     'end_time': before}) == []
    with pytest.raises(exception.StorageClearAlertFailed):
        driver.clear_alert(None, alerts[0]['sequence_number'])


def test_file_systems_and_their_shares():
    driver = _driver('filesystem')
    pools = {p['native_storage_pool_id'] for p in
             driver.list_storage_pools(None)}
    (fs,) = driver.list_filesystems(None)
    assert fs['native_filesystem_id'] == \
        '/redfish/v1/Storage/StorageSystem/FileSystems/FS1'
    assert fs['name'] == 'Root'
    # Provisioned 3 TB on 1 TB allocated: thin, sized by what it may use.
    assert fs['type'] == constants.FSType.THIN
    assert fs['total_capacity'] == 3000000000000
    assert fs['used_capacity'] == 500000000000
    assert fs['native_pool_id'] in pools
    (share,) = driver.list_shares(None)
    assert share['path'] == '/Shares/MyShare'
    assert share['protocol'] == constants.ShareProtocol.CIFS
    assert share['native_filesystem_id'] == fs['native_filesystem_id']


def test_healthy_sets_have_no_alerts():
    assert _driver('midrange').list_alerts(None) == []


def test_redfish_root_without_storage_is_not_swordfish(tmp_path):
    folder = _copy(tmp_path, 'direct-attach')

    def strip(body):
        body.pop('Storage')
        body.pop('StorageSystems', None)
    _edit(folder, '/redfish/v1', strip)
    with pytest.raises(exception.StorageBackendNotFound,
                       match='neither Storage nor StorageServices'):
        _driver(str(folder)).get_storage(None)


def test_recordings_hold_no_credentials():
    for folder, _, files in os.walk(sf_client.FIXTURES):
        for name in files:
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                text = f.read()
            assert 'X-Auth-Token' not in text
            assert 'Authorization' not in text
            assert 'not-checked' not in text


@pytest.mark.parametrize('extra,fragment', [
    ({'scheme': 'ftp'}, 'scheme'),
    ({'scheme': 'http', 'timeout': 'soon'}, 'timeout'),
    ({'scheme': 'http', 'timeout': '0'}, 'timeout'),
])
def test_bad_extra_attributes_are_invalid_input(extra, fragment):
    info = {'rest': {'host': '127.0.0.1', 'port': 1, 'username': 'u',
                     'password': None}, 'extra_attributes': extra}
    with pytest.raises(exception.InvalidInput, match=fragment):
        sf_driver.SwordfishDriver(**info)


def test_fixture_names_keep_paths_apart():
    assert sf_client.fixture_name('GET', '/redfish/v1/A/B') != \
        sf_client.fixture_name('GET', '/redfish/v1/A_B')
    assert sf_client.fixture_name('GET', '/redfish/v1/Storage/S1#/X') == \
        'GET_redfish_v1_Storage_S1.json'
