"""Translation tables: the backend's words to the service's constants.

Each table maps what the ceph ceph API returns (compared in upper
case) to a value of `delfin.common.constants`.  A word missing from a table
maps to the table's default and is logged once, so a new firmware state
shows up in the logs instead of breaking a sync.  Extend the tables as the
backend's documentation or recordings reveal more values.
"""
from oslo_log import log as logging

from delfin.common import constants

LOG = logging.getLogger(__name__)

STORAGE_STATUS = {
    'OK': constants.StorageStatus.NORMAL,
    'DEGRADED': constants.StorageStatus.DEGRADED,
    'FAILED': constants.StorageStatus.ABNORMAL,
    'OFFLINE': constants.StorageStatus.OFFLINE,
}

POOL_STATUS = {
    'OK': constants.StoragePoolStatus.NORMAL,
    'DEGRADED': constants.StoragePoolStatus.DEGRADED,
    'FAILED': constants.StoragePoolStatus.ABNORMAL,
    'OFFLINE': constants.StoragePoolStatus.OFFLINE,
}

POOL_KIND = {
    'BLOCK': constants.StorageType.BLOCK,
    'FILE': constants.StorageType.FILE,
    'UNIFIED': constants.StorageType.UNIFIED,
}

VOLUME_STATUS = {
    'OK': constants.VolumeStatus.AVAILABLE,
    'ONLINE': constants.VolumeStatus.AVAILABLE,
    'FAILED': constants.VolumeStatus.ERROR,
    'OFFLINE': constants.VolumeStatus.ERROR,
}

VOLUME_PROVISIONING = {
    'THIN': constants.VolumeType.THIN,
    'THICK': constants.VolumeType.THICK,
    'FULL': constants.VolumeType.THICK,
}

CONTROLLER_STATUS = {
    'OK': constants.ControllerStatus.NORMAL,
    'DEGRADED': constants.ControllerStatus.DEGRADED,
    'FAILED': constants.ControllerStatus.FAULT,
    'OFFLINE': constants.ControllerStatus.OFFLINE,
}

PORT_PROTOCOL = {
    'FC': constants.PortType.FC,
    'ISCSI': constants.PortType.ISCSI,
    'ETHERNET': constants.PortType.ETH,
    'SAS': constants.PortType.SAS,
    'NVME': constants.PortType.OTHER,
}

PORT_ROLE = {
    'HOST': constants.PortLogicalType.FRONTEND,
    'DRIVE': constants.PortLogicalType.BACKEND,
    'MANAGEMENT': constants.PortLogicalType.MANAGEMENT,
    'REPLICATION': constants.PortLogicalType.INTERCONNECT,
}

PORT_LINK = {
    'UP': constants.PortConnectionStatus.CONNECTED,
    'DOWN': constants.PortConnectionStatus.DISCONNECTED,
}

PORT_HEALTH = {
    'OK': constants.PortHealthStatus.NORMAL,
    'FAILED': constants.PortHealthStatus.ABNORMAL,
    'DEGRADED': constants.PortHealthStatus.ABNORMAL,
}

DISK_MEDIA = {
    'SSD': constants.DiskPhysicalType.SSD,
    'NVME': constants.DiskPhysicalType.NVME_SSD,
    'SAS': constants.DiskPhysicalType.SAS,
    'NL-SAS': constants.DiskPhysicalType.NL_SAS,
    'SATA': constants.DiskPhysicalType.SATA,
}

DISK_ROLE = {
    'DATA': constants.DiskLogicalType.MEMBER,
    'SPARE': constants.DiskLogicalType.HOTSPARE,
    'FREE': constants.DiskLogicalType.FREE,
    'CACHE': constants.DiskLogicalType.CACHE,
}

DISK_STATUS = {
    'OK': constants.DiskStatus.NORMAL,
    'DEGRADED': constants.DiskStatus.DEGRADED,
    'FAILED': constants.DiskStatus.ABNORMAL,
    'OFFLINE': constants.DiskStatus.OFFLINE,
}

