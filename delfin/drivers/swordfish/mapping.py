"""Translation tables: Redfish/Swordfish words to the service's constants.

Redfish describes every resource's condition with ``Status.State`` (is it
there and enabled) and ``Status.Health`` (``OK``, ``Warning``,
``Critical``).  A state that says the resource is not serving wins over its
health; otherwise the health decides.  A word not in a table maps to the
table's default and is logged once, so a new word shows up in the logs
rather than breaking a sync.
"""
import threading

from oslo_log import log as logging

from delfin.common import constants as c

LOG = logging.getLogger(__name__)

# Status.State values meaning the resource does not serve now.
OFFLINE_STATES = frozenset(('Absent', 'Disabled', 'UnavailableOffline',
                            'StandbyOffline', 'Deferring', 'Quiesced'))

STORAGE_HEALTH = {'OK': c.StorageStatus.NORMAL,
                  'Warning': c.StorageStatus.DEGRADED,
                  'Critical': c.StorageStatus.ABNORMAL}
POOL_HEALTH = {'OK': c.StoragePoolStatus.NORMAL,
               'Warning': c.StoragePoolStatus.DEGRADED,
               'Critical': c.StoragePoolStatus.ABNORMAL}
VOLUME_HEALTH = {'OK': c.VolumeStatus.AVAILABLE,
                 'Warning': c.VolumeStatus.AVAILABLE,
                 'Critical': c.VolumeStatus.ERROR}
DISK_HEALTH = {'OK': c.DiskStatus.NORMAL,
               'Warning': c.DiskStatus.DEGRADED,
               'Critical': c.DiskStatus.ABNORMAL}
CONTROLLER_HEALTH = {'OK': c.ControllerStatus.NORMAL,
                     'Warning': c.ControllerStatus.DEGRADED,
                     'Critical': c.ControllerStatus.FAULT}

FILESYSTEM_HEALTH = {'OK': c.FilesystemStatus.NORMAL,
                     'Warning': c.FilesystemStatus.NORMAL,
                     'Critical': c.FilesystemStatus.FAULTY}

# FileShare.FileSharingProtocols entries, by prefix.
SHARE_PROTOCOLS = (('SMB', c.ShareProtocol.CIFS),
                   ('CIFS', c.ShareProtocol.CIFS),
                   ('NFS', c.ShareProtocol.NFS))

# Alert severity of a health that is not OK.
ALERT_SEVERITY = {'Warning': c.Severity.WARNING,
                  'Critical': c.Severity.CRITICAL}

# Drive.MediaType, then Drive.Protocol, to a disk's physical type.
DISK_MEDIA = {'SSD': c.DiskPhysicalType.SSD, 'SMR': c.DiskPhysicalType.HDD}
DISK_PROTOCOL = {'SAS': c.DiskPhysicalType.SAS,
                 'SATA': c.DiskPhysicalType.SATA,
                 'NVMe': c.DiskPhysicalType.NVME_SSD,
                 'FC': c.DiskPhysicalType.FC}

# Volume.ProvisioningPolicy.
VOLUME_PROVISIONING = {'Thin': c.VolumeType.THIN,
                       'Thick': c.VolumeType.THICK}

_logged = set()
_logged_lock = threading.Lock()


def lookup(table, word, default):
    """``table[word]``, or ``default`` (an unknown word is logged once)."""
    if word is None:
        return default
    try:
        return table[word]
    except (KeyError, TypeError):
        key = (id(table), str(word))
        with _logged_lock:
            first = key not in _logged
            _logged.add(key)
        if first:
            LOG.info("Unknown Redfish value %r, mapped to %r", word, default)
        return default


def status_of(resource, table, offline, unknown):
    """The status of a resource from its ``Status``: ``offline`` when its
    state says it does not serve, else its health through ``table``
    (``unknown`` when it gives none)."""
    status = resource.get('Status') or {}
    if status.get('State') in OFFLINE_STATES:
        return offline
    return lookup(table, status.get('Health'), unknown)


def share_protocol(share):
    """The protocol of a share: its first SMB/CIFS or NFS protocol."""
    for protocol in share.get('FileSharingProtocols') or ():
        for prefix, value in SHARE_PROTOCOLS:
            if str(protocol).upper().startswith(prefix):
                return value
    return None


def disk_type(drive):
    """A drive's physical type from its media type and protocol."""
    media = drive.get('MediaType')
    if media in DISK_MEDIA:
        return DISK_MEDIA[media]
    protocol = drive.get('Protocol')
    if protocol in DISK_PROTOCOL:
        return DISK_PROTOCOL[protocol]
    return c.DiskPhysicalType.HDD if media == 'HDD' else \
        c.DiskPhysicalType.UNKNOWN
