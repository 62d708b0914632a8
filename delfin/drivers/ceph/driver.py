"""The ceph ceph storage driver.

Maps the backend's REST API (`client`) onto the driver contract of the
service, `delfin.drivers.driver.StorageDriver`: every method returns plain
dicts whose keys are fields of a resource kind of the registry, with
capacities in bytes, port speeds in bit/s, times in milliseconds since the
epoch and enumerated values from `delfin.common.constants` (translated by
`mapping`).

Serves: the storage, pools, volumes, controllers, ports and disks; alerts
(listed, cleared and parsed from SNMP traps); real-time performance of the
storage, pools, volumes and ports.  Other kinds are left to the base class,
which raises NotImplementedError, so the service reports them as not
supported.
"""
import datetime

from oslo_log import log as logging

from delfin import exception
from delfin import utils
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver

from delfin.drivers.ceph import client as backend
from delfin.drivers.ceph import mapping

LOG = logging.getLogger(__name__)

BITS_PER_GBIT = 1000 ** 3


def _int(value):
    """An integer quantity (bytes, counts) from what the backend sent."""
    return int(value or 0)


def _time_ms(value):
    """Milliseconds since the epoch from an ISO 8601 time or epoch
    seconds, as the backend sends them."""
    if value is None or value == '':
        return utils.utcnow_ms()
    text = str(value).strip()
    if text.replace('.', '', 1).isdigit():
        return int(float(text) * 1000)
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp() * 1000)


