"""The vocabulary of the service: statuses, types, units and metric names.

Values are Delfin's, so that drivers written for Delfin return the same
strings.  Every enumeration class has an ``ALL`` tuple with its values; the
resource registry, the JSON schemas and the driver contract checks take their
enums from here and nowhere else.
"""
from collections import namedtuple

# Maximum value of a signed 32-bit integer column.
DB_MAX_INT = 0x7FFFFFFF

# Access sections accepted at registration, in the order the host used for
# locking and duplicate detection is taken from.
ACCESS_TYPE = ['rest', 'ssh', 'cli', 'smis']

BLOCK_SIZE = 4096


class StorageStatus(object):
    NORMAL = 'normal'
    OFFLINE = 'offline'
    ABNORMAL = 'abnormal'
    DEGRADED = 'degraded'
    UNKNOWN = 'unknown'

    ALL = (NORMAL, OFFLINE, ABNORMAL, DEGRADED, UNKNOWN)


class StoragePoolStatus(object):
    NORMAL = 'normal'
    OFFLINE = 'offline'
    ABNORMAL = 'abnormal'
    DEGRADED = 'degraded'
    UNKNOWN = 'unknown'

    ALL = (NORMAL, OFFLINE, ABNORMAL, DEGRADED, UNKNOWN)


class VolumeStatus(object):
    AVAILABLE = 'available'
    ERROR = 'error'

    ALL = (AVAILABLE, ERROR)


class ControllerStatus(object):
    NORMAL = 'normal'
    OFFLINE = 'offline'
    FAULT = 'fault'
    DEGRADED = 'degraded'
    UNKNOWN = 'unknown'

    ALL = (NORMAL, OFFLINE, FAULT, DEGRADED, UNKNOWN)


class StorageType(object):
    BLOCK = 'block'
    FILE = 'file'
    UNIFIED = 'unified'

    ALL = (BLOCK, FILE, UNIFIED)


class SyncStatus(object):
    SYNCED = 0
    SYNCING = 1


class VolumeType(object):
    THICK = 'thick'
    THIN = 'thin'

    ALL = (THICK, THIN)


class PortConnectionStatus(object):
    CONNECTED = 'connected'
    DISCONNECTED = 'disconnected'
    UNKNOWN = 'unknown'

    ALL = (CONNECTED, DISCONNECTED, UNKNOWN)


class PortHealthStatus(object):
    NORMAL = 'normal'
    ABNORMAL = 'abnormal'
    UNKNOWN = 'unknown'

    ALL = (NORMAL, ABNORMAL, UNKNOWN)


class PortType(object):
    FC = 'fc'
    ISCSI = 'iscsi'
    FICON = 'ficon'
    FCOE = 'fcoe'
    ETH = 'eth'
    SAS = 'sas'
    IB = 'ib'
    LOGIC = 'logic'
    CIFS = 'cifs'
    NFS = 'nfs'
    FCACHE = 'fcache'
    COMBO = 'combo'
    CNA = 'cna'
    RCIP = 'rcip'
    NFS_CIFS = 'nfs-cifs'
    OTHER = 'other'

    ALL = (FC, ISCSI, FICON, FCOE, ETH, SAS, IB, LOGIC, CIFS, NFS, FCACHE,
           COMBO, CNA, RCIP, NFS_CIFS, OTHER)


class PortLogicalType(object):
    FRONTEND = 'frontend'
    BACKEND = 'backend'
    SERVICE = 'service'
    MANAGEMENT = 'management'
    INTERNAL = 'internal'
    MAINTENANCE = 'maintenance'
    INTERCONNECT = 'interconnect'
    CLUSTER = 'cluster'
    DATA = 'data'
    NODE_MGMT = 'node-mgmt'
    INTERCLUSTER = 'intercluster'
    CLUSTER_MGMT = 'cluster-mgmt'
    PHYSICAL = 'physical'
    IF_GROUP = 'if-group'
    VLAN = 'vlan'
    OTHER = 'other'

    ALL = (FRONTEND, BACKEND, SERVICE, MANAGEMENT, INTERNAL, MAINTENANCE,
           INTERCONNECT, CLUSTER, DATA, NODE_MGMT, INTERCLUSTER, CLUSTER_MGMT,
           PHYSICAL, IF_GROUP, VLAN, OTHER)


