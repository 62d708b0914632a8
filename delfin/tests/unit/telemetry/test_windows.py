"""Which window a collection asks for, and the plan it follows."""
import pytest
from oslo_config import cfg

from delfin import exception
from delfin.telemetry import plan as plan_mod
from delfin.telemetry import windows

CONF = cfg.CONF
MIN = 60 * 1000


def _plan(interval=900, history=None, historic=True, **spec):
    spec.setdefault('resource_metrics', {
        'storage': {'iops': {'unit': 'IOPS', 'description': 'IOPS'}}})
    spec['is_historic'] = historic
    if history is not None:
        spec['performance_metric_retention_window'] = history
    return plan_mod.build(spec, 'v m', interval)


def test_first_window_is_the_last_interval():
    w = windows.next_window(100 * MIN, None, _plan(600), overlap=60)
    assert (w.start, w.end, w.lost) == (90 * MIN, 100 * MIN, 0)


def test_next_window_starts_the_overlap_before_the_last_end():
    w = windows.next_window(110 * MIN, 100 * MIN, _plan(600), overlap=60)
    assert (w.start, w.end, w.lost) == (99 * MIN, 110 * MIN, 0)


def test_a_gap_within_the_history_is_collected_whole():
    # Down for an hour; the backend keeps two.
    w = windows.next_window(170 * MIN, 100 * MIN, _plan(600, 7200),
                            overlap=60)
    assert (w.start, w.end, w.lost) == (99 * MIN, 170 * MIN, 0)


def test_what_the_backend_no_longer_keeps_is_counted_lost():
    # Down for 5 hours; the backend keeps one: 4 hours of 10-minute
    # windows are gone.
    w = windows.next_window(400 * MIN, 100 * MIN, _plan(600, 3600),
                            overlap=60)
    assert w.start == 400 * MIN - 60 * MIN - MIN
    assert w.lost == 24


def test_a_backend_without_history_only_has_the_present():
    w = windows.next_window(200 * MIN, 100 * MIN,
                            _plan(600, historic=False), overlap=0)
    assert (w.start, w.end) == (190 * MIN, 200 * MIN)
    assert w.lost == 9


def test_due_after_one_interval():
    p = _plan(600)
    assert windows.due(0, None, p.interval)
    assert not windows.due(109 * MIN, 100 * MIN, p.interval)
    assert windows.due(110 * MIN, 100 * MIN, p.interval)


def test_interval_the_storage_then_the_driver_then_the_option():
    CONF.set_override('performance_collection_interval', 120,
                      group='telemetry')
    assert _plan(None).interval == 120
    assert _plan(None, collect_interval=300).interval == 300
    assert _plan(45, collect_interval=300).interval == 45


def test_history_defaults_to_the_reschedule_option():
    CONF.set_override('performance_history_on_reschedule', 1800,
                      group='telemetry')
    assert _plan(600).history == 1800
    assert _plan(600, 7200).history == 7200
    # Never less than one window.
    assert _plan(3600, 600).history == 3600


def test_plan_changes_its_digest_when_the_capabilities_change():
    a = _plan(600)
    b = _plan(600, resource_metrics={'storage': {
        'iops': {'unit': 'IOPS', 'description': 'x'},
        'throughput': {'unit': 'MB/s', 'description': 'y'}}})
    assert a.digest != b.digest
    assert (a.metric_count, b.metric_count) == (1, 2)
    assert a.digest == _plan(600).digest


def test_invalid_capabilities_name_the_driver_and_the_entry():
    with pytest.raises(exception.InvalidStorageCapability) as info:
        plan_mod.build({'is_historic': True, 'resource_metrics': {
            'storage': {'iops': {'unit': 'furlongs'}}}}, 'acme box')
    assert 'acme box' in str(info.value)
    assert 'iops' in str(info.value)


def test_no_capabilities_is_an_empty_plan():
    assert plan_mod.build({}, 'v m').empty
    assert plan_mod.build(None, 'v m').empty
