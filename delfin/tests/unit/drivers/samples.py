"""Sample drivers used by the driver-layer tests.

Written the way drivers for Delfin are: they subclass StorageDriver and
import only the names such drivers import.  The test entry points
(``conftest.sample_entry_points``) publish them under vendor ``sample``.
"""
import threading

from delfin.common import constants
from delfin.drivers import driver


class DelfinStyleDriver(driver.StorageDriver):
    """Overrides only some listers and declares nothing, like every Delfin
    driver.  Records the context ``storage_id`` of each call."""

    built = 0
    built_lock = threading.Lock()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with DelfinStyleDriver.built_lock:
            DelfinStyleDriver.built += 1
        self.kwargs = kwargs
        self.host = (kwargs.get('rest') or {}).get('host')
        self.seen_storage_ids = []
        self.deleted = False

    def _seen(self, context):
        self.seen_storage_ids.append(getattr(context, 'storage_id', None))

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        self._seen(context)
        if self.host == 'no-storage':
            return {}
        if self.host == 'no-serial':
            return {'name': 'sample'}
        return {'name': 'sample', 'vendor': 'Sample', 'model': 'S1',
                'status': constants.StorageStatus.NORMAL,
                'serial_number': 'SN-%s' % self.host,
                'total_capacity': 100, 'used_capacity': 40,
                'free_capacity': 60, 'storage_id': self.storage_id}

    def list_storage_pools(self, context):
        self._seen(context)
        return [{'native_storage_pool_id': 'p1', 'name': 'p1',
                 'storage_id': self.storage_id,
                 'status': constants.StoragePoolStatus.NORMAL}]

    def list_volumes(self, context):
        self._seen(context)
        return ({'native_volume_id': 'v%d' % i, 'name': 'v%d' % i,
                 'native_storage_pool_id': 'p1',
                 'storage_id': self.storage_id} for i in range(3))

    def list_ports(self, context):
        self._seen(context)
        return [{'native_port_id': 'port1', 'name': 'port1',
                 'type': constants.PortType.FC,
                 'storage_id': self.storage_id}]

    def list_disks(self, context):
        # Delfin's fake driver returned this non-column key.
        return [{'native_disk_id': 'd1', 'name': 'd1',
                 'native_diskgroup_id': 'dg1',
                 'storage_id': self.storage_id}]

    def list_storage_host_groups(self, context):
        return {'storage_host_groups': [
                    {'native_storage_host_group_id': 'hg1', 'name': 'hg1',
                     'storage_id': self.storage_id}],
                'storage_host_grp_host_rels': [
                    {'native_storage_host_group_id': 'hg1',
                     'native_storage_host_id': 'h1',
                     'storage_id': self.storage_id}]}

    def list_shares(self, context):
        # Overridden, but this backend model has no file service.
        raise NotImplementedError("Driver API list_shares() is not "
                                  "Implemented")

    def list_controllers(self, context):
        raise RuntimeError('controller query crashed')

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    @staticmethod
    def parse_alert(context, alert):
        return {'alert_id': alert.get('id'), 'storage_id':
                getattr(context, 'storage_id', None)}

    def list_alerts(self, context, query_para=None):
        return [{'alert_id': 'a1', 'sequence_number': '1'}]

    def clear_alert(self, context, sequence_number):
        self.cleared = sequence_number

    @staticmethod
    def get_capabilities(context, filters=None):
        return {'is_historic': False,
                'resource_metrics': {'volume': {'iops': {
                    'unit': 'IOPS', 'description': 'IO per second'}}}}

    def delete_storage(self, context):
        self.deleted = True


class DeclaringDriver(DelfinStyleDriver):
    """Declares its kinds and metrics; serves ports but not disks, host
    groups or shares although it inherits listers for them."""
    SUPPORTED_RESOURCES = frozenset({'storage', 'storage_pool', 'volume',
                                     'port'})
    PERFORMANCE_METRICS = {
        'storagePool': {'throughput': {'unit': 'MB/s',
                                       'description': 'Pool throughput'}},
        'port': {'iops': {'unit': 'IOPS', 'description': 'Port IOPS'}},
    }

    @staticmethod
    def get_capabilities(context, filters=None):
        return None


class UnknownKindDriver(DelfinStyleDriver):
    SUPPORTED_RESOURCES = ('volume', 'lun')


class UnknownMetricDriver(DelfinStyleDriver):
    PERFORMANCE_METRICS = {'volume': {'iops': {'unit': 'MB/s'}}}


class InvalidCapabilitiesDriver(DelfinStyleDriver):
    @staticmethod
    def get_capabilities(context, filters=None):
        return {'is_historic': True, 'resource_metrics': {
            'volume': {'latency': {'unit': 'ms'}}}}


class NoMetricsDriver(DelfinStyleDriver):
    """Fills some kinds and collects no performance metrics."""

    @staticmethod
    def get_capabilities(context, filters=None):
        return None


class BrokenDeleteDriver(DelfinStyleDriver):
    def delete_storage(self, context):
        raise RuntimeError('backend session already gone')


class IncompleteDriver(driver.StorageDriver):
    """Forgets list_alerts and clear_alert, two abstract methods."""

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        return {'name': 'incomplete', 'serial_number': 'INC-1'}

    def list_storage_pools(self, context):
        return []

    def list_volumes(self, context):
        return []

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass


class NotADriver(object):
    """Published by mistake: not a StorageDriver."""