class DiskStatus(object):
    NORMAL = 'normal'
    ABNORMAL = 'abnormal'
    DEGRADED = 'degraded'
    OFFLINE = 'offline'

    ALL = (NORMAL, ABNORMAL, DEGRADED, OFFLINE)


class DiskPhysicalType(object):
    SATA = 'sata'
    SAS = 'sas'
    SSD = 'ssd'
    NL_SSD = 'nl-ssd'
    FC = 'fc'
    LUN = 'lun'
    ATA = 'ata'
    FLASH = 'flash'
    VMDISK = 'vmdisk'
    NL_SAS = 'nl-sas'
    SSD_CARD = 'ssd-card'
    SAS_FLASH_VP = 'sas-flash-vp'
    HDD = 'hdd'
    NVME_SSD = 'nvme-ssd'
    UNKNOWN = 'unknown'

    ALL = (SATA, SAS, SSD, NL_SSD, FC, LUN, ATA, FLASH, VMDISK, NL_SAS,
           SSD_CARD, SAS_FLASH_VP, HDD, NVME_SSD, UNKNOWN)


class DiskLogicalType(object):
    FREE = 'free'
    MEMBER = 'member'
    HOTSPARE = 'hotspare'
    CACHE = 'cache'
    AGGREGATE = 'aggregate'
    BROKEN = 'broken'
    FOREIGN = 'foreign'
    LABELMAINT = 'labelmaint'
    MAINTENANCE = 'maintenance'
    SHARED = 'shared'
    SPARE = 'spare'
    UNASSIGNED = 'unassigned'
    UNSUPPORTED = 'unsupported'
    REMOTE = 'remote'
    MEDIATOR = 'mediator'
    DATA = 'data'
    UNKNOWN = 'unknown'

    ALL = (FREE, MEMBER, HOTSPARE, CACHE, AGGREGATE, BROKEN, FOREIGN,
           LABELMAINT, MAINTENANCE, SHARED, SPARE, UNASSIGNED, UNSUPPORTED,
           REMOTE, MEDIATOR, DATA, UNKNOWN)


class FilesystemStatus(object):
    NORMAL = 'normal'
    FAULTY = 'faulty'

    ALL = (NORMAL, FAULTY)


class FSType(object):
    THICK = 'thick'
    THIN = 'thin'

    ALL = (THICK, THIN)


class WORMType(object):
    NON_WORM = 'non_worm'
    AUDIT_LOG = 'audit_log'
    COMPLIANCE = 'compliance'
    ENTERPRISE = 'enterprise'

    ALL = (NON_WORM, AUDIT_LOG, COMPLIANCE, ENTERPRISE)


class NASSecurityMode(object):
    MIXED = 'mixed'
    NATIVE = 'native'
    NTFS = 'ntfs'
    UNIX = 'unix'

    ALL = (MIXED, NATIVE, NTFS, UNIX)


class QuotaType(object):
    TREE = 'tree'
    USER = 'user'
    GROUP = 'group'

    ALL = (TREE, USER, GROUP)


class ShareProtocol(object):
    CIFS = 'cifs'
    NFS = 'nfs'
    FTP = 'ftp'
    HDFS = 'hdfs'

    ALL = (CIFS, NFS, FTP, HDFS)


class HostStatus(object):
    NORMAL = 'normal'
    OFFLINE = 'offline'
    ABNORMAL = 'abnormal'
    DEGRADED = 'degraded'

    ALL = (NORMAL, OFFLINE, ABNORMAL, DEGRADED)


