"""The SNIA Swordfish storage driver (vendor ``snia``, model ``swordfish``).

Maps a Swordfish service (SNIA's storage API on Redfish, read through
`client` and walked by `inventory`) onto the driver contract,
`delfin.drivers.driver.StorageDriver`.

One registration is one service.  By default the storage is every storage
system the service holds (members of ``/redfish/v1/Storage`` and
``/redfish/v1/StorageServices``) together; ``extra_attributes.system``
(a system's URI, ``Id`` or ``Name``) picks one system instead.

Identities: every native id is the resource's URI (ids and names repeat in
a service, URIs do not); names are ``Name``, else ``Id``.

Serves: the storage, pools, volumes, disks (drives), controllers, file
systems and shares; alerts listed from the health of those resources;
performance of pools and volumes that carry I/O statistics (see
`performance`).
"""
import hashlib
import re
import threading

from oslo_log import log as logging

from delfin import exception
from delfin import utils
from delfin.common import alert_util
from delfin.common import constants
from delfin.drivers import driver
from delfin.drivers.swordfish import client as sf_client
from delfin.drivers.swordfish import inventory
from delfin.drivers.swordfish import mapping
from delfin.drivers.swordfish import performance

LOG = logging.getLogger(__name__)

MIB = 1024 ** 2
# Longest native id the inventory stores; longer URIs are shortened with
# a digest so that they stay unique.
MAX_ID = 255
_POOL_OF_VOLUME = re.compile(r'^(.*/StoragePools/[^/]+)/AllocatedVolumes/')


def native_id(uri):
    if len(uri) <= MAX_ID:
        return uri
    digest = hashlib.sha256(uri.encode('utf-8')).hexdigest()[:16]
    return uri[:MAX_ID - 17] + '~' + digest


