"""The storage driver contract.

A storage driver adapts one family of storage backends to the service: it
reads the backend's inventory, alerts and performance samples and returns
them as plain dicts whose keys are the fields of a resource kind of
`delfin.resources.registry`.  This module is the whole contract a driver
author needs; every method below says what it receives, what it returns and
what it raises.

Loading.  A driver is a subclass of `StorageDriver` published under the
stevedore namespace ``delfin.storage.drivers`` with the entry point name
``"<vendor> <model>"``.  The core builds one instance per registered storage
(never shared between storages) with the storage's access information as
keyword arguments:

* ``storage_id``: the service's id of the storage (``None`` while a storage is
  being registered), also stored as ``self.storage_id``;
* ``vendor``, ``model``: the words given at registration;
* one or more access sections ``rest``, ``ssh``, ``cli``, ``smis``: dicts with
  ``host``, ``port``, ``username`` and ``password``; ``ssh`` may carry
  ``pub_key`` and ``pub_key_type`` (pins the host key), ``smis`` may carry
  ``namespace``.  Passwords arrive encrypted: call
  ``delfin.cryptor.decode(password)`` right before use and never log them;
* ``extra_attributes``: a free dict from the registration request;
* ``storage_name``, ``created_at``, ``updated_at`` when the storage exists;
* ``verify``: ``False`` (do not verify backend TLS certificates) or the path
  of the CA file or directory configured in ``[storage_driver] ca_path``.

Construction must not do network I/O: connect lazily on the first call.  A
driver must be safe to call from several threads at once (the sync engine
may list kinds concurrently).

Context.  Every method receives a request context first; the core sets
``context.storage_id`` to the storage being served before each call.

Returned dicts.  Every resource dict carries ``storage_id`` (use
``self.storage_id``) and only keys that are fields of its kind.  Capacities
are in bytes, port speeds in bit/s, disk speeds in RPM, times in
milliseconds since the epoch, enumerated values from
`delfin.common.constants`.  A lister may return any iterable (a generator
that fetches page by page keeps memory flat on large backends).

Optional features.  A lister that a backend cannot serve keeps the base
implementation, which raises ``NotImplementedError``: the core then records
the kind as not supported (visible in the storage's capabilities) instead of
failing the sync.  Any other exception is an error of that call.

Declared capabilities.  A driver may declare what it serves with class
attributes; a driver that declares nothing has them inferred from the
methods it overrides (see `delfin.drivers.capabilities`):

``SUPPORTED_RESOURCES``
    ``None`` (infer) or a collection of resource kind names of the registry
    (``'storage_pool'``, ``'volume'``, ``'storage_host_group'``, ...).  A
    group kind implies its membership relation kind.  Kinds not named are
    not synced.
``PERFORMANCE_METRICS``
    ``None`` (use what `get_capabilities` returns) or a dict
    ``{resource_type: {metric_name: {'unit': ..., 'description': ...}}}``
    with resource types of ``constants.ResourceType`` and metric names and
    units of ``constants.CAPABILITY_METRICS`` / ``constants.METRIC_UNITS``.

Both are checked when the driver is loaded; an unknown kind, resource type,
metric or unit makes loading fail with a message naming it.
"""
import abc


def _not_implemented(name):
    return NotImplementedError("Driver API %s() is not Implemented" % name)