ALERT_SEVERITY = {
    'CRITICAL': constants.Severity.CRITICAL,
    'MAJOR': constants.Severity.MAJOR,
    'MINOR': constants.Severity.MINOR,
    'WARNING': constants.Severity.WARNING,
    'INFO': constants.Severity.INFORMATIONAL,
}

ALERT_TYPE = {
    'HARDWARE': constants.EventType.EQUIPMENT_ALARM,
    'NETWORK': constants.EventType.COMMUNICATIONS_ALARM,
    'SOFTWARE': constants.EventType.PROCESSING_ERROR_ALARM,
    'PERFORMANCE': constants.EventType.QUALITY_OF_SERVICE_ALARM,
    'ENVIRONMENT': constants.EventType.ENVIRONMENTAL_ALARM,
    'SECURITY': constants.EventType.SECURITY_MECHANISM_VIOLATION,
}

# The backend's trap variables (its MIB), under the example enterprise
# number 32473 (RFC 5612): replace them with the backend's own OIDs.
TRAP_PREFIX = '1.3.6.1.4.1.32473.1.'
TRAP_CODE = TRAP_PREFIX + '1'
TRAP_SEVERITY = TRAP_PREFIX + '2'
TRAP_DESCRIPTION = TRAP_PREFIX + '3'
TRAP_SEQUENCE = TRAP_PREFIX + '4'
TRAP_TIME = TRAP_PREFIX + '5'
TRAP_LOCATION = TRAP_PREFIX + '6'
TRAP_STATE = TRAP_PREFIX + '7'
TRAP_CATEGORY = TRAP_PREFIX + '8'
TRAP_TITLE = TRAP_PREFIX + '9'

# Trap states: a cleared alert is a recovery.
ALERT_STATE = {
    'RAISED': constants.Category.FAULT,
    'EVENT': constants.Category.EVENT,
    'CLEARED': constants.Category.RECOVERY,
}

# Performance: the metrics the driver serves per resource type, and the
# backend field each one is read from.  The service checks names and
# units against constants.CAPABILITY_METRICS / METRIC_UNITS.
_SERVED = (constants.Metrics.IOPS, constants.Metrics.READ_IOPS,
           constants.Metrics.WRITE_IOPS, constants.Metrics.THROUGHPUT,
           constants.Metrics.READ_THROUGHPUT,
           constants.Metrics.WRITE_THROUGHPUT,
           constants.Metrics.RESPONSE_TIME)

PERFORMANCE_METRICS = {
    resource_type: {m.name: {'unit': m.unit, 'description': m.description}
                    for m in _SERVED}
    for resource_type in (constants.ResourceType.STORAGE,
                          constants.ResourceType.STORAGE_POOL,
                          constants.ResourceType.VOLUME,
                          constants.ResourceType.PORT)
}

METRIC_FIELDS = {
    'iops': 'iops',
    'read_iops': 'readIops',
    'write_iops': 'writeIops',
    'bandwidth_mbps': 'throughput',
    'read_bandwidth_mbps': 'readThroughput',
    'write_bandwidth_mbps': 'writeThroughput',
    'latency_ms': 'responseTime',
}

# Backend resource type names in the metrics API.
METRIC_RESOURCE_TYPE = {
    'SYSTEM': constants.ResourceType.STORAGE,
    'POOL': constants.ResourceType.STORAGE_POOL,
    'VOLUME': constants.ResourceType.VOLUME,
    'PORT': constants.ResourceType.PORT,
}

_REPORTED = set()


def lookup(table, word, default):
    """The constant for `word` in `table`, or `default` (logged once)."""
    key = str(word).strip().upper() if word is not None else ''
    if key in table:
        return table[key]
    marker = (id(table), key)
    if marker not in _REPORTED:
        _REPORTED.add(marker)
        LOG.warning("Unknown backend value %r, reported as %r", word,
                    default)
    return default
