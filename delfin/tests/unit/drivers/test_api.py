"""Tests of the driver facade (delfin.drivers.api)."""
import logging
import types
import uuid

import pytest

from delfin import context as delfin_context
from delfin import exception
from delfin.common import constants
from delfin.db import api as db_api
from delfin.drivers import api
from delfin.drivers import manager
from delfin.resources import registry
from delfin.tests.unit.drivers.conftest import sample_access


@pytest.fixture
def facade(sqlite_engine):
    return api.API(manager=manager.DriverManager())


def register(access, serial=None):
    """Rows of a registered storage; returns its id."""
    storage_id = str(uuid.uuid4())
    db_api.create('storage', {
        'id': storage_id, 'name': 'array', 'vendor': 'Sample',
        'model': 'S1', 'serial_number': serial or 'SN-%s' % (
            (access.get('rest') or {}).get('host')),
        'sync_status': 0, 'deleted': False})
    db_api.create('access_info', dict(access, storage_id=storage_id))
    return storage_id


def fake_access(**extra):
    info = {'vendor': 'fake_storage', 'model': 'fake_driver',
            'rest': {'host': '192.0.2.10', 'port': 8443,
                     'username': 'admin', 'password': 'token'}}
    info.update(extra)
    return info


# -- discovery and access information -----------------------------------------

def test_discover_storage_describes_without_writing(facade):
    before = db_api.count('storage')
    storage = facade.discover_storage(None, fake_access())
    assert storage['serial_number']
    assert storage['vendor'] == 'fake_vendor'
    uuid.UUID(storage['id'])
    assert db_api.count('storage') == before
    assert facade.manager.cached_driver(storage['id']) is None


def test_discover_storage_keeps_a_given_id_and_its_serial(facade):
    first = facade.discover_storage(None, fake_access(storage_id='s-1'))
    again = facade.discover_storage(None, fake_access(storage_id='s-1'))
    other = facade.discover_storage(None, fake_access(storage_id='s-2'))
    assert first['id'] == 's-1'
    assert first['serial_number'] == again['serial_number']
    assert other['serial_number'] != first['serial_number']


@pytest.mark.parametrize('host, error', [
    ('no-storage', exception.StorageBackendNotFound),
    ('no-serial', exception.InvalidResults),
])
def test_discover_storage_rejects_incomplete_answers(
        facade, sample_entry_points, host, error):
    with pytest.raises(error):
        facade.discover_storage(None, sample_access(host=host))


def test_discover_unknown_driver(facade):
    with pytest.raises(exception.StorageDriverNotFound):
        facade.discover_storage(None, {'vendor': 'acme', 'model': 'x'})


def test_update_access_info_checks_the_serial(facade, sample_entry_points):
    storage_id = register(sample_access(host='192.0.2.1'))
    cached = facade.get_driver(None, storage_id)
    storage = facade.update_access_info(
        None, storage_id, sample_access(host='192.0.2.1'))
    assert storage['serial_number'] == 'SN-192.0.2.1'
    with pytest.raises(exception.StorageSerialNumberMismatch):
        facade.update_access_info(None, storage_id,
                                  sample_access(host='192.0.2.99'))
    assert facade.get_driver(None, storage_id) is cached


def test_update_access_info_of_unknown_storage(facade, sample_entry_points):
    with pytest.raises(exception.StorageNotFound):
        facade.update_access_info(None, 'nope', sample_access())


def test_driver_is_rebuilt_after_access_info_is_stored(
        facade, sample_entry_points):
    storage_id = register(sample_access(host='192.0.2.1'))
    old = facade.get_driver(None, storage_id)
    new_access = sample_access(host='192.0.2.1')
    new_access['rest']['password'] = 'rotated-token'
    facade.update_access_info(None, storage_id, new_access)
    db_api.update('access_info', storage_id,
                  {'rest': new_access['rest'],
                   'updated_at': db_api.utcnow()})
    new = facade.get_driver(None, storage_id)
    assert new is not old
    assert new.kwargs['rest']['password'] == 'rotated-token'


def test_two_storages_of_one_model_have_their_own_drivers(
        facade, sample_entry_points):
    s1 = register(sample_access(host='192.0.2.1'))
    s2 = register(sample_access(host='192.0.2.2'))
    assert facade.get_storage(None, s1)['serial_number'] == 'SN-192.0.2.1'
    assert facade.get_storage(None, s2)['serial_number'] == 'SN-192.0.2.2'
    assert facade.get_driver(None, s1) is not facade.get_driver(None, s2)


