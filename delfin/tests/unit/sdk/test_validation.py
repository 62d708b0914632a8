"""The contract rules, applied to single values and result sets."""
import time

from delfin.common import constants
from delfin.resources import registry
from delfin.sdk import validation as v

NOW = int(time.time() * 1000)


def codes(found, severity=v.ERROR):
    return sorted(x.code for x in found if x.severity == severity)


def test_valid_pool_has_no_violation():
    pool = {'native_storage_pool_id': 'p', 'name': 'p', 'status': 'normal',
            'storage_type': 'block', 'total_capacity': 10,
            'used_capacity': 4, 'free_capacity': 6, 'storage_id': 's'}
    assert v.check_resource(registry.by_name('storage_pool'), pool, 'x',
                            's') == []


def test_types_are_strict():
    volume = registry.by_name('volume')
    found = v.check_resource(volume, {
        'native_volume_id': 'v', 'total_capacity': True, 'compressed': 1,
        'name': 7, 'used_capacity': 1.5}, 'x')
    assert codes(found) == [v.TYPE] * 4
    assert {f.path for f in found} == {'x.total_capacity', 'x.compressed',
                                       'x.name', 'x.used_capacity'}


def test_integer_ranges_and_lengths():
    controller = registry.by_name('controller')
    found = v.check_resource(controller, {
        'native_controller_id': 'c', 'cpu_count': 2 ** 31,
        'name': 'n' * 256}, 'x')
    assert codes(found) == [v.LENGTH, v.TYPE]


def test_negative_quantities_are_unit_violations():
    port = registry.by_name('port')
    found = v.check_resource(port, {'native_port_id': 'p', 'speed': -1}, 'x')
    assert codes(found) == [v.UNIT]


def test_blank_required_value():
    found = v.check_resource(registry.STORAGE, {'serial_number': '  '}, 's')
    assert codes(found) == [v.REQUIRED]


def test_missing_storage_id_is_a_warning():
    found = v.check_resource(registry.by_name('disk'),
                             {'native_disk_id': 'd'}, 'x', 'storage-1')
    assert codes(found) == []
    assert codes(found, v.WARNING) == [v.STORAGE_ID]


def test_relation_rows_are_unique_by_both_ids():
    rel = registry.by_name('vol_grp_vol_rel')
    rows = [{'native_volume_group_id': 'g', 'native_volume_id': 'a'},
            {'native_volume_group_id': 'g', 'native_volume_id': 'b'},
            {'native_volume_group_id': 'g', 'native_volume_id': 'a'}]
    found = v.check_resources(rel, rows, 'r')
    assert [(f.code, f.path) for f in found] == [(v.DUPLICATE, 'r[2]')]


def test_reference_to_an_unlisted_kind_is_a_warning():
    found = v.check_references(
        {'port': [{'native_port_id': 'p', 'native_parent_id': 'c'}]},
        {'port': 'list_ports'})
    assert codes(found) == []
    assert codes(found, v.WARNING) == [v.REFERENCE]


def test_relation_rows_must_name_listed_groups_and_members():
    results = {
        'port': [{'native_port_id': 'p1'}],
        'port_group': [{'native_port_group_id': 'g1'}],
        'port_grp_port_rel': [
            {'native_port_group_id': 'g1', 'native_port_id': 'p1'},
            {'native_port_group_id': 'g2', 'native_port_id': 'p9'}],
    }
    paths = {'port': 'list_ports', 'port_group': 'list_port_groups.pg',
             'port_grp_port_rel': 'list_port_groups.rel'}
    found = v.check_references(results, paths)
    assert sorted(f.path for f in found) == [
        'list_port_groups.rel[1].native_port_group_id',
        'list_port_groups.rel[1].native_port_id']


def test_masking_view_sides():
    def views(**fields):
        row = dict({'native_masking_view_id': 'm'}, **fields)
        return v.check_references({'masking_view': [row]},
                                  {'masking_view': 'mv'})
    assert codes(views(native_storage_host_id='h', native_volume_id='v'),
                 v.ERROR) == []
    assert codes(views(native_storage_host_id='h')) == [v.MASKING_VIEW]
    assert codes(views(native_storage_host_id='h',
                       native_storage_host_group_id='g',
                       native_volume_group_id='vg')) == [v.MASKING_VIEW]


def _alert(**changes):
    alert = {'alert_id': 1, 'alert_name': 'a', 'severity': 'Major',
             'category': 'Fault', 'type': 'EquipmentAlarm',
             'sequence_number': 'x', 'occur_time': NOW}
    alert.update(changes)
    return alert