class HostOSTypes(object):
    LINUX = 'Linux'
    WINDOWS = 'Windows'
    SOLARIS = 'Solaris'
    HP_UX = 'HP-UX'
    AIX = 'AIX'
    XEN_SERVER = 'XenServer'
    VMWARE_ESX = 'VMware ESX'
    LINUX_VIS = 'LINUX_VIS'
    WINDOWS_SERVER_2012 = 'Windows Server 2012'
    ORACLE_VM = 'Oracle VM'
    OPEN_VMS = 'Open VMS'
    MAC_OS = 'Mac OS'
    UNKNOWN = 'Unknown'

    ALL = (LINUX, WINDOWS, SOLARIS, HP_UX, AIX, XEN_SERVER, VMWARE_ESX,
           LINUX_VIS, WINDOWS_SERVER_2012, ORACLE_VM, OPEN_VMS, MAC_OS,
           UNKNOWN)


class InitiatorStatus(object):
    ONLINE = 'online'
    OFFLINE = 'offline'
    UNKNOWN = 'unknown'

    ALL = (ONLINE, OFFLINE, UNKNOWN)


class InitiatorType(object):
    FC = 'fc'
    ISCSI = 'iscsi'
    NVME_OVER_ROCE = 'roce'
    SAS = 'sas'
    NVME_OVER_FABRIC = 'nvme-of'
    UNKNOWN = 'unknown'

    ALL = (FC, ISCSI, NVME_OVER_ROCE, SAS, NVME_OVER_FABRIC, UNKNOWN)


# Alerts.

class Severity(object):
    FATAL = 'Fatal'
    CRITICAL = 'Critical'
    MAJOR = 'Major'
    MINOR = 'Minor'
    WARNING = 'Warning'
    INFORMATIONAL = 'Informational'
    NOT_SPECIFIED = 'NotSpecified'

    ALL = (FATAL, CRITICAL, MAJOR, MINOR, WARNING, INFORMATIONAL,
           NOT_SPECIFIED)


class Category(object):
    FAULT = 'Fault'
    EVENT = 'Event'
    RECOVERY = 'Recovery'
    NOT_SPECIFIED = 'NotSpecified'

    ALL = (FAULT, EVENT, RECOVERY, NOT_SPECIFIED)


class ClearType(object):
    AUTOMATIC = 'Automatic'
    MANUAL = 'Manual'

    ALL = (AUTOMATIC, MANUAL)


class EventType(object):
    COMMUNICATIONS_ALARM = 'CommunicationsAlarm'
    EQUIPMENT_ALARM = 'EquipmentAlarm'
    PROCESSING_ERROR_ALARM = 'ProcessingErrorAlarm'
    QUALITY_OF_SERVICE_ALARM = 'QualityOfServiceAlarm'
    ENVIRONMENTAL_ALARM = 'EnvironmentalAlarm'
    INTEGRITY_VIOLATION = 'IntegrityViolation'
    OPERATIONAL_VIOLATION = 'OperationalViolation'
    PHYSICAL_VIOLATION = 'PhysicalViolation'
    SECURITY_MECHANISM_VIOLATION = 'SecurityServiceOrMechanismViolation'
    TIME_DOMAIN_VIOLATION = 'TimeDomainViolation'
    NOT_SPECIFIED = 'NotSpecified'

    ALL = (COMMUNICATIONS_ALARM, EQUIPMENT_ALARM, PROCESSING_ERROR_ALARM,
           QUALITY_OF_SERVICE_ALARM, ENVIRONMENTAL_ALARM, INTEGRITY_VIOLATION,
           OPERATIONAL_VIOLATION, PHYSICAL_VIOLATION,
           SECURITY_MECHANISM_VIOLATION, TIME_DOMAIN_VIOLATION, NOT_SPECIFIED)


# The alert ``resource_type`` used when a driver names none.
DEFAULT_RESOURCE_TYPE = 'Storage'


class AlertState(object):
    """Life cycle of a stored alert."""
    OPEN = 'open'
    CLEARED = 'cleared'

    ALL = (OPEN, CLEARED)


class AlertSourceType(object):
    """How a stored alert reached the service."""
    TRAP = 'trap'
    POLL = 'poll'

    ALL = (TRAP, POLL)


