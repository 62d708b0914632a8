"""Translation tables: Ceph's words to the service's constants.

Each table maps what the Ceph manager's REST API returns (compared in upper
case) to a value of `delfin.common.constants`.  A word missing from a table
maps to the table's default and is logged once, so a new Ceph state shows
up in the logs instead of breaking a sync.
"""
from oslo_log import log as logging

from delfin.common import constants

LOG = logging.getLogger(__name__)

# Cluster health (``health.status``).
STORAGE_STATUS = {
    'HEALTH_OK': constants.StorageStatus.NORMAL,
    'HEALTH_WARN': constants.StorageStatus.DEGRADED,
    'HEALTH_ERR': constants.StorageStatus.ABNORMAL,
}

# A pool's ``application_metadata``: what its data is used for.
POOL_APPLICATION = {
    'RBD': constants.StorageType.BLOCK,
    'CEPHFS': constants.StorageType.FILE,
}

# OSD device classes of the CRUSH map.
DISK_CLASS = {
    'HDD': constants.DiskPhysicalType.HDD,
    'SSD': constants.DiskPhysicalType.SSD,
    'NVME': constants.DiskPhysicalType.NVME_SSD,
}

# Health check severities.
ALERT_SEVERITY = {
    'HEALTH_ERR': constants.Severity.CRITICAL,
    'HEALTH_WARN': constants.Severity.WARNING,
}

# Health check codes by their first word: which part of the cluster a
# check is about.
ALERT_TYPE = {
    'OSD': constants.EventType.EQUIPMENT_ALARM,
    'OSDMAP': constants.EventType.PROCESSING_ERROR_ALARM,
    'MON': constants.EventType.EQUIPMENT_ALARM,
    'MGR': constants.EventType.EQUIPMENT_ALARM,
    'MDS': constants.EventType.EQUIPMENT_ALARM,
    'DEVICE': constants.EventType.EQUIPMENT_ALARM,
    'SLOW': constants.EventType.QUALITY_OF_SERVICE_ALARM,
    'POOL': constants.EventType.QUALITY_OF_SERVICE_ALARM,
    'PG': constants.EventType.PROCESSING_ERROR_ALARM,
    'OBJECT': constants.EventType.PROCESSING_ERROR_ALARM,
    'AUTH': constants.EventType.SECURITY_MECHANISM_VIOLATION,
    'RECENT': constants.EventType.PROCESSING_ERROR_ALARM,
}

# Performance: what the driver serves per resource type, and the fields
# of Ceph's statistics each metric is read from.  Ceph counts rates per
# second; throughputs are converted from bytes to MB (2**20 bytes).
_SERVED = (constants.Metrics.IOPS, constants.Metrics.READ_IOPS,
           constants.Metrics.WRITE_IOPS, constants.Metrics.THROUGHPUT,
           constants.Metrics.READ_THROUGHPUT,
           constants.Metrics.WRITE_THROUGHPUT)

PERFORMANCE_METRICS = {
    resource_type: {m.name: {'unit': m.unit, 'description': m.description}
                    for m in _SERVED}
    for resource_type in (constants.ResourceType.STORAGE,
                          constants.ResourceType.STORAGE_POOL,
                          constants.ResourceType.DISK)
}

BYTES_PER_MB = 1024 ** 2

# (read ops, write ops, read bytes, write bytes) statistics of each
# resource type, in the order of `RATE_METRICS`.
RATE_METRICS = ('readIops', 'writeIops', 'readThroughput',
                'writeThroughput')
POOL_RATES = ('rd', 'wr', 'rd_bytes', 'wr_bytes')
# An OSD's counters: op_r/op_w are operations, op_out_bytes the bytes it
# served (reads), op_in_bytes the bytes it received (writes).
OSD_RATES = ('op_r', 'op_w', 'op_out_bytes', 'op_in_bytes')
CLIENT_RATES = ('read_op_per_sec', 'write_op_per_sec', 'read_bytes_sec',
                'write_bytes_sec')
# Sums: metric -> (its read part, its write part).
SUMS = {'iops': ('readIops', 'writeIops'),
        'throughput': ('readThroughput', 'writeThroughput')}
THROUGHPUTS = ('readThroughput', 'writeThroughput')

_REPORTED = set()


def lookup(table, word, default):
    """The constant for `word` in `table`, or `default` (logged once)."""
    key = str(word).strip().upper() if word is not None else ''
    if key in table:
        return table[key]
    marker = (id(table), key)
    if marker not in _REPORTED:
        _REPORTED.add(marker)
        LOG.warning("Unknown Ceph value %r, reported as %r", word, default)
    return default


def alert_type(code):
    """The event type of health check ``code`` (``OSD_DOWN`` ...)."""
    first = str(code).split('_', 1)[0].upper()
    return ALERT_TYPE.get(first, constants.EventType.NOT_SPECIFIED)