def test_calls_see_their_storage_id_in_the_context(
        facade, sample_entry_points):
    s1 = register(sample_access(host='192.0.2.1'))
    s2 = register(sample_access(host='192.0.2.2'))
    ctx = delfin_context.get_admin_context()
    facade.get_storage(ctx, s1)
    list(facade.list_resources(ctx, s2, 'volume'))
    list(facade.list_resources(None, s1, 'storage_pool'))
    assert facade.get_driver(None, s1).seen_storage_ids == [s1, s1]
    assert facade.get_driver(None, s2).seen_storage_ids == [s2]
    assert ctx.storage_id is None


# -- inventory ---------------------------------------------------------------

def test_list_resources_normalises_items(facade, sample_entry_points, caplog):
    storage_id = register(sample_access())
    volumes = list(facade.list_resources(None, storage_id, 'volume'))
    assert [v['native_volume_id'] for v in volumes] == ['v0', 'v1', 'v2']
    assert all(v['storage_id'] == storage_id for v in volumes)

    caplog.set_level(logging.WARNING)
    for _ in range(2):
        disks = list(facade.list_resources(None, storage_id, 'disk'))
        assert disks == [{'native_disk_id': 'd1', 'name': 'd1',
                          'storage_id': storage_id}]
    assert caplog.text.count("unknown key 'native_diskgroup_id'") == 1


def test_items_that_are_not_dicts_are_handed_on(facade, sample_entry_points,
                                                monkeypatch):
    # The sync counts and skips them; the other items still arrive.
    storage_id = register(sample_access())
    monkeypatch.setattr(sample_entry_points.DelfinStyleDriver, 'list_ports',
                        lambda self, context: [None, 'port-x',
                                               {'native_port_id': 'p1'}])
    assert list(facade.list_resources(None, storage_id, 'port')) == [
        None, 'port-x', {'native_port_id': 'p1', 'storage_id': storage_id}]


def test_group_listers_are_split_by_kind(facade, sample_entry_points):
    storage_id = register(sample_access())
    groups = list(facade.list_resources(None, storage_id,
                                        registry.by_name(
                                            'storage_host_group')))
    rels = list(facade.list_resources(None, storage_id,
                                      'storage_host_grp_host_rel'))
    assert groups == [{'native_storage_host_group_id': 'hg1', 'name': 'hg1',
                       'storage_id': storage_id}]
    assert rels == [{'native_storage_host_group_id': 'hg1',
                     'native_storage_host_id': 'h1',
                     'storage_id': storage_id}]
    both = facade.list_grouped_resources(None, storage_id,
                                         'storage_host_grp_host_rel')
    assert both == {'storage_host_group': groups,
                    'storage_host_grp_host_rel': rels}
    with pytest.raises(ValueError):
        facade.list_grouped_resources(None, storage_id, 'volume')


def test_storage_kind_gives_one_item(facade, sample_entry_points):
    storage_id = register(sample_access())
    items = list(facade.list_resources(None, storage_id, 'storage'))
    assert len(items) == 1
    assert items[0]['serial_number'] == 'SN-192.0.2.1'
    # The storages table has no storage_id column.
    assert 'storage_id' not in items[0]


def test_unsupported_kind_is_reported_without_calling_the_driver(
        facade, sample_entry_points, caplog):
    storage_id = register(sample_access())
    caplog.set_level(logging.INFO)
    for _ in range(3):
        with pytest.raises(exception.DriverNotSupported) as err:
            facade.list_resources(None, storage_id, 'qtree')
    assert err.value.code == 501
    assert 'qtrees' in str(err.value)
    assert caplog.text.count('does not support qtrees') == 1


def test_not_implemented_at_run_time_becomes_unsupported(
        facade, sample_entry_points):
    storage_id = register(sample_access())
    assert facade.supported_kinds(None, storage_id)['share'] is True
    with pytest.raises(exception.DriverNotSupported):
        facade.list_resources(None, storage_id, 'share')
    assert facade.supported_kinds(None, storage_id)['share'] is False
    body = facade.get_capabilities(None, storage_id)
    assert body['resources']['share'] == 'unsupported'


def test_other_driver_errors_propagate(facade, sample_entry_points):
    storage_id = register(sample_access())
    with pytest.raises(RuntimeError, match='controller query crashed'):
        facade.list_resources(None, storage_id, 'controller')
    assert facade.supported_kinds(None, storage_id)['controller'] is True


