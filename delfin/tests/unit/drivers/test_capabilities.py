"""Tests of driver capabilities (delfin.drivers.capabilities)."""
import jsonschema
import pytest

from delfin import exception
from delfin.common import constants
from delfin.drivers import capabilities
from delfin.drivers import driver as base
from delfin.drivers.fake_storage import FakeStorageDriver
from delfin.resources import registry
from delfin.tests.unit.drivers import samples


def test_inferred_from_the_listers_a_delfin_style_driver_overrides():
    kinds = capabilities.supported_kinds(samples.DelfinStyleDriver)
    assert list(kinds) == [k.name for k in registry.inventory_kinds()]
    supported = {k for k, ok in kinds.items() if ok}
    # Overridden listers (list_shares and list_controllers are overridden
    # too: whether they work is only known when they are called).
    assert supported == {
        'storage_pool', 'volume', 'port', 'disk', 'share', 'controller',
        'storage_host_group', 'storage_host_grp_host_rel'}


def test_relation_kinds_follow_their_group():
    kinds = capabilities.supported_kinds(samples.DelfinStyleDriver)
    assert kinds['storage_host_grp_host_rel'] is True
    assert kinds['port_group'] is kinds['port_grp_port_rel'] is False
    assert kinds['volume_group'] is kinds['vol_grp_vol_rel'] is False


def test_fake_driver_supports_every_kind():
    assert all(capabilities.supported_kinds(FakeStorageDriver).values())


def test_instance_and_class_agree():
    d = samples.DelfinStyleDriver(storage_id='s')
    assert capabilities.supported_kinds(d) == \
        capabilities.supported_kinds(samples.DelfinStyleDriver)


def test_declared_kinds_win_over_overridden_methods():
    kinds = capabilities.supported_kinds(samples.DeclaringDriver)
    assert {k for k, ok in kinds.items() if ok} == {
        'storage_pool', 'volume', 'port'}
    # list_disks is overridden (inherited) but not declared.
    assert kinds['disk'] is False


@pytest.mark.parametrize('declared, fragment', [
    (('volume', 'lun'), "unknown resource kind 'lun'"),
    (('storage_host_grp_host_rel',), "declare its group "
                                     "'storage_host_group'"),
    ('volume', 'must be a collection'),
    (('qtree',), "declares 'qtree' but the driver does not implement "
                 "list_qtrees()"),
])
def test_invalid_declared_kinds_fail_at_load(declared, fragment):
    cls = type('Declares', (samples.DelfinStyleDriver,),
               {'SUPPORTED_RESOURCES': declared})
    with pytest.raises(exception.InvalidStorageCapability) as err:
        capabilities.validate_driver_class(cls)
    assert fragment in str(err.value)
    assert 'Declares.SUPPORTED_RESOURCES' in str(err.value)


@pytest.mark.parametrize('metrics, fragment', [
    ({'volume': {'iops': {'unit': 'MB/s'}}}, "volume/iops/unit"),
    ({'volume': {'latency': {'unit': 'ms'}}}, "'latency'"),
    ({'share': {'iops': {'unit': 'IOPS'}}}, "'share'"),
    ({'controller': {'cpuUsage': {'unit': '%', 'description': ''}}},
     'controller/cpuUsage/description'),
])
def test_invalid_declared_metrics_fail_at_load(metrics, fragment):
    cls = type('Measures', (samples.DelfinStyleDriver,),
               {'PERFORMANCE_METRICS': metrics})
    with pytest.raises(exception.InvalidStorageCapability) as err:
        capabilities.validate_driver_class(cls)
    assert fragment in str(err.value)


def test_valid_declarations_pass():
    assert capabilities.validate_driver_class(samples.DeclaringDriver) is \
        samples.DeclaringDriver
    assert capabilities.validate_driver_class(FakeStorageDriver) is \
        FakeStorageDriver


def test_a_class_that_is_not_a_driver_is_rejected():
    with pytest.raises(exception.InvalidStorageCapability,
                       match='not a subclass'):
        capabilities.validate_driver_class(samples.NotADriver)


