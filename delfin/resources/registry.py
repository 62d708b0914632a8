"""The resource registry: each resource kind described once, as data.

A `Kind` names a kind of inventory object (storage, pool, volume, ...): its
URL path and collection key, its table, the field that identifies an object
on the backend (the native id), its fields with type, unit and allowed
values, which fields can filter a list, and the driver method that lists it.

Routes, tables, list/show controllers, views, JSON schemas, the sync engine,
the driver conformance checks, the fake driver and the API tests all iterate
this registry; adding a resource kind means adding one entry here.
"""
import dataclasses
from typing import Optional

from delfin.common import constants as c

# Field types, mapped to SQL column types by delfin.db.schema and to JSON
# schema types by the validators.
STRING = 'string'        # VARCHAR(length)
TEXT = 'text'            # unbounded text
INTEGER = 'integer'      # 32-bit signed
BIGINT = 'bigint'        # 64-bit signed (capacities, speeds)
BOOLEAN = 'boolean'
DATETIME = 'datetime'    # naive UTC
JSON = 'json'            # JSON document

# Scopes of a kind's list route.
GLOBAL = 'global'        # GET /v1/<path>?storage_id=..., GET /v1/<path>/{id}
PER_STORAGE = 'storage'  # GET /v1/storages/{storage_id}/<path>


@dataclasses.dataclass(frozen=True)
class Field:
    """One attribute of a resource kind, as drivers return it."""
    name: str
    type: str = STRING
    length: int = 255
    enum: Optional[tuple] = None
    unit: Optional[str] = None
    filter: bool = False        # may be used as an exact-match list filter
    required: bool = False      # drivers must return it
    nullable: bool = True
    description: str = ''