class SecurityLevel(object):
    AUTHPRIV = 'authPriv'
    AUTHNOPRIV = 'authNoPriv'
    NOAUTHNOPRIV = 'noAuthnoPriv'

    ALL = (AUTHPRIV, AUTHNOPRIV, NOAUTHNOPRIV)


class SNMPVersion(object):
    """SNMP versions as accepted by the snmp-config API (any case)."""
    V1 = 'snmpv1'
    V2C = 'snmpv2c'
    V3 = 'snmpv3'

    ALL = (V1, V2C, V3)


# SNMP protocol names accepted by the snmp-config API.
SNMP_AUTH_PROTOCOLS = ('HMACSHA', 'HMACMD5', 'HMCSHA2224', 'HMCSHA2256',
                       'HMCSHA2384', 'HMCSHA2512')
SNMP_PRIVACY_PROTOCOLS = ('DES', 'AES', 'AES192', 'AES256', '3DES')

# SNMP version as a number, keyed by the lower-case API name.
SNMP_VERSION_INT = {'snmpv1': 1, 'snmpv2c': 2, 'snmpv3': 3}

DEFAULT_SNMP_CONNECT_PORT = 161
DEFAULT_SNMP_RETRY_NUM = 1
DEFAULT_SNMP_EXPIRATION_TIME = 2
SNMP_QUERY_OID = '1.3.6.1.2.1.1.1.0'
SNMP_CONNECTION_FAILED_ALERT_ID = '19660818'
SNMP_SUPPORTED_MODELS = ('vsp', '3par', 'cmode', 'msa', 'hnas')

# The protocol maps name pysnmp objects; they are built on first use so that
# importing the constants does not import pysnmp.
_PROTOCOL_MAPS = {
    'AUTH_PROTOCOL_MAP': {
        'hmacsha': 'USM_AUTH_HMAC96_SHA',
        'hmacmd5': 'USM_AUTH_HMAC96_MD5',
        'hmcsha2224': 'USM_AUTH_HMAC128_SHA224',
        'hmcsha2256': 'USM_AUTH_HMAC192_SHA256',
        'hmcsha2384': 'USM_AUTH_HMAC256_SHA384',
        'hmcsha2512': 'USM_AUTH_HMAC384_SHA512',
        'none': 'USM_AUTH_NONE',
    },
    'PRIVACY_PROTOCOL_MAP': {
        'aes': 'USM_PRIV_CFB128_AES',
        'des': 'USM_PRIV_CBC56_DES',
        'aes192': 'USM_PRIV_CFB192_AES',
        'aes256': 'USM_PRIV_CFB256_AES',
        '3des': 'USM_PRIV_CBC168_3DES',
        'none': 'USM_PRIV_NONE',
    },
}


def __getattr__(name):
    if name in _PROTOCOL_MAPS:
        from pysnmp.entity import config as snmp_config
        value = {key: getattr(snmp_config, attr)
                 for key, attr in _PROTOCOL_MAPS[name].items()}
        globals()[name] = value
        return value
    raise AttributeError(name)


# Resource sync accounting kept for drivers and tools that read it.
class ResourceSync(object):
    START = 100
    SUCCEED = 100
    FAILED = 101


class SyncJobState(object):
    """States of a sync job."""
    QUEUED = 'queued'
    RUNNING = 'running'
    SUCCEEDED = 'succeeded'
    FAILED = 'failed'
    CANCELLED = 'cancelled'

    ALL = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
    ACTIVE = (QUEUED, RUNNING)


# Performance collection.

class ResourceType(object):
    STORAGE = 'storage'
    STORAGE_POOL = 'storagePool'
    VOLUME = 'volume'
    CONTROLLER = 'controller'
    PORT = 'port'
    DISK = 'disk'
    FILESYSTEM = 'filesystem'
    SHARE = 'share'

    ALL = (STORAGE, STORAGE_POOL, VOLUME, CONTROLLER, PORT, DISK, FILESYSTEM,
           SHARE)


