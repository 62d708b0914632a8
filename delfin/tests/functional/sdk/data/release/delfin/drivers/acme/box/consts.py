"""What an Acme Box answers (fixed: the tests have no backend)."""
from delfin.common import constants

GiB = 2 ** 30

STORAGE = {
    'name': 'box-01', 'vendor': 'Acme', 'model': 'Box 100',
    'status': constants.StorageStatus.NORMAL, 'serial_number': 'ACMEBOX01',
    'firmware_version': '1.0', 'location': 'lab',
    'total_capacity': 100 * GiB, 'used_capacity': 40 * GiB,
    'free_capacity': 60 * GiB, 'raw_capacity': 120 * GiB,
}
POOLS = [
    {'name': 'pool-1', 'native_storage_pool_id': 'p1',
     'status': constants.StoragePoolStatus.NORMAL,
     'storage_type': constants.StorageType.BLOCK,
     'total_capacity': 100 * GiB, 'used_capacity': 40 * GiB,
     'free_capacity': 60 * GiB},
]
VOLUMES = [
    {'name': 'vol-%d' % n, 'native_volume_id': 'v%d' % n,
     'native_storage_pool_id': 'p1',
     'status': constants.VolumeStatus.AVAILABLE,
     'type': constants.VolumeType.THIN, 'total_capacity': 10 * GiB,
     'used_capacity': 4 * GiB, 'free_capacity': 6 * GiB}
    for n in range(1, 4)
]
