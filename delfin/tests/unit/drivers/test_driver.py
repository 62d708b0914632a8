"""Tests of the storage driver contract (delfin.drivers.driver)."""
import inspect

import pytest

from delfin.drivers import driver
from delfin.resources import registry

ABSTRACT = {'reset_connection', 'get_storage', 'list_storage_pools',
            'list_volumes', 'add_trap_config', 'remove_trap_config',
            'list_alerts', 'clear_alert'}

OPTIONAL_LISTERS = (
    'list_controllers', 'list_ports', 'list_disks', 'list_quotas',
    'list_filesystems', 'list_qtrees', 'list_shares',
    'list_storage_host_initiators', 'list_storage_hosts',
    'list_storage_host_groups', 'list_port_groups', 'list_volume_groups',
    'list_masking_views')


class Minimal(driver.StorageDriver):
    """Implements only the abstract methods."""

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        return {'serial_number': 'x'}

    def list_storage_pools(self, context):
        return []

    def list_volumes(self, context):
        return []

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    def list_alerts(self, context, query_para=None):
        return []

    def clear_alert(self, context, sequence_number):
        pass


def test_abstract_methods_are_delfins():
    assert driver.StorageDriver.__abstractmethods__ == ABSTRACT


def test_driver_missing_an_abstract_method_cannot_be_built():
    class Partial(driver.StorageDriver):
        def get_storage(self, context):
            return {}

    with pytest.raises(TypeError, match='abstract'):
        Partial(storage_id='s1')


def test_init_keeps_storage_id_only():
    d = Minimal(storage_id='abc', vendor='v', model='m',
                rest={'host': 'h', 'password': 'p'})
    assert d.storage_id == 'abc'
    assert Minimal().storage_id is None


@pytest.mark.parametrize('name', OPTIONAL_LISTERS)
def test_optional_listers_raise_not_implemented_with_delfin_message(name):
    d = Minimal(storage_id='abc')
    with pytest.raises(NotImplementedError) as err:
        getattr(d, name)(None)
    assert str(err.value) == "Driver API %s() is not Implemented" % name


def test_every_registry_lister_exists_on_the_contract():
    for kind in registry.ALL_KINDS:
        assert callable(getattr(driver.StorageDriver, kind.driver_method))


def test_defaults_of_optional_methods():
    d = Minimal(storage_id='abc')
    assert d.get_alert_sources(None) == []
    assert d.collect_perf_metrics(None, 'abc', {}, 0, 1) is None
    assert d.get_latest_perf_timestamp(None) is None
    assert d.add_storage({'storage_id': 'other'}) is None
    assert d.delete_storage(None) is None


def test_parse_alert_and_get_capabilities_are_static():
    for name in ('parse_alert', 'get_capabilities'):
        attr = inspect.getattr_static(driver.StorageDriver, name)
        assert isinstance(attr, staticmethod)
    assert driver.StorageDriver.parse_alert(None, {'a': 1}) is None
    assert driver.StorageDriver.get_capabilities(None) is None


def test_signatures_match_delfin():
    sig = {name: str(inspect.signature(getattr(driver.StorageDriver, name)))
           for name in ('list_alerts', 'collect_perf_metrics',
                        'get_capabilities', 'reset_connection')}
    assert sig == {
        'list_alerts': '(self, context, query_para=None)',
        'collect_perf_metrics': ('(self, context, storage_id, '
                                 'resource_metrics, start_time, end_time)'),
        'get_capabilities': '(context, filters=None)',
        'reset_connection': '(self, context, **kwargs)',
    }


def test_declared_capabilities_default_to_inferred():
    assert driver.StorageDriver.SUPPORTED_RESOURCES is None
    assert driver.StorageDriver.PERFORMANCE_METRICS is None
