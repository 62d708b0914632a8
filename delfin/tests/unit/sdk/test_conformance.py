"""The conformance check catches each class of contract violation.

Every sample driver of `sample_drivers` is published by a temporary
distribution and loaded through stevedore by vendor and model, as the
service loads drivers.
"""
import os

import pytest

from delfin.sdk import conformance
from delfin.sdk import report as rpt
from delfin.sdk import validation
from delfin.tests.unit.sdk import sample_drivers

TRAPS = os.path.join(sample_drivers.DATA, 'traps.yaml')
ACCESS_INFO = {'rest': {'host': '192.0.2.7', 'port': 443,
                        'username': 'admin',
                        'password': sample_drivers.PASSWORD}}


@pytest.fixture(autouse=True)
def _published(sample_dist):
    yield


def check(model, **kwargs):
    kwargs.setdefault('traps', conformance.load_traps(TRAPS))
    kwargs.setdefault('allow_clear', True)
    return conformance.run_check(sample_drivers.VENDOR, model,
                                 dict(ACCESS_INFO), **kwargs)


def codes(item, severity=validation.ERROR):
    return {v.code for v in item.violations if v.severity == severity}


def paths(item):
    return [v.path for v in item.violations
            if v.severity == validation.ERROR]


def test_good_driver_passes_every_interface():
    report = check('good')
    assert report.passed, [v.as_dict() for v in report.violations]
    statuses = {i.name: i.status for i in report.interfaces}
    assert set(statuses.values()) == {rpt.PASSED}
    assert report.interface('list_volumes').counts == {'volume': 2}
    assert report.interface('list_storage_host_groups').counts == {
        'storage_host_group': 1, 'storage_host_grp_host_rel': 2}
    assert report.interface('parse_alert').counts == {'traps': 3,
                                                      'alerts': 1}
    assert report.interface('collect_perf_metrics').counts['series'] == 4
    assert report.driver['distribution'] == 'sdk-sample-drivers'
    assert report.driver['version'] == '2.5'
    assert all(i.duration_ms is not None and i.duration_ms >= 0
               for i in report.interfaces)


def test_password_reaches_the_driver_encrypted():
    access = {'rest': dict(ACCESS_INFO['rest'], password='wrong')}
    report = conformance.run_check(sample_drivers.VENDOR, 'good', access)
    storage = report.interface('get_storage')
    assert storage.status == rpt.ERROR
    assert 'InvalidUsernameOrPassword' in storage.error


def test_wrong_type():
    item = check('wrong_type').interface('list_volumes')
    assert item.status == rpt.FAILED
    assert codes(item) == {validation.TYPE}
    assert paths(item) == ['list_volumes[1].total_capacity']


def test_bad_enum():
    item = check('bad_enum').interface('list_storage_pools')
    assert codes(item) == {validation.ENUM}
    assert paths(item) == ['list_storage_pools[0].status']


def test_missing_required_key():
    item = check('missing_required').interface('list_controllers')
    assert codes(item) == {validation.REQUIRED}
    assert paths(item) == ['list_controllers[0].native_controller_id']


def test_unknown_key():
    item = check('unknown_key').interface('list_disks')
    assert codes(item) == {validation.UNKNOWN_KEY}
    assert paths(item) == ['list_disks[0].native_diskgroup_id']


def test_used_capacity_above_total():
    item = check('overfull').interface('list_storage_pools')
    assert codes(item) == {validation.UNIT}
    assert paths(item) == ['list_storage_pools[0].used_capacity']


def test_duplicate_identity():
    item = check('duplicate').interface('list_ports')
    assert codes(item) == {validation.DUPLICATE}
    assert paths(item) == ['list_ports[1]']


def test_dangling_reference():
    report = check('dangling_reference')
    item = report.interface('list_volumes')
    assert codes(item) == {validation.REFERENCE}
    assert paths(item) == ['list_volumes[0].native_storage_pool_id']
    assert not report.passed


def test_bad_masking_view():
    item = check('bad_masking_view').interface('list_masking_views')
    assert codes(item) == {validation.MASKING_VIEW}
    messages = ' '.join(v.message for v in item.violations)
    assert 'native_storage_host_group_id, native_storage_host_id' in messages
    assert 'found none' in messages


def test_wrong_storage_id():
    item = check('wrong_storage_id').interface('list_shares')
    assert codes(item) == {validation.STORAGE_ID}


def test_bad_alert():
    item = check('bad_alert').interface('list_alerts')
    assert codes(item) == {validation.ENUM, validation.ALERT}
    text = ' '.join(v.message for v in item.violations)
    assert 'looks like seconds' in text
    assert 'list_alerts[0].severity' in paths(item)


def test_alert_time_window_not_applied():
    report = check('unfiltered_alerts')
    assert report.interface('list_alerts').status == rpt.PASSED
    item = report.interface('list_alerts(query_para)')
    assert item.status == rpt.FAILED
    assert codes(item) == {validation.ALERT}


