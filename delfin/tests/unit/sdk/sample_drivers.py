"""Small drivers for the SDK tests: one that honours the whole contract and,
derived from it, one per kind of mistake the conformance check must catch.

The tests publish them as entry points of a temporary distribution, so the
check loads them through stevedore exactly as the service would.  The good
driver serves the coherent inventory of ``data/inventory.json``.
"""
import copy
import json
import os
import time

from delfin import cryptor
from delfin import exception
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
PASSWORD = 'sample-secret'

with open(os.path.join(DATA, 'inventory.json'), encoding='utf-8') as _f:
    INVENTORY = json.load(_f)

ALERT_OID = '1.3.6.1.4.1.32473.9.1'
SEQUENCE_OID = '1.3.6.1.4.1.32473.9.2'


def _now_ms():
    return int(time.time() * 1000)


def _alert(sequence, occur_time, **changes):
    alert = {
        'alert_id': 'disk-failed', 'alert_name': 'Disk failed',
        'severity': constants.Severity.MAJOR,
        'category': constants.Category.FAULT,
        'type': constants.EventType.EQUIPMENT_ALARM,
        'sequence_number': sequence, 'occur_time': occur_time,
        'description': 'disk d1 failed', 'recovery_advice': 'replace it',
        'resource_type': constants.DEFAULT_RESOURCE_TYPE,
        'location': 'bay 1',
    }
    alert.update(changes)
    return alert