def test_runtime_not_implemented_marks_the_instance_only():
    d1 = samples.DelfinStyleDriver(storage_id='s1')
    d2 = samples.DelfinStyleDriver(storage_id='s2')
    assert capabilities.record_unsupported(d1, 'storage_host_grp_host_rel')
    assert not capabilities.record_unsupported(d1,
                                               'storage_host_grp_host_rel')
    kinds = capabilities.supported_kinds(d1)
    assert kinds['storage_host_group'] is False
    assert kinds['storage_host_grp_host_rel'] is False
    assert capabilities.supported_kinds(d2)['storage_host_group'] is True
    assert capabilities.supported_kinds(
        samples.DelfinStyleDriver)['storage_host_group'] is True


# -- schema -------------------------------------------------------------------

def test_schema_is_generated_from_the_vocabulary():
    schema = capabilities.capabilities_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    per_type = schema['properties']['resource_metrics']['properties']
    assert set(per_type) == set(constants.CAPABILITY_METRICS)
    for rtype, names in constants.CAPABILITY_METRICS.items():
        metrics = per_type[rtype]['properties']
        assert set(metrics) == set(names)
        for name in names:
            assert metrics[name]['properties']['unit']['enum'] == [
                constants.METRIC_UNITS[name]]


def test_delfin_documented_intervals_are_accepted():
    spec = {'is_historic': True, 'collect_interval': 300,
            'failed_job_collect_interval': 600,
            'performance_metric_retention_window': 4500,
            'resource_metrics': {'storage': {'iops': {
                'unit': 'IOPS', 'description': 'x'}}}}
    assert capabilities.validate_capabilities(spec) is spec


@pytest.mark.parametrize('spec, fragment', [
    ({}, "'is_historic' is a required property"),
    ({'is_historic': 'yes'}, 'is_historic'),
    ({'is_historic': True, 'extra': 1}, "'extra'"),
    ({'is_historic': True, 'collect_interval': 0}, 'collect_interval'),
    ({'is_historic': True, 'resource_metrics': {
        'disk': {'cpuUsage': {'unit': '%'}}}}, "'cpuUsage'"),
])
def test_invalid_capabilities_are_rejected(spec, fragment):
    with pytest.raises(exception.InvalidStorageCapability) as err:
        capabilities.validate_capabilities(spec)
    assert fragment in str(err.value)
    assert err.value.code == 500


# -- performance spec and view ------------------------------------------------

def test_spec_from_get_capabilities():
    d = samples.DelfinStyleDriver(storage_id='s')
    spec = capabilities.performance_spec(d, None)
    assert spec['resource_metrics']['volume']['iops']['unit'] == 'IOPS'
    assert capabilities.supported_metrics(d) == spec['resource_metrics']


def test_spec_from_declared_metrics_when_get_capabilities_is_empty():
    d = samples.DeclaringDriver(storage_id='s')
    spec = capabilities.performance_spec(d, None)
    assert spec == {'is_historic': False,
                    'resource_metrics': samples.DeclaringDriver
                    .PERFORMANCE_METRICS}


def test_no_performance_gives_empty_spec():
    class Quiet(samples.DelfinStyleDriver):
        get_capabilities = staticmethod(
            base.StorageDriver.get_capabilities)
    assert capabilities.performance_spec(Quiet(), None) == {}
    assert capabilities.supported_metrics(Quiet()) == {}


def test_invalid_driver_answer_is_reported():
    d = samples.InvalidCapabilitiesDriver(storage_id='s')
    with pytest.raises(exception.InvalidStorageCapability,
                       match='latency'):
        capabilities.performance_spec(d, None)


def test_view_has_delfin_keys_and_the_inventory_part():
    d = samples.DelfinStyleDriver(storage_id='s')
    body = capabilities.view({'vendor': 'Sample', 'model': 'S1'}, d,
                             capabilities.performance_spec(d, None))
    assert set(body) == {'metadata', 'spec', 'metrics', 'resources'}
    assert body['metadata'] == {'vendor': 'Sample', 'model': 'S1'}
    assert body['metrics'] == [{'resource_type': 'volume', 'name': 'iops',
                                'unit': 'IOPS',
                                'description': 'IO per second'}]
    assert body['resources']['volume'] == 'supported'
    assert body['resources']['qtree'] == 'unsupported'
    assert set(body['resources'].values()) == {'supported', 'unsupported'}
    assert len(body['resources']) == len(registry.inventory_kinds())