class StorageDriver(metaclass=abc.ABCMeta):
    """Base class of every storage driver."""

    #: Resource kind names this driver serves; ``None``: inferred.
    SUPPORTED_RESOURCES = None

    #: ``{resource_type: {metric: {'unit', 'description'}}}``; ``None``:
    #: taken from `get_capabilities`.
    PERFORMANCE_METRICS = None

    def __init__(self, **kwargs):
        """Keep the access information; do no I/O.

        :param kwargs: the storage's access information (see the module
            documentation); ``storage_id`` is stored as ``self.storage_id``.
        """
        self.storage_id = kwargs.get('storage_id', None)

    # -- connection -----------------------------------------------------

    @abc.abstractmethod
    def reset_connection(self, context, **kwargs):
        """Drop the current backend session and connect with new arguments.

        :param context: request context.
        :param kwargs: access information as given to ``__init__``.
        :raises InvalidIpOrPort, InvalidUsernameOrPassword,
            SSLCertificateFailed, StorageBackendException: the backend
            cannot be reached or refuses the credentials.
        """

    # -- inventory --------------------------------------------------------

    @abc.abstractmethod
    def get_storage(self, context):
        """Describe the storage system itself.

        :param context: request context.
        :returns: a dict of resource kind ``storage``: ``name``,
            ``description``, ``location``, ``status``
            (``constants.StorageStatus``), ``vendor``, ``model``,
            ``serial_number`` (required, stable for the device: the core
            compares it when access information changes),
            ``firmware_version`` and capacities ``total_capacity``,
            ``used_capacity``, ``free_capacity``, ``raw_capacity``,
            ``subscribed_capacity`` in bytes.
        :raises InvalidIpOrPort, InvalidUsernameOrPassword,
            SSLCertificateFailed, SSLHandshakeFailed,
            StorageBackendException: the backend cannot be queried.
        """

    @abc.abstractmethod
    def list_storage_pools(self, context):
        """List storage pools.

        :returns: iterable of dicts of kind ``storage_pool``:
            ``native_storage_pool_id`` (required, unique in the storage),
            ``name``, ``description``, ``storage_type``
            (``constants.StorageType``), ``status``
            (``constants.StoragePoolStatus``), ``storage_id``,
            ``total_capacity``, ``used_capacity``, ``free_capacity``,
            ``subscribed_capacity`` (bytes).
        :raises StorageBackendException: the backend cannot be queried.
        """

    @abc.abstractmethod
    def list_volumes(self, context):
        """List volumes (LUNs).

        :returns: iterable of dicts of kind ``volume``:
            ``native_volume_id`` (required), ``name``, ``description``,
            ``type`` (``constants.VolumeType``), ``status``
            (``constants.VolumeStatus``), ``storage_id``,
            ``native_storage_pool_id`` (a pool of `list_storage_pools`),
            ``wwn``, ``total_capacity``, ``used_capacity``,
            ``free_capacity`` (bytes), ``compressed``, ``deduplicated``
            (bool).  Large backends should yield page by page.
        :raises StorageBackendException: the backend cannot be queried.
        """

    def list_controllers(self, context):
        """List controllers (storage processors, nodes).

        :returns: iterable of dicts of kind ``controller``:
            ``native_controller_id`` (required), ``name``, ``status``
            (``constants.ControllerStatus``), ``location``,
            ``soft_version``, ``cpu_info``, ``cpu_count``, ``memory_size``
            (bytes), ``mgmt_ip`` (used to attribute traps to a controller),
            ``storage_id``.
        :raises NotImplementedError: controllers are not supported.
        """
        raise _not_implemented('list_controllers')

    def list_ports(self, context):
        """List ports.

        :returns: iterable of dicts of kind ``port``: ``native_port_id``
            (required), ``name``, ``location``, ``type``
            (``constants.PortType``), ``logical_type``
            (``constants.PortLogicalType``), ``connection_status``
            (``constants.PortConnectionStatus``), ``health_status``
            (``constants.PortHealthStatus``), ``native_parent_id`` (the
            controller holding the port), ``speed``, ``max_speed`` (bit/s),
            ``wwn``, ``mac_address``, ``ipv4``, ``ipv4_mask``, ``ipv6``,
            ``ipv6_mask``, ``storage_id``.
        :raises NotImplementedError: ports are not supported.
        """
        raise _not_implemented('list_ports')

    def list_disks(self, context):
        """List physical disks.

        :returns: iterable of dicts of kind ``disk``: ``native_disk_id``
            (required), ``name``, ``physical_type``
            (``constants.DiskPhysicalType``), ``logical_type``
            (``constants.DiskLogicalType``), ``status``
            (``constants.DiskStatus``), ``location``,
            ``native_disk_group_id``, ``serial_number``, ``manufacturer``,
            ``model``, ``firmware``, ``speed`` (RPM), ``capacity`` (bytes),
            ``health_score``, ``storage_id``.
        :raises NotImplementedError: disks are not supported.
        """
        raise _not_implemented('list_disks')

    def list_quotas(self, context):
        """List quotas of file systems and qtrees.

        :returns: iterable of dicts of kind ``quota``: ``native_quota_id``
            (required), ``type`` (``constants.QuotaType``),
            ``native_filesystem_id``, ``native_qtree_id``,
            ``capacity_hard_limit``, ``capacity_soft_limit``,
            ``used_capacity`` (bytes), ``file_hard_limit``,
            ``file_soft_limit``, ``file_count``, ``user_group_name``,
            ``storage_id``.
        :raises NotImplementedError: quotas are not supported.
        """
        raise _not_implemented('list_quotas')

    def list_filesystems(self, context):
        """List file systems.

        :returns: iterable of dicts of kind ``filesystem``:
            ``native_filesystem_id`` (required), ``name``, ``type``
            (``constants.FSType``), ``status``
            (``constants.FilesystemStatus``), ``native_pool_id``,
            ``security_mode`` (``constants.NASSecurityMode``),
            ``total_capacity``, ``used_capacity``, ``free_capacity``
            (bytes), ``compressed``, ``deduplicated`` (bool), ``worm``
            (``constants.WORMType``), ``storage_id``.
        :raises NotImplementedError: file systems are not supported.
        """
        raise _not_implemented('list_filesystems')

    def list_qtrees(self, context):
        """List qtrees (quota trees, directories with quotas).

        :returns: iterable of dicts of kind ``qtree``: ``native_qtree_id``
            (required), ``name``, ``path``, ``native_filesystem_id``,
            ``security_mode`` (``constants.NASSecurityMode``),
            ``storage_id``.
        :raises NotImplementedError: qtrees are not supported.
        """
        raise _not_implemented('list_qtrees')

    def list_shares(self, context):
        """List file shares (exports).

        :returns: iterable of dicts of kind ``share``: ``native_share_id``
            (required), ``name``, ``path``, ``native_filesystem_id``,
            ``native_qtree_id``, ``protocol``
            (``constants.ShareProtocol``), ``storage_id``.
        :raises NotImplementedError: shares are not supported.
        """
        raise _not_implemented('list_shares')

    def list_storage_host_initiators(self, context):
        """List host initiators known to the storage.

        :returns: iterable of dicts of kind ``storage_host_initiator``:
            ``native_storage_host_initiator_id`` (required),
            ``native_storage_host_id`` (a host of `list_storage_hosts`),
            ``name``, ``description``, ``alias``, ``type``
            (``constants.InitiatorType``), ``status``
            (``constants.InitiatorStatus``), ``wwn``, ``storage_id``.
        :raises NotImplementedError: initiators are not supported.
        """
        raise _not_implemented('list_storage_host_initiators')

    def list_storage_hosts(self, context):
        """List hosts defined on the storage.

        :returns: iterable of dicts of kind ``storage_host``:
            ``native_storage_host_id`` (required), ``name``,
            ``description``, ``os_type`` (``constants.HostOSTypes``),
            ``status`` (``constants.HostStatus``), ``ip_address``,
            ``storage_id``.
        :raises NotImplementedError: hosts are not supported.
        """
        raise _not_implemented('list_storage_hosts')

    def list_storage_host_groups(self, context):
        """List host groups and their members.

        :returns: dict ``{'storage_host_groups': [...],
            'storage_host_grp_host_rels': [...]}``: groups of kind
            ``storage_host_group`` (``native_storage_host_group_id``
            required, ``name``, ``description``, ``storage_id``) and
            membership rows of kind ``storage_host_grp_host_rel``
            (``native_storage_host_group_id``, ``native_storage_host_id``,
            ``storage_id``).
        :raises NotImplementedError: host groups are not supported.
        """
        raise _not_implemented('list_storage_host_groups')

    def list_port_groups(self, context):
        """List port groups and their members.

        :returns: dict ``{'port_groups': [...], 'port_grp_port_rels':
            [...]}``: groups of kind ``port_group``
            (``native_port_group_id`` required, ``name``, ``description``,
            ``storage_id``) and rows of kind ``port_grp_port_rel``
            (``native_port_group_id``, ``native_port_id``, ``storage_id``).
        :raises NotImplementedError: port groups are not supported.
        """
        raise _not_implemented('list_port_groups')

    def list_volume_groups(self, context):
        """List volume groups and their members.

        :returns: dict ``{'volume_groups': [...], 'vol_grp_vol_rels':
            [...]}``: groups of kind ``volume_group``
            (``native_volume_group_id`` required, ``name``,
            ``description``, ``storage_id``) and rows of kind
            ``vol_grp_vol_rel`` (``native_volume_group_id``,
            ``native_volume_id``, ``storage_id``).
        :raises NotImplementedError: volume groups are not supported.
        """
        raise _not_implemented('list_volume_groups')

    def list_masking_views(self, context):
        """List masking views (which hosts see which volumes, via which ports).

        :returns: iterable of dicts of kind ``masking_view``:
            ``native_masking_view_id`` (required), ``name``,
            ``description``, ``storage_id`` and the members: exactly one of
            ``native_storage_host_group_id`` / ``native_storage_host_id``,
            exactly one of ``native_volume_group_id`` /
            ``native_volume_id``, and optionally ``native_port_group_id``.
        :raises NotImplementedError: masking views are not supported.
        """
        raise _not_implemented('list_masking_views')

    # -- alerts -------------------------------------------------------------

    @abc.abstractmethod
    def add_trap_config(self, context, trap_config):
        """Configure the backend to send traps to a receiver.

        :param trap_config: dict describing the trap target.
        """

    @abc.abstractmethod
    def remove_trap_config(self, context, trap_config):
        """Remove a trap target configured by `add_trap_config`."""

    @staticmethod
    def parse_alert(context, alert):
        """Turn one SNMP trap from the storage into an alert.

        Called on the driver class, without an instance, by the alert
        manager when a trap arrives from a storage of this driver.

        :param context: request context.
        :param alert: dict of the trap's variable bindings, OID (dotted
            string) or MIB name to value, plus ``transport_address``.
        :returns: an alert dict: ``alert_id`` (the kind of alert),
            ``alert_name``, ``severity`` (``constants.Severity``),
            ``category`` (``constants.Category``; ``Recovery`` clears the
            open alert with the same ``alert_id``), ``type``
            (``constants.EventType``), ``sequence_number`` (this
            occurrence), ``occur_time`` (ms), ``description``,
            ``recovery_advice``, ``resource_type`` (default
            ``constants.DEFAULT_RESOURCE_TYPE``), ``location``; optionally
            ``match_key`` and ``clear_category``.  A falsy value means the
            trap is not an alert and is ignored.
        :raises IncompleteTrapInformation: the trap lacks what is needed;
            the core then syncs alerts from the storage instead.
        """
        return None

    @abc.abstractmethod
    def list_alerts(self, context, query_para=None):
        """List the alerts currently held by the storage.

        :param query_para: ``None`` or a dict with optional ``begin_time``
            and ``end_time`` in ms; filtering by time is the driver's job
            (``delfin.common.alert_util.is_alert_in_time_range`` helps).
        :returns: list of alert dicts as described in `parse_alert`.
        :raises StorageListAlertFailed, StorageBackendException.
        """

    @abc.abstractmethod
    def clear_alert(self, context, sequence_number):
        """Clear (acknowledge) one alert on the storage.

        :param sequence_number: the alert's ``sequence_number``.
        :raises StorageClearAlertFailed, StorageBackendException.
        """

    def get_alert_sources(self, context):
        """Addresses other than the access host that send traps.

        :returns: list of dicts with ``host``; empty by default.
        """
        return []

    # -- performance ----------------------------------------------------------

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        """Collect performance samples over a time window.

        :param storage_id: the service's id of the storage.
        :param resource_metrics: ``{resource_type: {metric: {'unit',
            'description'}}}``, the ``resource_metrics`` of the driver's
            capabilities (or a subset).
        :param start_time: window start, ms since the epoch.
        :param end_time: window end, ms since the epoch.
        :returns: a list, or any iterable, of
            ``constants.metric_struct(name, labels, values)``: ``name`` a
            metric name, ``labels`` a dict with at least ``storage_id``,
            ``resource_type``, ``resource_id``, ``resource_name``,
            ``type`` (``'RAW'``) and ``unit`` (the metrics of a resource
            may share one dict), and ``values`` a dict ``{timestamp_ms:
            float}``.  A generator is read as it yields, within the
            collection timeout, so a large answer is never whole in
            memory.  ``None`` (the default) means performance collection
            is not supported.
        :raises StoragePerformanceCollectionFailed.
        """
        return None

    @staticmethod
    def get_capabilities(context, filters=None):
        """Performance capabilities of the storage.

        :param filters: reserved, may be ``None``.
        :returns: ``None`` (no performance metrics) or a dict with
            ``is_historic`` (bool, required: samples can be fetched for
            past windows), optional ``performance_metric_retention_window``
            (s), ``collect_interval`` and ``failed_job_collect_interval``
            (s), and ``resource_metrics``: ``{resource_type: {metric:
            {'unit': ..., 'description': ...}}}`` with the names and units
            of ``constants.CAPABILITY_METRICS`` and
            ``constants.METRIC_UNITS``.
        """
        return None

    def get_latest_perf_timestamp(self, context):
        """Time of the newest performance sample on the storage, in ms.

        :returns: an int, or ``None`` when unknown.
        """
        return None

    # -- life cycle hooks -----------------------------------------------------

    def add_storage(self, kwargs):
        """Accept the access information of another storage (no-op).

        Kept for drivers of central managers that serve several arrays;
        the core builds one instance per storage and does not call it.
        """

    def delete_storage(self, context):
        """Release what the driver holds for its storage (no-op by default).

        Called once when the storage is removed, before the instance is
        dropped: close sessions, stop background work.
        """