class GoodDriver(driver.StorageDriver):
    """Every interface, every kind, all valid."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.password = (kwargs.get('rest') or {}).get('password')
        self.cleared = []
        # Fixed per instance, as a backend's alert list is between calls.
        now = _now_ms()
        self._held = [_alert('100', now - 60000), _alert('101', now - 30000)]

    def _items(self, kind):
        rows = copy.deepcopy(INVENTORY[kind])
        for row in rows:
            row['storage_id'] = self.storage_id
        return rows

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        # The password arrives encrypted, as from the service.
        if cryptor.decode(self.password) != PASSWORD:
            raise exception.InvalidUsernameOrPassword()
        return copy.deepcopy(INVENTORY['storage'])

    def list_storage_pools(self, context):
        return self._items('storage_pool')

    def list_volumes(self, context):
        # A generator, as large backends return.
        yield from self._items('volume')

    def list_controllers(self, context):
        return self._items('controller')

    def list_ports(self, context):
        return self._items('port')

    def list_disks(self, context):
        return self._items('disk')

    def list_filesystems(self, context):
        return self._items('filesystem')

    def list_qtrees(self, context):
        return self._items('qtree')

    def list_quotas(self, context):
        return self._items('quota')

    def list_shares(self, context):
        return self._items('share')

    def list_storage_hosts(self, context):
        return self._items('storage_host')

    def list_storage_host_initiators(self, context):
        return self._items('storage_host_initiator')

    def list_storage_host_groups(self, context):
        return {'storage_host_groups': self._items('storage_host_group'),
                'storage_host_grp_host_rels':
                    self._items('storage_host_grp_host_rel')}

    def list_port_groups(self, context):
        return {'port_groups': self._items('port_group'),
                'port_grp_port_rels': self._items('port_grp_port_rel')}

    def list_volume_groups(self, context):
        return {'volume_groups': self._items('volume_group'),
                'vol_grp_vol_rels': self._items('vol_grp_vol_rel')}

    def list_masking_views(self, context):
        return self._items('masking_view')

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    @staticmethod
    def parse_alert(context, alert):
        if ALERT_OID not in alert:
            return None
        if SEQUENCE_OID not in alert:
            raise exception.IncompleteTrapInformation(alert.get('storage_id'))
        return _alert(alert[SEQUENCE_OID], _now_ms(),
                      alert_id=alert[ALERT_OID])

    def held_alerts(self):
        return copy.deepcopy(self._held)

    def list_alerts(self, context, query_para=None):
        return [a for a in self.held_alerts()
                if alert_util.is_alert_in_time_range(query_para,
                                                     a['occur_time'])]

    def clear_alert(self, context, sequence_number):
        self.cleared.append(sequence_number)

    @staticmethod
    def get_capabilities(context, filters=None):
        return {'is_historic': False, 'resource_metrics': {
            constants.ResourceType.VOLUME: {
                'iops': {'unit': 'IOPS', 'description': 'operations'},
                'throughput': {'unit': 'MB/s', 'description': 'data'}}}}

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        metrics = []
        for volume in INVENTORY['volume']:
            for name in resource_metrics.get('volume', {}):
                labels = {'storage_id': storage_id, 'resource_type': 'volume',
                          'resource_id': volume['native_volume_id'],
                          'resource_name': volume['name'], 'type': 'RAW',
                          'unit': constants.METRIC_UNITS[name]}
                metrics.append(constants.metric_struct(
                    name, labels, {end_time: 1.5, start_time: 0.5}))
        return metrics


def _changed(rows, index, **changes):
    rows[index].update(changes)
    return rows


class WrongTypeDriver(GoodDriver):
    def list_volumes(self, context):
        return _changed(self._items('volume'), 1, total_capacity='50')


class BadEnumDriver(GoodDriver):
    def list_storage_pools(self, context):
        return _changed(self._items('storage_pool'), 0, status='ok')


class MissingRequiredDriver(GoodDriver):
    def list_controllers(self, context):
        rows = self._items('controller')
        del rows[0]['native_controller_id']
        return rows


class UnknownKeyDriver(GoodDriver):
    def list_disks(self, context):
        return _changed(self._items('disk'), 0, native_diskgroup_id='dg-1')


class OverfullDriver(GoodDriver):
    def list_storage_pools(self, context):
        return _changed(self._items('storage_pool'), 0, used_capacity=700)


class DuplicateDriver(GoodDriver):
    def list_ports(self, context):
        return _changed(self._items('port'), 1, native_port_id='port-1')


class DanglingReferenceDriver(GoodDriver):
    def list_volumes(self, context):
        return _changed(self._items('volume'), 0,
                        native_storage_pool_id='pool-gone')


class BadMaskingViewDriver(GoodDriver):
    def list_masking_views(self, context):
        return _changed(self._items('masking_view'), 1,
                        native_storage_host_group_id='hg-1',
                        native_volume_id=None)


class WrongStorageIdDriver(GoodDriver):
    def list_shares(self, context):
        return _changed(self._items('share'), 0, storage_id='another')


class BadAlertDriver(GoodDriver):
    def held_alerts(self):
        alerts = super().held_alerts()
        alerts[0]['severity'] = 'High'
        # Seconds instead of milliseconds, as Delfin's fake driver did.
        alerts[1]['occur_time'] = alerts[1]['occur_time'] // 1000
        return alerts


class UnfilteredAlertsDriver(GoodDriver):
    def list_alerts(self, context, query_para=None):
        return self.held_alerts()


class BadTrapDriver(GoodDriver):
    @staticmethod
    def parse_alert(context, alert):
        parsed = GoodDriver.parse_alert(context, alert)
        if parsed:
            parsed['category'] = 'Alarm'
        return parsed


class BadCapabilitiesDriver(GoodDriver):
    @staticmethod
    def get_capabilities(context, filters=None):
        return {'is_historic': 'no', 'resource_metrics': {
            'volume': {'iops': {'unit': 'MB/s', 'description': 'x'},
                       'temperature': {'unit': 'C'}}}}


class BadPerfDriver(GoodDriver):
    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        metrics = super().collect_perf_metrics(
            context, storage_id, resource_metrics, start_time, end_time)
        first = metrics[0]
        first.labels['unit'] = 'KB'
        first.values[start_time - 3600 * 1000] = 1.0
        return metrics


class FailingListerDriver(GoodDriver):
    def list_ports(self, context):
        raise exception.StorageBackendException('port API answered 500')


class NoneListerDriver(GoodDriver):
    def list_disks(self, context):
        # What a Delfin driver with "def list_disks(...): pass" returns.
        return None


class MinimalDriver(driver.StorageDriver):
    """Only what StorageDriver makes abstract; nothing optional."""

    def reset_connection(self, context, **kwargs):
        pass

    def get_storage(self, context):
        return copy.deepcopy(INVENTORY['storage'])

    def list_storage_pools(self, context):
        return [dict(p, storage_id=self.storage_id)
                for p in INVENTORY['storage_pool']]

    def list_volumes(self, context):
        return [dict(v, storage_id=self.storage_id)
                for v in INVENTORY['volume']]

    def add_trap_config(self, context, trap_config):
        pass

    def remove_trap_config(self, context, trap_config):
        pass

    def list_alerts(self, context, query_para=None):
        return []

    def clear_alert(self, context, sequence_number):
        pass


class DelfinStyleUnsupportedDriver(MinimalDriver):
    """Overrides listers only to refuse them, as many Delfin drivers do."""

    def list_ports(self, context):
        raise NotImplementedError('ports are not supported')


class DeclaredButMissingDriver(MinimalDriver):
    SUPPORTED_RESOURCES = ('storage_pool', 'volume', 'port')

    def list_ports(self, context):
        raise NotImplementedError('ports are not supported')


class SlowDriver(MinimalDriver):
    def list_volumes(self, context):
        time.sleep(2)
        return super().list_volumes(context)


class NotADriver(object):
    """Published under the driver namespace by mistake."""


# Entry point model name -> class name, all under vendor "sdktest".
DRIVERS = {
    'good': 'GoodDriver',
    'wrong_type': 'WrongTypeDriver',
    'bad_enum': 'BadEnumDriver',
    'missing_required': 'MissingRequiredDriver',
    'unknown_key': 'UnknownKeyDriver',
    'overfull': 'OverfullDriver',
    'duplicate': 'DuplicateDriver',
    'dangling_reference': 'DanglingReferenceDriver',
    'bad_masking_view': 'BadMaskingViewDriver',
    'wrong_storage_id': 'WrongStorageIdDriver',
    'bad_alert': 'BadAlertDriver',
    'unfiltered_alerts': 'UnfilteredAlertsDriver',
    'bad_trap': 'BadTrapDriver',
    'bad_capabilities': 'BadCapabilitiesDriver',
    'bad_perf': 'BadPerfDriver',
    'failing_lister': 'FailingListerDriver',
    'none_lister': 'NoneListerDriver',
    'minimal': 'MinimalDriver',
    'delfin_style_unsupported': 'DelfinStyleUnsupportedDriver',
    'declared_but_missing': 'DeclaredButMissingDriver',
    'slow': 'SlowDriver',
}
VENDOR = 'sdktest'


def entry_points():
    """``{"sdktest <model>": "module:Class"}`` for every sample driver."""
    return {'%s %s' % (VENDOR, model): '%s:%s' % (__name__, cls)
            for model, cls in DRIVERS.items()}