@dataclasses.dataclass(frozen=True)
class Relation:
    """Membership rows returned beside a group kind by its driver method.

    For a host group, the driver returns ``{'storage_host_groups': [...],
    'storage_host_grp_host_rels': [...]}``; ``kind`` names the relation kind
    stored from the second key, ``member_field`` the member's native id,
    and ``view_key`` the list of member native ids added to each group in
    API views.
    """
    kind: str
    member_field: str
    view_key: str


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of inventory object."""
    name: str                       # singular, snake case: 'storage_pool'
    plural: str                     # collection key in API bodies
    table: str                      # SQL table
    fields: tuple                   # tuple of Field (without id/timestamps)
    native_id: Optional[str] = None  # identity field on the backend
    identity: tuple = ()            # fields identifying a row in a storage
    path: Optional[str] = None      # URL segment; None: not routed
    scope: str = GLOBAL
    driver_method: Optional[str] = None
    driver_key: Optional[str] = None  # key in a dict-returning lister
    relation: Optional[Relation] = None
    not_found: str = 'NotFound'     # exception class name for a missing id
    perf_type: Optional[str] = None  # constants.ResourceType of its metrics
    references: tuple = ()          # (field, kind name) this kind points at
    description: str = ''

    @property
    def field_names(self):
        return tuple(f.name for f in self.fields)

    @property
    def filters(self):
        """Query parameters accepted by the list route."""
        names = ['id', 'storage_id'] if self.name != 'storage' else ['id']
        names += [f.name for f in self.fields if f.filter]
        return tuple(dict.fromkeys(names))

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _name(**kw):
    return Field('name', filter=True, **kw)


_DESCRIPTION = Field('description')
_CAPACITY = dict(type=BIGINT, unit='byte')


def _capacities(*names):
    return tuple(Field(n, **_CAPACITY) for n in names)


STORAGE = Kind(
    name='storage', plural='storages', table='storages', path='storages',
    not_found='StorageNotFound', perf_type=c.ResourceType.STORAGE,
    driver_method='get_storage',
    fields=(
        _name(),
        _DESCRIPTION,
        Field('location'),
        Field('status', enum=c.StorageStatus.ALL, filter=True),
        Field('vendor', filter=True),
        Field('model', filter=True),
        Field('serial_number', filter=True, required=True),
        Field('firmware_version'),
    ) + _capacities('total_capacity', 'used_capacity', 'free_capacity',
                    'raw_capacity', 'subscribed_capacity'),
    description='A storage backend registered with the service.')

STORAGE_POOL = Kind(
    name='storage_pool', plural='storage_pools', table='storage_pools',
    path='storage-pools', native_id='native_storage_pool_id',
    driver_method='list_storage_pools', not_found='StoragePoolNotFound',
    perf_type=c.ResourceType.STORAGE_POOL,
    fields=(
        Field('native_storage_pool_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
        Field('storage_type', enum=c.StorageType.ALL),
        Field('status', enum=c.StoragePoolStatus.ALL, filter=True),
    ) + _capacities('total_capacity', 'used_capacity', 'free_capacity',
                    'subscribed_capacity'))

VOLUME = Kind(
    name='volume', plural='volumes', table='volumes', path='volumes',
    native_id='native_volume_id', driver_method='list_volumes',
    not_found='VolumeNotFound', perf_type=c.ResourceType.VOLUME,
    references=(('native_storage_pool_id', 'storage_pool'),),
    fields=(
        Field('native_volume_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
        Field('type', enum=c.VolumeType.ALL),
        # Drivers also report 'normal'; accepted beside Delfin's values.
        Field('status', enum=c.VolumeStatus.ALL + ('normal',), filter=True),
        Field('native_storage_pool_id', filter=True),
        Field('wwn', filter=True),
    ) + _capacities('total_capacity', 'used_capacity', 'free_capacity') + (
        Field('compressed', type=BOOLEAN),
        Field('deduplicated', type=BOOLEAN),
    ))

CONTROLLER = Kind(
    name='controller', plural='controllers', table='controllers',
    path='controllers', native_id='native_controller_id',
    driver_method='list_controllers', not_found='ControllerNotFound',
    perf_type=c.ResourceType.CONTROLLER,
    fields=(
        Field('native_controller_id', filter=True, required=True),
        _name(),
        Field('status', enum=c.ControllerStatus.ALL, filter=True),
        Field('location'),
        Field('soft_version'),
        Field('cpu_info'),
        Field('cpu_count', type=INTEGER),
        Field('memory_size', type=BIGINT, unit='byte'),
        Field('mgmt_ip'),
    ))

PORT = Kind(
    name='port', plural='ports', table='ports', path='ports',
    native_id='native_port_id', driver_method='list_ports',
    not_found='PortNotFound', perf_type=c.ResourceType.PORT,
    references=(('native_parent_id', 'controller'),),
    fields=(
        Field('native_port_id', filter=True, required=True),
        _name(),
        Field('location'),
        Field('type', enum=c.PortType.ALL, filter=True),
        Field('logical_type', enum=c.PortLogicalType.ALL),
        Field('connection_status', enum=c.PortConnectionStatus.ALL,
              filter=True),
        Field('health_status', enum=c.PortHealthStatus.ALL, filter=True),
        Field('native_parent_id', filter=True),
        Field('speed', type=BIGINT, unit='bit/s'),
        Field('max_speed', type=BIGINT, unit='bit/s'),
        Field('wwn', filter=True),
        Field('mac_address'),
        Field('ipv4'),
        Field('ipv4_mask'),
        Field('ipv6'),
        Field('ipv6_mask'),
    ))

DISK = Kind(
    name='disk', plural='disks', table='disks', path='disks',
    native_id='native_disk_id', driver_method='list_disks',
    not_found='DiskNotFound', perf_type=c.ResourceType.DISK,
    fields=(
        Field('native_disk_id', filter=True, required=True),
        _name(),
        Field('physical_type', enum=c.DiskPhysicalType.ALL),
        Field('logical_type', enum=c.DiskLogicalType.ALL),
        Field('status', enum=c.DiskStatus.ALL, filter=True),
        Field('location'),
        Field('native_disk_group_id', filter=True),
        Field('serial_number'),
        Field('manufacturer'),
        Field('model'),
        Field('firmware'),
        Field('speed', type=INTEGER, unit='rpm'),
        Field('capacity', **_CAPACITY),
        Field('health_score', type=INTEGER),
    ))

FILESYSTEM = Kind(
    name='filesystem', plural='filesystems', table='filesystems',
    path='filesystems', native_id='native_filesystem_id',
    driver_method='list_filesystems', not_found='FilesystemNotFound',
    perf_type=c.ResourceType.FILESYSTEM,
    references=(('native_pool_id', 'storage_pool'),),
    fields=(
        Field('native_filesystem_id', filter=True, required=True),
        _name(),
        Field('type', enum=c.FSType.ALL),
        Field('status', enum=c.FilesystemStatus.ALL, filter=True),
        Field('native_pool_id', filter=True),
        Field('security_mode', enum=c.NASSecurityMode.ALL),
    ) + _capacities('total_capacity', 'used_capacity', 'free_capacity') + (
        Field('compressed', type=BOOLEAN),
        Field('deduplicated', type=BOOLEAN),
        Field('worm', enum=c.WORMType.ALL),
    ))

QTREE = Kind(
    name='qtree', plural='qtrees', table='qtrees', path='qtrees',
    native_id='native_qtree_id', driver_method='list_qtrees',
    not_found='QtreeNotFound',
    references=(('native_filesystem_id', 'filesystem'),),
    fields=(
        Field('native_qtree_id', filter=True, required=True),
        _name(),
        Field('path', length=1024),
        Field('native_filesystem_id', filter=True),
        Field('security_mode', enum=c.NASSecurityMode.ALL),
    ))

QUOTA = Kind(
    name='quota', plural='quotas', table='quotas', path='quotas',
    native_id='native_quota_id', driver_method='list_quotas',
    not_found='QuotaNotFound',
    references=(('native_filesystem_id', 'filesystem'),
                ('native_qtree_id', 'qtree')),
    fields=(
        Field('native_quota_id', filter=True, required=True),
        Field('type', enum=c.QuotaType.ALL, filter=True),
        Field('native_filesystem_id', filter=True),
        Field('native_qtree_id', filter=True),
        Field('capacity_hard_limit', **_CAPACITY),
        Field('capacity_soft_limit', **_CAPACITY),
        Field('file_hard_limit', type=BIGINT),
        Field('file_soft_limit', type=BIGINT),
        Field('file_count', type=BIGINT),
        Field('used_capacity', **_CAPACITY),
        Field('user_group_name', filter=True),
    ))

SHARE = Kind(
    name='share', plural='shares', table='shares', path='shares',
    native_id='native_share_id', driver_method='list_shares',
    not_found='ShareNotFound',
    references=(('native_filesystem_id', 'filesystem'),
                ('native_qtree_id', 'qtree')),
    fields=(
        Field('native_share_id', filter=True, required=True),
        _name(),
        Field('path', length=1024),
        Field('native_filesystem_id', filter=True),
        Field('native_qtree_id', filter=True),
        Field('protocol', enum=c.ShareProtocol.ALL, filter=True),
    ))

STORAGE_HOST_INITIATOR = Kind(
    name='storage_host_initiator', plural='storage_host_initiators',
    table='storage_host_initiators', path='storage-host-initiators',
    scope=PER_STORAGE, native_id='native_storage_host_initiator_id',
    driver_method='list_storage_host_initiators',
    not_found='StorageHostInitiatorNotFound',
    references=(('native_storage_host_id', 'storage_host'),),
    fields=(
        Field('native_storage_host_initiator_id', filter=True,
              required=True),
        Field('native_storage_host_id', filter=True),
        _name(),
        _DESCRIPTION,
        Field('alias'),
        Field('type', enum=c.InitiatorType.ALL, filter=True),
        Field('status', enum=c.InitiatorStatus.ALL, filter=True),
        Field('wwn', filter=True),
    ))

STORAGE_HOST = Kind(
    name='storage_host', plural='storage_hosts', table='storage_hosts',
    path='storage-hosts', scope=PER_STORAGE,
    native_id='native_storage_host_id', driver_method='list_storage_hosts',
    not_found='StorageHostNotFound',
    fields=(
        Field('native_storage_host_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
        Field('os_type', enum=c.HostOSTypes.ALL, filter=True),
        Field('status', enum=c.HostStatus.ALL, filter=True),
        Field('ip_address', filter=True),
    ))

STORAGE_HOST_GRP_HOST_REL = Kind(
    name='storage_host_grp_host_rel', plural='storage_host_grp_host_rels',
    table='storage_host_grp_host_rels',
    identity=('native_storage_host_group_id', 'native_storage_host_id'),
    driver_method='list_storage_host_groups',
    driver_key='storage_host_grp_host_rels',
    not_found='StorageHostGrpHostRelNotFound',
    references=(('native_storage_host_group_id', 'storage_host_group'),
                ('native_storage_host_id', 'storage_host')),
    fields=(
        Field('native_storage_host_group_id', required=True),
        Field('native_storage_host_id', required=True),
    ))

STORAGE_HOST_GROUP = Kind(
    name='storage_host_group', plural='storage_host_groups',
    table='storage_host_groups', path='storage-host-groups',
    scope=PER_STORAGE, native_id='native_storage_host_group_id',
    driver_method='list_storage_host_groups',
    driver_key='storage_host_groups', not_found='StorageHostGroupNotFound',
    relation=Relation('storage_host_grp_host_rel', 'native_storage_host_id',
                      'storage_hosts'),
    fields=(
        Field('native_storage_host_group_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
    ))

PORT_GRP_PORT_REL = Kind(
    name='port_grp_port_rel', plural='port_grp_port_rels',
    table='port_grp_port_rels',
    identity=('native_port_group_id', 'native_port_id'),
    driver_method='list_port_groups', driver_key='port_grp_port_rels',
    not_found='PortGrpPortRelNotFound',
    references=(('native_port_group_id', 'port_group'),
                ('native_port_id', 'port')),
    fields=(
        Field('native_port_group_id', required=True),
        Field('native_port_id', required=True),
    ))

PORT_GROUP = Kind(
    name='port_group', plural='port_groups', table='port_groups',
    path='port-groups', scope=PER_STORAGE, native_id='native_port_group_id',
    driver_method='list_port_groups', driver_key='port_groups',
    not_found='PortGroupNotFound',
    relation=Relation('port_grp_port_rel', 'native_port_id', 'ports'),
    fields=(
        Field('native_port_group_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
    ))

VOL_GRP_VOL_REL = Kind(
    name='vol_grp_vol_rel', plural='vol_grp_vol_rels',
    table='vol_grp_vol_rels',
    identity=('native_volume_group_id', 'native_volume_id'),
    driver_method='list_volume_groups', driver_key='vol_grp_vol_rels',
    not_found='VolGrpVolRelationNotFound',
    references=(('native_volume_group_id', 'volume_group'),
                ('native_volume_id', 'volume')),
    fields=(
        Field('native_volume_group_id', required=True),
        Field('native_volume_id', required=True),
    ))

VOLUME_GROUP = Kind(
    name='volume_group', plural='volume_groups', table='volume_groups',
    path='volume-groups', scope=PER_STORAGE,
    native_id='native_volume_group_id', driver_method='list_volume_groups',
    driver_key='volume_groups', not_found='VolumeGroupNotFound',
    relation=Relation('vol_grp_vol_rel', 'native_volume_id', 'volumes'),
    fields=(
        Field('native_volume_group_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
    ))

MASKING_VIEW = Kind(
    name='masking_view', plural='masking_views', table='masking_views',
    path='masking-views', scope=PER_STORAGE,
    native_id='native_masking_view_id', driver_method='list_masking_views',
    not_found='MaskingViewNotFound',
    references=(('native_storage_host_group_id', 'storage_host_group'),
                ('native_volume_group_id', 'volume_group'),
                ('native_port_group_id', 'port_group'),
                ('native_storage_host_id', 'storage_host'),
                ('native_volume_id', 'volume')),
    fields=(
        Field('native_masking_view_id', filter=True, required=True),
        _name(),
        _DESCRIPTION,
        Field('native_storage_host_group_id', filter=True),
        Field('native_volume_group_id', filter=True),
        Field('native_port_group_id', filter=True),
        Field('native_storage_host_id', filter=True),
        Field('native_volume_id', filter=True),
    ))

# Every kind, storage first, then in the order a sync fetches them: a kind
# comes after the kinds its references point at.
ALL_KINDS = (
    STORAGE, STORAGE_POOL, VOLUME, CONTROLLER, PORT, DISK, FILESYSTEM, QTREE,
    QUOTA, SHARE, STORAGE_HOST, STORAGE_HOST_INITIATOR, STORAGE_HOST_GROUP,
    STORAGE_HOST_GRP_HOST_REL, PORT_GROUP, PORT_GRP_PORT_REL, VOLUME_GROUP,
    VOL_GRP_VOL_REL, MASKING_VIEW,
)

# Kinds with an identity of their own fill it from the native id.
ALL_KINDS = tuple(
    dataclasses.replace(k, identity=(k.native_id,))
    if k.native_id and not k.identity else k
    for k in ALL_KINDS)

_BY_NAME = {k.name: k for k in ALL_KINDS}
_BY_PATH = {k.path: k for k in ALL_KINDS if k.path}
STORAGE = _BY_NAME['storage']


def by_name(name):
    """The kind called ``name`` ('volume', 'storage_host_group', ...)."""
    return _BY_NAME[name]


def by_path(path):
    """The kind served at URL segment ``path`` ('storage-pools', ...)."""
    return _BY_PATH[path]


def inventory_kinds():
    """Kinds synced from a storage's driver, in sync order (no storage)."""
    return tuple(k for k in ALL_KINDS if k is not STORAGE)


def routed_kinds(scope=None):
    """Inventory kinds that have a list route, optionally of one scope."""
    return tuple(k for k in inventory_kinds()
                 if k.path and (scope is None or k.scope == scope))
