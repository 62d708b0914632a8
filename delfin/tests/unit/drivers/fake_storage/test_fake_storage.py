"""Tests of the fake storage driver (delfin.drivers.fake_storage)."""
import inspect
import tracemalloc
import types

import pytest
from oslo_config import cfg

from delfin import exception
from delfin import utils
from delfin.common import constants
from delfin.db import engine as db_engine
from delfin.drivers import capabilities
from delfin.drivers.fake_storage import FakeStorageDriver
from delfin.drivers.fake_storage import alerts as fake_alerts
from delfin.drivers.fake_storage import inventory
from delfin.resources import registry

CONF = cfg.CONF

LISTERS = tuple(dict.fromkeys(k.driver_method
                              for k in registry.inventory_kinds()))
_PY_TYPES = {registry.STRING: str, registry.TEXT: str,
             registry.INTEGER: int, registry.BIGINT: int,
             registry.BOOLEAN: bool}


def make(storage_id='storage-1', **extra):
    return FakeStorageDriver(
        storage_id=storage_id, vendor='fake_storage', model='fake_driver',
        rest={'host': '192.0.2.10', 'port': 8443, 'username': 'admin',
              'password': 'token'},
        extra_attributes=extra or None)


def snapshot(driver):
    """Everything the driver lists, by kind name."""
    data = {'storage': [driver.get_storage(None)]}
    for kind in registry.inventory_kinds():
        result = getattr(driver, kind.driver_method)(None)
        if kind.driver_key:
            result = result[kind.driver_key]
        data[kind.name] = list(result)
    return data


def check_valid(data, storage_id):
    """Every item has its kind's fields only, valid types and enums."""
    for kind_name, items in data.items():
        kind = registry.by_name(kind_name)
        for item in items:
            extra = set(item) - set(kind.field_names) - {'storage_id'}
            assert not extra, (kind_name, extra)
            if kind is not registry.STORAGE:
                assert item['storage_id'] == storage_id
            for field in kind.fields:
                value = item.get(field.name)
                if field.required:
                    assert value, (kind_name, field.name)
                if value is None:
                    continue
                assert isinstance(value, _PY_TYPES[field.type]), \
                    (kind_name, field.name, value)
                if field.type == registry.STRING:
                    assert len(value) <= field.length
                if field.enum:
                    assert value in field.enum, (kind_name, field.name,
                                                 value)
                if field.type in (registry.INTEGER, registry.BIGINT):
                    assert value >= 0
            if 'used_capacity' in item and 'total_capacity' in item:
                assert 0 <= item['used_capacity'] <= item['total_capacity']
            if 'free_capacity' in item:
                assert item['free_capacity'] == \
                    item['total_capacity'] - item['used_capacity']


def check_references(data):
    """References between kinds resolve, identities are unique."""
    ids = {}
    for kind_name, items in data.items():
        kind = registry.by_name(kind_name)
        if not kind.identity:
            continue
        keys = [tuple(i[f] for f in kind.identity) for i in items]
        assert len(keys) == len(set(keys)), kind_name
        if kind.native_id:
            ids[kind_name] = {i[kind.native_id] for i in items}
    for kind_name, items in data.items():
        kind = registry.by_name(kind_name)
        for field, target in kind.references:
            for item in items:
                if item.get(field) is not None:
                    assert item[field] in ids[target], \
                        (kind_name, field, item[field])


# -- determinism --------------------------------------------------------------

def test_same_storage_gives_the_same_data_every_time():
    first = snapshot(make())
    assert snapshot(make()) == first
    d = make()
    assert snapshot(d) == snapshot(d) == first


def test_different_storages_differ():
    a, b = snapshot(make('storage-a')), snapshot(make('storage-b'))
    assert a['storage'][0]['serial_number'] != \
        b['storage'][0]['serial_number']
    assert a['volume'] != b['volume']


def test_serial_follows_storage_id_else_address():
    assert make('x').get_storage(None)['serial_number'] == \
        make('x').get_storage(None)['serial_number']
    unregistered = [FakeStorageDriver(rest={'host': h, 'port': 8443})
                    for h in ('192.0.2.1', '192.0.2.1', '192.0.2.2')]
    serials = [d.get_storage(None)['serial_number'] for d in unregistered]
    assert serials[0] == serials[1] != serials[2]


def test_get_storage_never_uses_the_database(tmp_path):
    db_engine.set_engine(None)
    CONF.set_override('connection', 'sqlite:///%s' % (
        tmp_path / 'missing-dir' / 'x.sqlite'), group='database')
    assert make().get_storage(None)['serial_number'].startswith('FAKE')