def _int(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _data(resource):
    """``Capacity.Data`` of a pool or volume (an empty dict if none)."""
    capacity = resource.get('Capacity') or {}
    return capacity.get('Data') or {}


def volume_size(volume):
    """A volume's size: ``CapacityBytes``, else the provisioned bytes,
    else the allocated bytes of its capacity; 0 when it gives none."""
    data = _data(volume)
    for value in (volume.get('CapacityBytes'), data.get('ProvisionedBytes'),
                  data.get('AllocatedBytes')):
        if _int(value) is not None:
            return _int(value)
    return 0


class SwordfishDriver(driver.StorageDriver):
    """Driver of storage managed through a Swordfish service."""

    SUPPORTED_RESOURCES = ('storage_pool', 'volume', 'disk', 'controller',
                           'filesystem', 'share')

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._access = dict(kwargs)
        extra = kwargs.get('extra_attributes') or {}
        self.system = extra.get('system') or None
        # Building the client does no I/O: the first read connects.
        self.client = sf_client.client_from_access_info(kwargs)
        self._executor = None
        self._lock = threading.Lock()
        # When this driver first saw each unhealthy resource: an alert's
        # time, stable across polls.
        self._alert_seen = {}
        self._readings = performance.Readings()

    def _walk(self):
        with self._lock:
            if self._executor is None:
                self._executor = inventory.executor()
        return inventory.Walk(self.client, self.system, self._executor)

    def reset_connection(self, context, **kwargs):
        self.client.close()
        access = dict(self._access)
        access.update(kwargs)
        self._access = access
        self.system = (access.get('extra_attributes') or {}).get('system') \
            or None
        self.client = sf_client.client_from_access_info(access)
        self.client.root()

    def delete_storage(self, context):
        self.client.close()
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    # -- inventory ----------------------------------------------------------

    def get_storage(self, context):
        # Every sync starts here: read the service afresh; the listers
        # that follow share these reads.
        self.client.forget()
        walk = self._walk()
        root = self.client.root()
        systems = walk.systems()
        pools = [self._pool(u, p) for u, p in walk.pools()]
        raw = sum(_int(d.get('CapacityBytes')) or 0
                  for _, d in walk.drives())
        controllers = walk.controllers()
        total = sum(p['total_capacity'] for p in pools)
        used = sum(p['used_capacity'] for p in pools)
        if len(systems) == 1:
            name = inventory.name_of(systems[0][1])
        else:
            name = inventory.name_of(root, 'Swordfish service')
        statuses = [mapping.status_of(s, mapping.STORAGE_HEALTH,
                                      constants.StorageStatus.OFFLINE,
                                      constants.StorageStatus.NORMAL)
                    for _, s in systems]
        firmware = next((r.get('FirmwareVersion') for _, r, _ in controllers
                         if r.get('FirmwareVersion')), None)
        vendor = root.get('Vendor') or next(
            (r.get('Manufacturer') for _, r, _ in controllers
             if r.get('Manufacturer')), None) or 'SNIA'
        return {
            'name': name,
            'description': (systems[0][1].get('Description')
                            if len(systems) == 1 else
                            '%d storage systems' % len(systems)),
            'location': None,
            'status': _worst(statuses),
            'vendor': vendor,
            'model': root.get('Product') or 'Swordfish',
            'serial_number': self._serial(root, systems),
            'firmware_version': firmware or (
                'Redfish %s' % root['RedfishVersion']
                if root.get('RedfishVersion') else None),
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': max(total - used, 0),
            'raw_capacity': raw,
            'subscribed_capacity': sum(p['subscribed_capacity']
                                       for p in pools),
        }

    def _serial(self, root, systems):
        """The service's UUID, made distinct per set of systems.

        Several services (SNIA's mockups among them) share one UUID; the
        URIs of the systems read keep two of them apart.
        """
        base = root.get('UUID') or self.client.where
        uris = sorted(u for u, _ in systems)
        if self.system is not None:
            return '%s:%s' % (base, uris[0])
        digest = hashlib.sha256('\n'.join(uris).encode('utf-8')).hexdigest()
        return '%s:%s' % (base, digest[:12])

    def _pool(self, uri, pool):
        data = _data(pool)
        total = _int(data.get('AllocatedBytes'))
        if total is None:
            total = sum(_int(_data({'Capacity': s.get('ProvidedCapacity')})
                             .get('AllocatedBytes')) or 0
                        for s in pool.get('CapacitySources') or ()
                        if isinstance(s, dict))
        used = min(_int(data.get('ConsumedBytes')) or 0, total)
        return {
            'native_storage_pool_id': native_id(uri),
            'name': inventory.name_of(pool, uri),
            'description': pool.get('Description'),
            'storage_type': constants.StorageType.BLOCK,
            'status': mapping.status_of(
                pool, mapping.POOL_HEALTH, constants.StoragePoolStatus.OFFLINE,
                constants.StoragePoolStatus.NORMAL),
            'storage_id': self.storage_id,
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'subscribed_capacity': _int(data.get('ProvisionedBytes')) or 0,
        }

    def list_storage_pools(self, context):
        return [self._pool(u, p) for u, p in self._walk().pools()]

    def _pool_of(self, uri, volume):
        match = _POOL_OF_VOLUME.match(uri)
        if match:
            return match.group(1)
        for source in volume.get('CapacitySources') or ():
            providing = (source or {}).get('ProvidingPools') or {}
            members = providing.get('Members')
            if members is None and providing.get('@odata.id'):
                collection = self.client.get(providing['@odata.id']) or {}
                members = collection.get('Members')
            for member in members or ():
                if isinstance(member, dict) and member.get('@odata.id'):
                    return inventory.norm(member['@odata.id'])
        return None

    def list_volumes(self, context):
        walk = self._walk()
        pools = {u for u, _ in walk.pools()}
        for uri, volume in walk.volumes():
            data = _data(volume)
            total = volume_size(volume)
            used = _int(data.get('ConsumedBytes'))
            if used is None:
                used = _int(data.get('AllocatedBytes')) or 0
            used = min(used, total)
            pool = self._pool_of(uri, volume)
            provisioned = _int(data.get('ProvisionedBytes'))
            allocated = _int(data.get('AllocatedBytes'))
            thin = (provisioned is not None and allocated is not None
                    and provisioned > allocated)
            yield {
                'native_volume_id': native_id(uri),
                'name': inventory.name_of(volume, uri),
                'description': volume.get('Description'),
                'type': mapping.lookup(
                    mapping.VOLUME_PROVISIONING,
                    volume.get('ProvisioningPolicy'),
                    constants.VolumeType.THIN if thin
                    else constants.VolumeType.THICK),
                'status': mapping.status_of(
                    volume, mapping.VOLUME_HEALTH,
                    constants.VolumeStatus.ERROR,
                    constants.VolumeStatus.AVAILABLE),
                'storage_id': self.storage_id,
                'native_storage_pool_id': (native_id(pool) if pool in pools
                                           else None),
                'wwn': _durable_name(volume),
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
                'compressed': bool(volume.get('Compressed')),
                'deduplicated': bool(volume.get('Deduplicated')),
            }

    def list_filesystems(self, context):
        walk = self._walk()
        pools = {u for u, _ in walk.pools()}
        filesystems = []
        for uri, fs in walk.filesystems():
            data = _data(fs)
            total = volume_size(fs)
            used = min(_int(data.get('ConsumedBytes')) or 0, total)
            provisioned = _int(data.get('ProvisionedBytes'))
            allocated = _int(data.get('AllocatedBytes'))
            pool = self._pool_of(uri, fs)
            filesystems.append({
                'native_filesystem_id': native_id(uri),
                'name': inventory.name_of(fs, uri),
                'type': (constants.FSType.THIN
                         if provisioned is not None and allocated is not None
                         and provisioned > allocated
                         else constants.FSType.THICK),
                'status': mapping.status_of(
                    fs, mapping.FILESYSTEM_HEALTH,
                    constants.FilesystemStatus.FAULTY,
                    constants.FilesystemStatus.NORMAL),
                'native_pool_id': native_id(pool) if pool in pools else None,
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
                'compressed': bool(fs.get('Compressed')),
                'deduplicated': bool(fs.get('Deduplicated')),
                'storage_id': self.storage_id,
            })
        return filesystems

    def list_shares(self, context):
        shares = []
        for uri, share, fs_uri in self._walk().shares():
            parent = inventory.link(share, 'Links', 'FileSystem') or fs_uri
            shares.append({
                'native_share_id': native_id(uri),
                'name': inventory.name_of(share, uri),
                'path': share.get('FileSharePath'),
                'native_filesystem_id': native_id(inventory.norm(parent)),
                'protocol': mapping.share_protocol(share),
                'storage_id': self.storage_id,
            })
        return shares

    def list_disks(self, context):
        disks = []
        for uri, drive in self._walk().drives():
            pools = (drive.get('Links') or {}).get('StoragePools')
            location = ((drive.get('PhysicalLocation') or {})
                        .get('PartLocation') or {}).get('ServiceLabel')
            disks.append({
                'native_disk_id': native_id(uri),
                'name': inventory.name_of(drive, uri),
                'physical_type': mapping.disk_type(drive),
                'logical_type': (
                    None if pools is None else
                    constants.DiskLogicalType.MEMBER if pools
                    else constants.DiskLogicalType.FREE),
                'status': mapping.status_of(
                    drive, mapping.DISK_HEALTH, constants.DiskStatus.OFFLINE,
                    constants.DiskStatus.NORMAL),
                'location': location,
                'serial_number': drive.get('SerialNumber'),
                'manufacturer': drive.get('Manufacturer'),
                'model': drive.get('Model'),
                'firmware': drive.get('Revision'),
                'speed': _int(drive.get('RotationSpeedRPM')),
                'capacity': _int(drive.get('CapacityBytes')) or 0,
                'storage_id': self.storage_id,
            })
        return disks

    def list_controllers(self, context):
        controllers = []
        for uri, ctl, _system in self._walk().controllers():
            cache = _int((ctl.get('CacheSummary') or {})
                         .get('TotalCacheSizeMiB'))
            location = ((ctl.get('Location') or
                         ctl.get('PhysicalLocation') or {})
                        .get('PartLocation') or {}).get('ServiceLabel')
            controllers.append({
                'native_controller_id': native_id(uri),
                'name': (ctl.get('Name') or ctl.get('MemberId')
                         or ctl.get('Id') or uri),
                'status': mapping.status_of(
                    ctl, mapping.CONTROLLER_HEALTH,
                    constants.ControllerStatus.OFFLINE,
                    constants.ControllerStatus.NORMAL),
                'location': location,
                'soft_version': ctl.get('FirmwareVersion'),
                'memory_size': cache * MIB if cache is not None else None,
                'storage_id': self.storage_id,
            })
        return controllers

    # -- alerts ---------------------------------------------------------------

    def add_trap_config(self, context, trap_config):
        """Swordfish pushes events over Redfish, not SNMP: nothing to do."""

    def remove_trap_config(self, context, trap_config):
        """Swordfish pushes events over Redfish, not SNMP: nothing to do."""

    def list_alerts(self, context, query_para=None):
        """One alert per resource whose health is not OK."""
        walk = self._walk()
        groups = (
            ('StorageSystem', constants.DEFAULT_RESOURCE_TYPE,
             walk.systems()),
            ('StoragePool', constants.ResourceType.STORAGE_POOL,
             walk.pools()),
            ('Volume', constants.ResourceType.VOLUME, walk.volumes()),
            ('Drive', constants.ResourceType.DISK, walk.drives()),
            ('StorageController', constants.ResourceType.CONTROLLER,
             [(u, r) for u, r, _ in walk.controllers()]),
        )
        now = utils.utcnow_ms()
        alerts = []
        current = set()
        for label, resource_type, items in groups:
            for uri, resource in items:
                health = (resource.get('Status') or {}).get('Health')
                if health not in mapping.ALERT_SEVERITY:
                    continue
                key = (uri, health)
                current.add(key)
                occur = self._alert_seen.setdefault(key, now)
                if not alert_util.is_alert_in_time_range(query_para, occur):
                    continue
                alerts.append(_health_alert(label, resource_type, uri,
                                            resource, health, occur))
        # Forget what recovered, so that a new fault has a new time.
        for key in list(self._alert_seen):
            if key not in current:
                self._alert_seen.pop(key, None)
        return alerts

    def clear_alert(self, context, sequence_number):
        raise exception.StorageClearAlertFailed(
            'an alert of a Swordfish service is the health of a resource; '
            'it clears when the resource is healthy again')

    # -- performance ----------------------------------------------------------

    def get_capabilities(self, context, filters=None):
        """Pool and volume metrics, where the service's pools or volumes
        carry I/O statistics; None (no performance) otherwise.

        An instance method, unlike the base's static one: what a Swordfish
        service offers is only known by asking it.
        """
        walk = self._walk()
        types = [rtype for rtype, items in (
            (constants.ResourceType.STORAGE_POOL, walk.pools()),
            (constants.ResourceType.VOLUME, walk.volumes()))
            if any(performance.offers_statistics(r) for _, r in items)]
        if not types:
            return None
        return {'is_historic': False,
                'resource_metrics': performance.resource_metrics(types)}

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        """Rates since the previous collection (none at the first)."""
        self.client.forget()
        walk = self._walk()
        metrics = []
        for rtype, items in (
                (constants.ResourceType.STORAGE_POOL, walk.pools),
                (constants.ResourceType.VOLUME, walk.volumes)):
            wanted = (resource_metrics or {}).get(rtype)
            if not wanted:
                continue
            for uri, resource in items():
                stats = performance.io_statistics(self.client, resource)
                if stats is None:
                    continue
                now = utils.utcnow_ms()
                rates = self._readings.update((rtype, uri), now, stats)
                if not rates:
                    continue
                stamp = max(min(now, end_time), start_time)
                labels = {'storage_id': storage_id, 'resource_type': rtype,
                          'resource_id': native_id(uri),
                          'resource_name': inventory.name_of(resource, uri),
                          'type': 'RAW'}
                for name, value in rates.items():
                    if name in wanted:
                        metrics.append(constants.metric_struct(
                            name=name,
                            labels=dict(labels,
                                        unit=constants.METRIC_UNITS[name]),
                            values={stamp: round(value, 3)}))
        return metrics


def _health_alert(label, resource_type, uri, resource, health, occur):
    status = resource.get('Status') or {}
    messages = [c.get('Message') for c in status.get('Conditions') or ()
                if isinstance(c, dict) and c.get('Message')]
    name = inventory.name_of(resource, uri)
    summary = '%s %s: state %s, health %s' % (label, name,
                                              status.get('State'), health)
    return {
        'alert_id': '%sHealth%s' % (label, health),
        'alert_name': '%s health is %s' % (label, health),
        'severity': mapping.ALERT_SEVERITY[health],
        'category': constants.Category.FAULT,
        'type': constants.EventType.EQUIPMENT_ALARM,
        'sequence_number': '%s@%s' % (uri, health),
        'occur_time': occur,
        'description': '; '.join([summary] + messages),
        'recovery_advice': 'Check %s on the Swordfish service' % uri,
        'resource_type': resource_type,
        'location': uri,
    }


def _durable_name(resource):
    for identifier in resource.get('Identifiers') or ():
        if isinstance(identifier, dict) and identifier.get('DurableName'):
            return identifier['DurableName']
    return None


_RANK = {constants.StorageStatus.NORMAL: 0,
         constants.StorageStatus.UNKNOWN: 1,
         constants.StorageStatus.DEGRADED: 2,
         constants.StorageStatus.ABNORMAL: 3,
         constants.StorageStatus.OFFLINE: 4}


def _worst(statuses):
    if not statuses:
        return constants.StorageStatus.UNKNOWN
    return max(statuses, key=lambda s: _RANK.get(s, 1))