def test_bad_trap_parsing():
    item = check('bad_trap').interface('parse_alert')
    assert item.status == rpt.FAILED
    assert paths(item) == ['parse_alert[0].category']


def test_trap_expectations_are_enforced():
    traps = [{'expect': 'ignored',
              'varbinds': {sample_drivers.ALERT_OID: 'x',
                           sample_drivers.SEQUENCE_OID: '1'}},
             {'expect': 'IncompleteTrapInformation',
              'varbinds': {sample_drivers.ALERT_OID: 'x',
                           sample_drivers.SEQUENCE_OID: '2'}},
             {'1.3.6.1.6.3.1.1.4.1.0': '1.3.6.1.6.3.1.1.5.1'}]
    item = check('good', traps=traps).interface('parse_alert')
    assert paths(item) == ['parse_alert[0]', 'parse_alert[1]',
                           'parse_alert[2]']


def test_bad_capabilities():
    report = check('bad_capabilities')
    item = report.interface('get_capabilities')
    assert codes(item) == {validation.CAPABILITIES}
    assert set(paths(item)) >= {
        'get_capabilities.is_historic',
        'get_capabilities.resource_metrics.volume',
        'get_capabilities.resource_metrics.volume.iops.unit'}
    # Invalid capabilities are not used to collect performance.
    assert report.interface('collect_perf_metrics').status == \
        rpt.UNSUPPORTED


def test_bad_perf_metric():
    item = check('bad_perf').interface('collect_perf_metrics')
    assert codes(item) == {validation.METRIC}
    assert set(paths(item)) == {
        'collect_perf_metrics[0].labels.unit',
        'collect_perf_metrics[0].values[%d]' % min(
            int(k) for k in _window_keys(item))}


def _window_keys(item):
    return [v.path.rsplit('[', 1)[1].rstrip(']') for v in item.violations
            if '.values[' in v.path]


def test_exception_in_a_lister():
    report = check('failing_lister')
    item = report.interface('list_ports')
    assert item.status == rpt.ERROR
    assert 'StorageBackendException' in item.error
    assert 'port API answered 500' in item.error
    assert codes(item) == {validation.EXCEPTION}
    assert not report.passed
    # The other interfaces still ran.
    assert report.interface('list_disks').status == rpt.PASSED


def test_lister_returning_none():
    item = check('none_lister').interface('list_disks')
    assert item.status == rpt.FAILED
    assert codes(item) == {validation.SHAPE}


def test_unsupported_interfaces_are_not_failures():
    report = check('minimal')
    assert report.passed, [v.as_dict() for v in report.violations]
    statuses = {i.name: i.status for i in report.interfaces}
    for name in ('list_controllers', 'list_ports', 'list_masking_views',
                 'parse_alert', 'get_capabilities', 'collect_perf_metrics'):
        assert statuses[name] == rpt.UNSUPPORTED, name
    assert statuses['list_volumes'] == rpt.PASSED
    assert report.summary()['interfaces'][rpt.UNSUPPORTED] >= 14


def test_not_implemented_at_run_time_is_unsupported():
    report = check('delfin_style_unsupported')
    item = report.interface('list_ports')
    assert item.status == rpt.UNSUPPORTED
    assert item.note == 'raised NotImplementedError'
    assert report.passed


def test_declared_kind_that_is_not_served():
    report = check('declared_but_missing')
    item = report.interface('list_ports')
    assert item.status == rpt.FAILED
    assert codes(item) == {validation.DECLARATION}
    assert report.interface('list_disks').note == \
        'not in SUPPORTED_RESOURCES'


def test_a_hanging_call_is_reported_and_the_check_goes_on():
    report = check('slow', call_timeout=0.2)
    item = report.interface('list_volumes')
    assert item.status == rpt.ERROR
    assert 'no answer after' in item.error
    assert report.interface('list_alerts').status == rpt.PASSED


def test_clear_alert_only_when_allowed():
    report = check('good', allow_clear=False)
    assert report.interface('clear_alert').status == rpt.SKIPPED
    assert report.passed
    item = check('good').interface('clear_alert')
    assert item.status == rpt.PASSED
    assert item.note == "cleared sequence_number '100'"


def test_unknown_driver_is_fatal_and_explained():
    report = conformance.run_check(sample_drivers.VENDOR, 'godo',
                                   dict(ACCESS_INFO))
    assert not report.passed
    assert 'StorageDriverNotFound' in report.fatal
    load = report.interface('load')
    assert load.status == rpt.ERROR
    assert '"sdktest good" is a close spelling' in load.note
    assert [i.name for i in report.interfaces] == ['load']


def test_trap_samples_file_shapes(tmp_path):
    listed = tmp_path / 'traps.json'
    listed.write_text('[{"1.2.3": "x"}]')
    assert conformance.load_traps(str(listed)) == [{'1.2.3': 'x'}]
    wrong = tmp_path / 'wrong.yaml'
    wrong.write_text('traps: 3\n')
    with pytest.raises(ValueError):
        conformance.load_traps(str(wrong))