def test_storage_capacity_is_the_sum_of_its_pools():
    d = make()
    pools = d.list_storage_pools(None)
    storage = d.get_storage(None)
    assert storage['total_capacity'] == sum(p['total_capacity']
                                            for p in pools)
    assert storage['used_capacity'] == sum(p['used_capacity']
                                           for p in pools)


# -- validity and consistency -------------------------------------------------

@pytest.mark.parametrize('storage_id', ['storage-1', 'storage-2', 'x' * 36])
def test_every_kind_is_filled_with_valid_values(storage_id):
    data = snapshot(make(storage_id))
    for kind in registry.ALL_KINDS:
        assert data[kind.name], kind.name
    check_valid(data, storage_id)
    check_references(data)


def test_masking_views_have_one_host_side_and_one_volume_side():
    views = make().list_masking_views(None)
    assert views
    for view in views:
        assert (view['native_storage_host_group_id'] is None) != \
            (view['native_storage_host_id'] is None)
        assert (view['native_volume_group_id'] is None) != \
            (view['native_volume_id'] is None)
    assert any(v['native_port_group_id'] for v in views)


def test_ports_belong_to_controllers_and_initiators_to_hosts():
    d = make(fake_port_range='20-20', fake_controller_range='3-3')
    controllers = {c['native_controller_id']
                   for c in d.list_controllers(None)}
    assert {p['native_parent_id'] for p in d.list_ports(None)} == \
        controllers
    hosts = {h['native_storage_host_id'] for h in d.list_storage_hosts(None)}
    initiators = d.list_storage_host_initiators(None)
    assert {i['native_storage_host_id'] for i in initiators} == hosts


def test_configured_counts_are_exact():
    counts = {'storage_pool': 3, 'controller': 4, 'port': 7, 'disk': 11,
              'filesystem': 2, 'qtree': 5, 'quota': 6, 'share': 9,
              'storage_host': 8, 'storage_host_group': 2, 'port_group': 3,
              'volume_group': 4, 'masking_view': 6, 'volume': 1234}
    extra = {inventory.RANGE_OPTION[k]: '%d-%d' % (n, n)
             for k, n in counts.items()}
    extra['fake_initiator_range'] = '2-2'
    data = snapshot(make(**extra))
    for kind, n in counts.items():
        assert len(data[kind]) == n, kind
    assert len(data['storage_host_initiator']) == 16
    assert len(data['vol_grp_vol_rel']) == 4 * inventory.VOLUME_GROUP_SIZE
    check_references(data)


def test_counts_stay_in_their_ranges():
    for i in range(20):
        d = make('s-%d' % i, fake_pool_range='2-5',
                 fake_volume_range='10-20')
        assert 2 <= len(d.list_storage_pools(None)) <= 5
        assert 10 <= len(list(d.list_volumes(None))) <= 20


def test_zero_counts_leave_dependent_kinds_empty():
    data = snapshot(make(fake_filesystem_range='0-0',
                         fake_pool_range='0-0'))
    for kind in ('filesystem', 'qtree', 'quota', 'share', 'storage_pool'):
        assert data[kind] == []
    assert all(v['native_storage_pool_id'] is None for v in data['volume'])
    check_references(data)


# -- volumes at scale ---------------------------------------------------------

def test_hundred_thousand_volumes_exactly():
    CONF.set_override('fake_volume_range', '100000-100000',
                      group='fake_driver')
    volumes = make('big').list_volumes(None)
    assert inspect.isgenerator(volumes)
    ids = set()
    for v in volumes:
        ids.add(v['native_volume_id'])
    assert len(ids) == 100000


def test_volumes_are_produced_page_by_page_without_holding_them():
    d = make('lazy', fake_volume_range='10000-10000',
             fake_page_query_limit='500')
    tracemalloc.start()
    try:
        count = sum(1 for _ in d.list_volumes(None))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 10000
    # 10,000 volume dicts take about 10 MB; a page a few hundred KB.
    assert peak < 3 * 1024 * 1024


def test_volume_data_does_not_depend_on_the_page_size():
    small = list(make('p', fake_volume_range='3000-3000',
                      fake_page_query_limit='7').list_volumes(None))
    large = list(make('p', fake_volume_range='3000-3000',
                      fake_page_query_limit='1000').list_volumes(None))
    assert small == large


def test_pages_have_the_configured_size():
    inv = inventory.Inventory('seed', 's', dict(
        {o: '1-1' for o in inventory.RANGE_OPTION.values()},
        fake_volume_range='1050-1050', fake_initiator_range='1-1'))
    sizes = [len(p) for p in inv.pages('volume', inv.volume, 500)]
    assert sizes == [500, 500, 50]
    sizes = [len(p) for p in inv.pages('volume', inv.volumes, 500)]
    assert sizes == [500, 500, 50]