# A performance sample series returned by ``collect_perf_metrics``:
# ``values`` maps epoch milliseconds to a number.
metric_struct = namedtuple("Metric", "name labels values")

# The description of a metric in capabilities.
Metric = namedtuple('Metric', 'name unit description')


class MetricUnit(object):
    IOPS = 'IOPS'
    MBS = 'MB/s'
    MS = 'ms'
    KB = 'KB'
    PERCENTAGE = '%'

    ALL = (IOPS, MBS, MS, KB, PERCENTAGE)


class Metrics(object):
    IOPS = Metric('iops', MetricUnit.IOPS,
                  'Read and write operations per second')
    READ_IOPS = Metric('readIops', MetricUnit.IOPS,
                       'Read operations per second')
    WRITE_IOPS = Metric('writeIops', MetricUnit.IOPS,
                        'Write operations per second')
    THROUGHPUT = Metric('throughput', MetricUnit.MBS,
                        'Total data transferred per second')
    READ_THROUGHPUT = Metric('readThroughput', MetricUnit.MBS,
                             'Data read per second')
    WRITE_THROUGHPUT = Metric('writeThroughput', MetricUnit.MBS,
                              'Data written per second')
    RESPONSE_TIME = Metric('responseTime', MetricUnit.MS,
                           'Average time to serve an operation')
    READ_RESPONSE_TIME = Metric('readResponseTime', MetricUnit.MS,
                                'Average time to serve a read')
    WRITE_RESPONSE_TIME = Metric('writeResponseTime', MetricUnit.MS,
                                 'Average time to serve a write')
    IO_SIZE = Metric('ioSize', MetricUnit.KB,
                     'Average size of an operation')
    READ_IO_SIZE = Metric('readIoSize', MetricUnit.KB,
                          'Average size of a read')
    WRITE_IO_SIZE = Metric('writeIoSize', MetricUnit.KB,
                           'Average size of a write')
    CACHE_HIT_RATIO = Metric('cacheHitRatio', MetricUnit.PERCENTAGE,
                             'Share of operations served from cache')
    READ_CACHE_HIT_RATIO = Metric('readCacheHitRatio', MetricUnit.PERCENTAGE,
                                  'Share of reads served from cache')
    WRITE_CACHE_HIT_RATIO = Metric('writeCacheHitRatio',
                                   MetricUnit.PERCENTAGE,
                                   'Share of writes served from cache')
    CPU_USAGE = Metric('cpuUsage', MetricUnit.PERCENTAGE,
                       'Processor utilisation')


class _IoMetrics(object):
    IOPS = Metrics.IOPS
    READ_IOPS = Metrics.READ_IOPS
    WRITE_IOPS = Metrics.WRITE_IOPS
    THROUGHPUT = Metrics.THROUGHPUT
    READ_THROUGHPUT = Metrics.READ_THROUGHPUT
    WRITE_THROUGHPUT = Metrics.WRITE_THROUGHPUT
    RESPONSE_TIME = Metrics.RESPONSE_TIME
    READ_RESPONSE_TIME = Metrics.READ_RESPONSE_TIME
    WRITE_RESPONSE_TIME = Metrics.WRITE_RESPONSE_TIME


class _CacheMetrics(object):
    CACHE_HIT_RATIO = Metrics.CACHE_HIT_RATIO
    READ_CACHE_HIT_RATIO = Metrics.READ_CACHE_HIT_RATIO
    WRITE_CACHE_HIT_RATIO = Metrics.WRITE_CACHE_HIT_RATIO


class _IoSizeMetrics(object):
    IO_SIZE = Metrics.IO_SIZE
    READ_IO_SIZE = Metrics.READ_IO_SIZE
    WRITE_IO_SIZE = Metrics.WRITE_IO_SIZE


class StorageMetric(_IoMetrics, _CacheMetrics, _IoSizeMetrics):
    pass


class StoragePoolMetric(_IoMetrics, _CacheMetrics, _IoSizeMetrics):
    pass


class VolumeMetric(_IoMetrics, _CacheMetrics, _IoSizeMetrics):
    pass