class CephCephDriver(driver.StorageDriver):
    """Driver of ceph ceph storage systems."""

    # What this driver serves; the service syncs only these kinds.  Add a
    # kind here when you implement its lister.
    SUPPORTED_RESOURCES = ('storage_pool', 'volume', 'controller', 'port',
                           'disk')
    PERFORMANCE_METRICS = mapping.PERFORMANCE_METRICS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Building the client does no I/O: the first request logs in.
        self.client = backend.client_from_access_info(kwargs)

    def reset_connection(self, context, **kwargs):
        self.client.close()
        self.client = backend.client_from_access_info(kwargs)
        self.client.login()

    # -- inventory ----------------------------------------------------------

    def get_storage(self, context):
        system = self.client.get('/api/v1/system')
        capacity = system.get('capacity') or {}
        return {
            'name': system.get('name'),
            'description': system.get('description'),
            'location': system.get('location'),
            'vendor': system.get('vendor') or 'ceph',
            'model': system.get('model') or 'ceph',
            'status': mapping.lookup(mapping.STORAGE_STATUS,
                                     system.get('health'),
                                     constants.StorageStatus.UNKNOWN),
            'serial_number': system.get('serial'),
            'firmware_version': system.get('firmware'),
            'raw_capacity': _int(capacity.get('raw_bytes')),
            'total_capacity': _int(capacity.get('total_bytes')),
            'used_capacity': _int(capacity.get('used_bytes')),
            'free_capacity': _int(capacity.get('free_bytes')),
            'subscribed_capacity': _int(capacity.get('subscribed_bytes')),
        }

    def list_storage_pools(self, context):
        return [{
            'native_storage_pool_id': pool['id'],
            'name': pool.get('name'),
            'description': pool.get('description'),
            'storage_type': mapping.lookup(mapping.POOL_KIND,
                                           pool.get('kind'),
                                           constants.StorageType.BLOCK),
            'status': mapping.lookup(mapping.POOL_STATUS,
                                     pool.get('health'),
                                     constants.StoragePoolStatus.UNKNOWN),
            'storage_id': self.storage_id,
            'total_capacity': _int(pool.get('total_bytes')),
            'used_capacity': _int(pool.get('used_bytes')),
            'free_capacity': _int(pool.get('free_bytes')),
            'subscribed_capacity': _int(pool.get('subscribed_bytes')),
        } for pool in self.client.get_all('/api/v1/pools')]

    def list_volumes(self, context):
        # A generator: large backends are read page by page.
        for volume in self.client.get_all('/api/v1/volumes'):
            total = _int(volume.get('size_bytes'))
            used = _int(volume.get('allocated_bytes'))
            yield {
                'native_volume_id': volume['id'],
                'name': volume.get('name'),
                'description': volume.get('description'),
                'type': mapping.lookup(mapping.VOLUME_PROVISIONING,
                                       volume.get('provisioning'),
                                       constants.VolumeType.THICK),
                'status': mapping.lookup(mapping.VOLUME_STATUS,
                                         volume.get('health'),
                                         constants.VolumeStatus.ERROR),
                'storage_id': self.storage_id,
                'native_storage_pool_id': volume.get('pool_id'),
                'wwn': volume.get('wwn'),
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': max(total - used, 0),
                'compressed': bool(volume.get('compression')),
                'deduplicated': bool(volume.get('dedup')),
            }

    def list_controllers(self, context):
        return [{
            'native_controller_id': ctl['id'],
            'name': ctl.get('name'),
            'status': mapping.lookup(mapping.CONTROLLER_STATUS,
                                     ctl.get('health'),
                                     constants.ControllerStatus.UNKNOWN),
            'location': ctl.get('slot'),
            'soft_version': ctl.get('firmware'),
            'cpu_info': ctl.get('cpu'),
            'cpu_count': ctl.get('cores'),
            'memory_size': _int(ctl.get('memory_bytes')),
            'mgmt_ip': ctl.get('mgmt_ip'),
            'storage_id': self.storage_id,
        } for ctl in self.client.get_all('/api/v1/controllers')]

    def list_ports(self, context):
        return [{
            'native_port_id': port['id'],
            'name': port.get('name'),
            'location': port.get('location'),
            'type': mapping.lookup(mapping.PORT_PROTOCOL,
                                   port.get('protocol'),
                                   constants.PortType.OTHER),
            'logical_type': mapping.lookup(mapping.PORT_ROLE,
                                           port.get('role'),
                                           constants.PortLogicalType.OTHER),
            'connection_status': mapping.lookup(
                mapping.PORT_LINK, port.get('link'),
                constants.PortConnectionStatus.UNKNOWN),
            'health_status': mapping.lookup(
                mapping.PORT_HEALTH, port.get('health'),
                constants.PortHealthStatus.UNKNOWN),
            'native_parent_id': port.get('controller_id'),
            'speed': int(float(port.get('speed_gbps') or 0) * BITS_PER_GBIT),
            'max_speed': int(float(port.get('max_speed_gbps') or 0)
                             * BITS_PER_GBIT),
            'wwn': port.get('wwn'),
            'mac_address': port.get('mac'),
            'ipv4': port.get('ipv4'),
            'ipv4_mask': port.get('ipv4_mask'),
            'ipv6': port.get('ipv6'),
            'ipv6_mask': port.get('ipv6_mask'),
            'storage_id': self.storage_id,
        } for port in self.client.get_all('/api/v1/ports')]

    def list_disks(self, context):
        return [{
            'native_disk_id': disk['id'],
            'name': disk.get('name'),
            'physical_type': mapping.lookup(
                mapping.DISK_MEDIA, disk.get('media'),
                constants.DiskPhysicalType.UNKNOWN),
            'logical_type': mapping.lookup(
                mapping.DISK_ROLE, disk.get('role'),
                constants.DiskLogicalType.UNKNOWN),
            'status': mapping.lookup(mapping.DISK_STATUS, disk.get('health'),
                                     constants.DiskStatus.ABNORMAL),
            'location': disk.get('slot'),
            'native_disk_group_id': disk.get('group'),
            'serial_number': disk.get('serial'),
            'manufacturer': disk.get('vendor'),
            'model': disk.get('product'),
            'firmware': disk.get('firmware'),
            'speed': _int(disk.get('rpm')),
            'capacity': _int(disk.get('size_bytes')),
            'storage_id': self.storage_id,
        } for disk in self.client.get_all('/api/v1/disks')]

    # -- alerts ---------------------------------------------------------------

    def add_trap_config(self, context, trap_config):
        """Trap targets are configured on the backend by its operator."""

    def remove_trap_config(self, context, trap_config):
        """Trap targets are configured on the backend by its operator."""

    @staticmethod
    def parse_alert(context, alert):
        code = alert.get(mapping.TRAP_CODE)
        if code is None:
            # Not one of the backend's alert traps (a heartbeat, a trap of
            # another MIB): ignored.
            return None
        sequence = alert.get(mapping.TRAP_SEQUENCE)
        if not sequence:
            # Without its sequence number the alert cannot be cleared later;
            # the service then reads the alert list instead.
            raise exception.IncompleteTrapInformation(alert.get('storage_id'))
        return {
            'alert_id': str(code),
            'alert_name': alert.get(mapping.TRAP_TITLE) or str(code),
            'severity': mapping.lookup(mapping.ALERT_SEVERITY,
                                       alert.get(mapping.TRAP_SEVERITY),
                                       constants.Severity.NOT_SPECIFIED),
            'category': mapping.lookup(mapping.ALERT_STATE,
                                       alert.get(mapping.TRAP_STATE),
                                       constants.Category.NOT_SPECIFIED),
            'type': mapping.lookup(mapping.ALERT_TYPE,
                                   alert.get(mapping.TRAP_CATEGORY),
                                   constants.EventType.NOT_SPECIFIED),
            'sequence_number': str(sequence),
            'occur_time': _time_ms(alert.get(mapping.TRAP_TIME)),
            'description': alert.get(mapping.TRAP_DESCRIPTION, ''),
            'recovery_advice': 'See the backend documentation of alert %s'
                               % code,
            'resource_type': constants.DEFAULT_RESOURCE_TYPE,
            'location': alert.get(mapping.TRAP_LOCATION, ''),
        }

    def list_alerts(self, context, query_para=None):
        alerts = []
        for item in self.client.get_all('/api/v1/alerts'):
            occur_time = _time_ms(item.get('time'))
            # Filtering by time is the driver's job.
            if not alert_util.is_alert_in_time_range(query_para, occur_time):
                continue
            alerts.append({
                'alert_id': str(item['code']),
                'alert_name': item.get('title') or str(item['code']),
                'severity': mapping.lookup(mapping.ALERT_SEVERITY,
                                           item.get('severity'),
                                           constants.Severity.NOT_SPECIFIED),
                'category': mapping.lookup(mapping.ALERT_STATE,
                                           item.get('state'),
                                           constants.Category.NOT_SPECIFIED),
                'type': mapping.lookup(mapping.ALERT_TYPE, item.get('type'),
                                       constants.EventType.NOT_SPECIFIED),
                'sequence_number': str(item['sequence']),
                'occur_time': occur_time,
                'description': item.get('description', ''),
                'recovery_advice': item.get('advice', ''),
                'resource_type': item.get('resource') or
                constants.DEFAULT_RESOURCE_TYPE,
                'location': item.get('location', ''),
            })
        return alerts

    def clear_alert(self, context, sequence_number):
        try:
            self.client.post('/api/v1/alerts/%s/clear' % sequence_number)
        except exception.StorageBackendException as err:
            raise exception.StorageClearAlertFailed(str(err))

    # -- performance ----------------------------------------------------------

    @staticmethod
    def get_capabilities(context, filters=None):
        return {
            # The backend reports current rates only, not history.
            'is_historic': False,
            'resource_metrics': mapping.PERFORMANCE_METRICS,
        }

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        data = self.client.get('/api/v1/metrics/realtime') or {}
        # Rates read now are stamped with the time they were read, kept
        # inside the requested window.
        stamp = min(utils.utcnow_ms(), end_time)
        metrics = []
        for item in data.get('items', []):
            resource_type = mapping.METRIC_RESOURCE_TYPE.get(
                str(item.get('resource_type')).upper())
            wanted = resource_metrics.get(resource_type)
            if not wanted:
                continue
            for field, value in (item.get('values') or {}).items():
                name = mapping.METRIC_FIELDS.get(field)
                if name not in wanted or value is None:
                    continue
                labels = {
                    'storage_id': storage_id,
                    'resource_type': resource_type,
                    'resource_id': item.get('resource_id'),
                    'resource_name': item.get('resource_name'),
                    'type': 'RAW',
                    'unit': constants.METRIC_UNITS[name],
                }
                metrics.append(constants.metric_struct(
                    name=name, labels=labels, values={stamp: float(value)}))
        return metrics