@pytest.mark.parametrize('churn,generation', [(0, 0), (0.2, 3)])
def test_volumes_made_a_block_at_a_time_are_those_made_one_at_a_time(
        churn, generation):
    inv = inventory.Inventory('seed', 's', dict(
        {o: '3-3' for o in inventory.RANGE_OPTION.values()},
        fake_volume_range='3000-3000'), generation=generation, churn=churn)
    # Whole blocks, and windows starting and ending inside blocks.
    for window in (None, inventory.Window(1500, 1200),
                   inventory.Window(5, 1)):
        one = list(inv.stream('volume', inv.volume, window))
        block = list(inv.stream('volume', inv.volumes, window))
        assert one == block
        assert len(block) == (window or inv.window('volume')).count
    every = list(inv.stream('volume', inv.volumes))
    assert len({v['wwn'] for v in every}) == len(every) == 3000


# -- options ------------------------------------------------------------------

def test_fail_on_makes_a_method_fail():
    d = make(fail_on=['list_ports', 'get_storage'])
    with pytest.raises(exception.StorageBackendException,
                       match='list_ports'):
        d.list_ports(None)
    with pytest.raises(exception.StorageBackendException):
        d.get_storage(None)
    assert d.list_controllers(None)


def test_fail_on_from_configuration_applies_to_live_instances():
    d = make()
    assert d.list_disks(None)
    CONF.set_override('fail_on', ['list_disks'], group='fake_driver')
    with pytest.raises(exception.StorageBackendException):
        d.list_disks(None)


def test_not_implemented_option():
    d = make(not_implemented=['list_qtrees'])
    with pytest.raises(NotImplementedError,
                       match=r'Driver API list_qtrees\(\) is not '
                             r'Implemented'):
        d.list_qtrees(None)


def test_invalid_ranges_are_rejected_at_construction():
    with pytest.raises(exception.InvalidInput, match='fake_volume_range'):
        make(fake_volume_range='10-2')
    with pytest.raises(exception.InvalidInput):
        make(fake_page_query_limit='0')


def test_latency_option_is_read_per_call():
    CONF.set_override('fake_api_time_range', '0.01-0.01',
                      group='fake_driver')
    import time
    started = time.monotonic()
    make().get_storage(None)
    assert time.monotonic() - started >= 0.01


def test_churn_changes_data_between_syncs_consistently():
    d = make('churning', churn=0.2, fake_volume_range='100-100',
             fake_pool_range='10-10')
    d.get_storage(None)
    first = snapshot(d)
    second = snapshot(d)  # snapshot calls get_storage first
    check_references(first)
    check_references(second)
    before = {v['native_volume_id']: v for v in first['volume']}
    after = {v['native_volume_id']: v for v in second['volume']}
    assert len(before) == len(after) == 100
    assert 0 < len(set(before) - set(after)) <= 25
    assert len(set(after) - set(before)) == len(set(before) - set(after))
    kept = set(before) & set(after)
    changed = [k for k in kept if before[k] != after[k]]
    assert changed


def test_without_churn_get_storage_changes_nothing():
    d = make()
    first = snapshot(d)
    d.get_storage(None)
    assert snapshot(d) == first


# -- alerts -------------------------------------------------------------------

def test_parse_alert_of_a_fault_and_its_recovery():
    fault = FakeStorageDriver.parse_alert(None, fake_alerts.make_trap(7))
    recovery = FakeStorageDriver.parse_alert(
        None, fake_alerts.make_trap(7, recovery=True))
    assert fault['alert_id'] == recovery['alert_id'] == \
        fake_alerts.TRAP_PREFIX + '.7'
    assert fault['category'] == constants.Category.FAULT
    assert recovery['category'] == constants.Category.RECOVERY
    assert fault['severity'] == recovery['severity']
    assert fault['sequence_number'] != recovery['sequence_number']
    for alert in (fault, recovery):
        assert alert['severity'] in constants.Severity.ALL
        assert alert['type'] in constants.EventType.ALL
        assert alert['resource_type'] == constants.DEFAULT_RESOURCE_TYPE
        assert abs(alert['occur_time'] - utils.utcnow_ms()) < 60000
        assert 'fake condition 7' in alert['description']


def test_parse_alert_sequence_number_is_stable_per_content():
    one = fake_alerts.make_trap(3)
    same_later = dict(one, **{fake_alerts.SYS_UPTIME_OID: '99999'},
                      transport_address='192.0.2.10')
    other = fake_alerts.make_trap(3, **{'1.3.6.1.4.1.32473.1.0.9': 'x'})
    seq = FakeStorageDriver.parse_alert(None, one)['sequence_number']
    assert FakeStorageDriver.parse_alert(None, same_later)[
        'sequence_number'] == seq
    assert FakeStorageDriver.parse_alert(None, other)[
        'sequence_number'] != seq