class ControllerMetric(_IoMetrics, _CacheMetrics, _IoSizeMetrics):
    CPU_USAGE = Metrics.CPU_USAGE


class PortMetric(_IoMetrics, _CacheMetrics, _IoSizeMetrics):
    pass


class DiskMetric(_IoMetrics, _CacheMetrics):
    pass


class FileSystemMetric(object):
    IOPS = Metrics.IOPS
    READ_IOPS = Metrics.READ_IOPS
    WRITE_IOPS = Metrics.WRITE_IOPS
    THROUGHPUT = Metrics.THROUGHPUT
    READ_THROUGHPUT = Metrics.READ_THROUGHPUT
    WRITE_THROUGHPUT = Metrics.WRITE_THROUGHPUT
    READ_RESPONSE_TIME = Metrics.READ_RESPONSE_TIME
    WRITE_RESPONSE_TIME = Metrics.WRITE_RESPONSE_TIME
    IO_SIZE = Metrics.IO_SIZE
    READ_IO_SIZE = Metrics.READ_IO_SIZE
    WRITE_IO_SIZE = Metrics.WRITE_IO_SIZE


# Metric names a driver may declare in capabilities, per resource type
# (the capabilities schema is generated from this table).
CAPABILITY_METRICS = {
    ResourceType.STORAGE: (
        'throughput', 'responseTime', 'readResponseTime',
        'writeResponseTime', 'iops', 'readThroughput', 'writeThroughput',
        'readIops', 'writeIops'),
    ResourceType.STORAGE_POOL: (
        'throughput', 'responseTime', 'iops', 'readThroughput',
        'writeThroughput', 'readIops', 'writeIops'),
    ResourceType.VOLUME: (
        'throughput', 'responseTime', 'readResponseTime',
        'writeResponseTime', 'iops', 'readThroughput', 'writeThroughput',
        'readIops', 'writeIops', 'cacheHitRatio', 'readCacheHitRatio',
        'writeCacheHitRatio', 'ioSize', 'readIoSize', 'writeIoSize'),
    ResourceType.CONTROLLER: (
        'throughput', 'responseTime', 'iops', 'readThroughput',
        'writeThroughput', 'readIops', 'writeIops', 'cpuUsage'),
    ResourceType.PORT: (
        'throughput', 'responseTime', 'iops', 'readThroughput',
        'writeThroughput', 'readIops', 'writeIops'),
    ResourceType.DISK: (
        'throughput', 'responseTime', 'iops', 'readIops', 'writeIops',
        'readThroughput', 'writeThroughput'),
    ResourceType.FILESYSTEM: (
        'throughput', 'iops', 'readThroughput', 'writeThroughput',
        'readIops', 'writeIops', 'readResponseTime', 'writeResponseTime',
        'ioSize', 'readIoSize', 'writeIoSize'),
}

# Unit of every metric name.
METRIC_UNITS = {m.name: m.unit for m in vars(Metrics).values()
                if isinstance(m, Metric)}

DELFIN_ARRAY_METRICS = list(CAPABILITY_METRICS[ResourceType.STORAGE])


class TelemetryCollection(object):
    DEF_PERFORMANCE_COLLECTION_INTERVAL = 900
    DEF_PERFORMANCE_HISTORY_ON_RESCHEDULE = 1800
    DEF_PERFORMANCE_TIMESTAMP_OVERLAP = 60
    MAX_FAILED_TASK_RETRY_WINDOW = 7200
    FAILED_JOB_SCHEDULE_INTERVAL = 900
    MAX_FAILED_JOB_RETRY_COUNT = 5


class TelemetryTaskStatus(object):
    TASK_EXEC_STATUS_SUCCESS = True
    TASK_EXEC_STATUS_FAILURE = False


class TelemetryJobStatus(object):
    FAILED_JOB_STATUS_SUCCESS = "Success"
    FAILED_JOB_STATUS_RETRYING = "Retrying"
    FAILED_JOB_STATUS_INIT = "Initialized"