def test_alert_model():
    assert v.check_alert(_alert(), 'a', NOW) == []
    found = v.check_alert(_alert(category='Alarm', clear_category='Soon',
                                 occur_time=NOW + 2 * 86400000), 'a', NOW)
    assert codes(found) == [v.ALERT, v.ENUM, v.ENUM]
    missing = v.check_alert({'alert_id': 'x'}, 'a', NOW)
    assert codes(missing) == [v.REQUIRED] * 6


def test_alert_extra_keys_are_warnings():
    found = v.check_alert(_alert(colour='red'), 'a', NOW)
    assert codes(found) == [] and codes(found, v.WARNING) == [v.UNKNOWN_KEY]


def test_alert_outside_queried_window():
    query = {'begin_time': NOW - 10, 'end_time': NOW - 5}
    found = v.check_alert(_alert(), 'a', NOW, query)
    assert codes(found) == [v.ALERT]


def test_capabilities_use_the_service_schema():
    good = {'is_historic': True, 'resource_metrics': {
        'controller': {'cpuUsage': {'unit': '%', 'description': 'cpu'}}}}
    assert v.check_capabilities(good) == []
    assert v.check_capabilities(None) == []
    found = v.check_capabilities({'resource_metrics': {'share': {}}})
    assert {f.path for f in found} == {'get_capabilities',
                                       'get_capabilities.resource_metrics'}


def _metric(name='iops', stamp=NOW, value=1.0, **labels):
    base = {'storage_id': 's', 'resource_type': 'volume',
            'resource_id': 'v1', 'unit': constants.METRIC_UNITS[name]}
    base.update(labels)
    return constants.metric_struct(name, base, {stamp: value})


ASKED = {'volume': {'iops': {}, 'cacheHitRatio': {}}}


def test_metrics():
    check = v.check_metrics
    assert check([_metric()], ASKED, 's', NOW - 1000, NOW) == []
    assert codes(check([_metric(value=-1.0)], ASKED, 's', 0, NOW)) == \
        [v.METRIC]
    assert codes(check([_metric('cacheHitRatio', value=101.0)], ASKED, 's',
                       0, NOW)) == [v.METRIC]
    assert codes(check([_metric('throughput')], ASKED, 's', 0, NOW)) == \
        [v.METRIC]
    assert codes(check([_metric(resource_type='port')], ASKED, 's', 0,
                       NOW)) == [v.METRIC]
    assert codes(check([_metric(storage_id='t')], ASKED, 's', 0, NOW)) == \
        [v.METRIC]
    assert codes(check([_metric(stamp=float(NOW))], ASKED, 's', 0,
                       NOW)) == [v.METRIC]
    assert codes(check({'iops': 1}, ASKED, 's', 0, NOW)) == [v.SHAPE]
    assert codes(check([('iops', {}, {})], ASKED, 's', 0, NOW)) == \
        [v.METRIC]


def test_metrics_of_unknown_resources_are_warnings():
    found = v.check_metrics([_metric()], ASKED, 's', 0, NOW,
                            inventory={'volume': {'v2'}})
    assert codes(found) == [] and codes(found, v.WARNING) == [v.METRIC]


def test_what_the_sync_tolerates_is_still_an_error_here():
    # The sync stores a vendor value as given, keeps the last of two
    # items with one native id and skips what it cannot store; a driver
    # author is still told about each.
    port = registry.by_name('port')
    found = v.check_resources(port, [
        {'native_port_id': 'p0', 'logical_type': 'frontend'},
        {'native_port_id': 'p1', 'logical_type': 'location_port_1'}], 'ports')
    assert [(f.code, f.path, f.severity) for f in found] == [
        (v.ENUM, 'ports[1].logical_type', v.ERROR)]
    disk = registry.by_name('disk')
    found = v.check_resources(disk, [{'native_disk_id': 'd0'},
                                     {'native_disk_id': 'd0'}], 'disks')
    assert [(f.code, f.path, f.severity) for f in found] == [
        (v.DUPLICATE, 'disks[1]', v.ERROR)]
    volume = registry.by_name('volume')
    found = v.check_resources(volume, [
        {'name': 'no id'}, {'native_volume_id': 'v', 'total_capacity': 'lots'},
        None], 'volumes')
    assert [(f.code, f.path, f.severity) for f in found] == [
        (v.REQUIRED, 'volumes[0].native_volume_id', v.ERROR),
        (v.TYPE, 'volumes[1].total_capacity', v.ERROR),
        (v.SHAPE, 'volumes[2]', v.ERROR)]