def test_parse_alert_accepts_any_trap():
    by_name = FakeStorageDriver.parse_alert(
        None, {'SNMPv2-MIB::snmpTrapOID.0': '1.3.6.1.4.1.9.9.41.2.0.1',
               'message': 'link down'})
    assert by_name['alert_id'] == '1.3.6.1.4.1.9.9.41.2.0.1'
    assert 'message=link down' in by_name['description']
    no_trap_oid = FakeStorageDriver.parse_alert(
        None, {'1.3.6.1.4.1.5.1.2': 'x', '1.3.6.1.4.1.5.1.1': 'y'})
    assert no_trap_oid['alert_id'] == '1.3.6.1.4.1.5.1.1'
    no_oid = FakeStorageDriver.parse_alert(None, {'text': 'hello'})
    assert no_oid['alert_id'].startswith('fake_')
    assert no_oid['location'] == 'fake_storage'
    with pytest.raises(exception.IncompleteTrapInformation):
        FakeStorageDriver.parse_alert(
            None, {fake_alerts.SYS_UPTIME_OID: '1'})


def test_listed_alerts_match_the_trap_rule():
    for alert in make().list_alerts(None):
        severity, event_type = fake_alerts.classify(alert['alert_id'])
        assert (alert['severity'], alert['type']) == (severity, event_type)
        assert alert['category'] == constants.Category.FAULT


def test_alert_count_option_and_clear():
    d = make(fake_alert_range='6-6')
    alerts = d.list_alerts(None)
    assert len(alerts) == 6
    assert len({a['sequence_number'] for a in alerts}) == 6
    d.clear_alert(None, alerts[0]['sequence_number'])
    assert len(d.list_alerts(None)) == 5
    with pytest.raises(exception.StorageClearAlertFailed):
        d.clear_alert(None, 'no-such-alert')


def test_list_alerts_time_window():
    alerts = make().list_alerts(None)
    newest = alerts[0]['occur_time']
    assert [a['occur_time'] for a in make().list_alerts(
        None, {'begin_time': newest})] == [newest]
    assert make().list_alerts(None, {'end_time': newest - 1}) == alerts[1:]


# -- performance --------------------------------------------------------------

def test_capabilities_are_valid():
    spec = FakeStorageDriver.get_capabilities(None)
    assert capabilities.validate_capabilities(spec) is spec
    assert set(spec['resource_metrics']) == {
        'storage', 'storagePool', 'volume', 'controller', 'port', 'disk',
        'filesystem'}


def test_perf_samples_per_minute_with_labels():
    d = make('perf', fake_pool_range='3-3')
    spec = FakeStorageDriver.get_capabilities(None)
    wanted = {'storage': spec['resource_metrics']['storage'],
              'storagePool': {'iops': {}, 'notAMetric': {}}}
    start = 28333333 * 60000
    end = start + 10 * 60000
    answer = d.collect_perf_metrics(None, 'perf', wanted, start, end)
    # Generated as it is read: a large answer is never whole in memory.
    assert isinstance(answer, types.GeneratorType)
    metrics = list(answer)
    assert metrics == list(d.collect_perf_metrics(None, 'perf', wanted,
                                                  start, end))
    storage_series = [m for m in metrics
                      if m.labels['resource_type'] == 'storage']
    assert {m.name for m in storage_series} == set(
        constants.CAPABILITY_METRICS['storage'])
    pools = {p['native_storage_pool_id']
             for p in d.list_storage_pools(None)}
    pool_series = [m for m in metrics
                   if m.labels['resource_type'] == 'storagePool']
    assert {m.labels['resource_id'] for m in pool_series} == pools
    assert {m.name for m in pool_series} == {'iops'}
    for m in metrics:
        assert isinstance(m, constants.metric_struct)
        assert m.labels['storage_id'] == 'perf'
        assert m.labels['type'] == 'RAW'
        assert m.labels['unit'] == constants.METRIC_UNITS[m.name]
        assert m.labels['resource_name']
        assert sorted(m.values) == list(range(start, end + 1, 60000))
        for v in m.values.values():
            assert v >= 0
            if m.labels['unit'] == '%':
                assert v <= 100


def test_perf_resource_limit():
    d = make('perf', fake_volume_range='500-500',
             fake_perf_resource_limit=10)
    metrics = list(d.collect_perf_metrics(
        None, 'perf', {'volume': {'iops': {}}}, 0, 60000))
    assert len(metrics) == 10