def test_fake_driver_failure_option_propagates(facade):
    storage_id = register(fake_access(extra_attributes={
        'fail_on': ['list_ports']}))
    with pytest.raises(exception.StorageBackendException,
                       match='list_ports'):
        facade.list_resources(None, storage_id, 'port')
    assert list(facade.list_resources(None, storage_id, 'controller'))


# -- capabilities -------------------------------------------------------------

def test_capabilities_view(facade):
    storage_id = register(fake_access())
    body = facade.get_capabilities(None, storage_id)
    assert body['metadata'] == {'vendor': 'Sample', 'model': 'S1'}
    assert body['spec']['is_historic'] is True
    assert set(body['spec']['resource_metrics']) == {
        'storage', 'storagePool', 'volume', 'controller', 'port', 'disk',
        'filesystem'}
    assert set(body['resources'].values()) == {'supported'}


def test_capabilities_list_the_metrics(facade):
    storage_id = register(fake_access())
    body = facade.get_capabilities(None, storage_id)
    spec = body['spec']['resource_metrics']
    assert len(body['metrics']) == sum(len(m) for m in spec.values())
    for metric in body['metrics']:
        assert spec[metric['resource_type']][metric['name']]['unit'] == \
            metric['unit']


def test_capabilities_of_a_driver_without_metrics(
        facade, sample_entry_points):
    storage_id = register(sample_access(model='no_metrics'))
    body = facade.get_capabilities(None, storage_id)
    assert body['metrics'] == []
    assert body['spec'] == {'is_historic': False, 'resource_metrics': {}}
    assert body['resources']['volume'] == 'supported'
    assert body['resources']['qtree'] == 'unsupported'


def test_invalid_capabilities_of_a_driver(facade, sample_entry_points):
    storage_id = register(sample_access(model='invalid_capabilities'))
    with pytest.raises(exception.InvalidStorageCapability):
        facade.get_capabilities(None, storage_id)


def test_capabilities_of_unknown_storage(facade):
    with pytest.raises(exception.StorageNotFound):
        facade.get_capabilities(None, 'nope')


# -- alerts and performance ---------------------------------------------------

def test_alert_calls_reach_the_storage_driver(facade):
    storage_id = register(fake_access())
    alerts = facade.list_alerts(None, storage_id)
    assert len(alerts) == 4
    facade.clear_alert(None, storage_id, alerts[0]['sequence_number'])
    remaining = facade.list_alerts(None, storage_id)
    assert [a['sequence_number'] for a in remaining] == \
        [a['sequence_number'] for a in alerts[1:]]
    window = {'begin_time': alerts[2]['occur_time'],
              'end_time': alerts[1]['occur_time']}
    assert [a['sequence_number'] for a in
            facade.list_alerts(None, storage_id, window)] == \
        [alerts[1]['sequence_number'], alerts[2]['sequence_number']]


def test_parse_alert_uses_the_driver_class(facade, sample_entry_points):
    storage_id = register(sample_access())
    assert facade.manager.cached_driver(storage_id) is None
    alert = facade.parse_alert(None, storage_id, {'id': 'a1'})
    assert alert == {'alert_id': 'a1', 'storage_id': storage_id}
    assert facade.manager.cached_driver(storage_id) is None


def test_perf_metrics(facade, sample_entry_points):
    fake_id = register(fake_access())
    answer = facade.collect_perf_metrics(
        None, fake_id, {'storage': {'iops': {}}}, 0, 120000)
    # The driver's generator is passed on, to be read as it comes.
    assert isinstance(answer, types.GeneratorType)
    metrics = list(answer)
    assert [m.name for m in metrics] == ['iops']
    assert isinstance(metrics[0], constants.metric_struct)
    sample_id = register(sample_access())
    assert facade.collect_perf_metrics(
        None, sample_id, {'volume': {'iops': {}}}, 0, 120000) == []


# -- removal ------------------------------------------------------------------

def test_remove_storage_calls_the_hook_and_forgets(
        facade, sample_entry_points):
    storage_id = register(sample_access())
    d = facade.get_driver(None, storage_id)
    facade.remove_storage(None, storage_id)
    assert d.deleted is True
    assert facade.manager.cached_driver(storage_id) is None
    facade.remove_storage(None, storage_id)


def test_remove_storage_survives_a_failing_hook(
        facade, sample_entry_points, caplog):
    storage_id = register(sample_access(model='broken_delete'))
    facade.get_driver(None, storage_id)
    caplog.set_level(logging.ERROR)
    facade.remove_storage(None, storage_id)
    assert 'backend session already gone' in caplog.text
    assert facade.manager.cached_driver(storage_id) is None
