"""The inventory of a fake storage, computed from a seed.

Everything a fake storage holds is a pure function of its seed (derived
from the storage id), its options (counts as "min-max" ranges) and its
generation: two calls with the same inputs give the same objects, in the
same order, on any machine.

Counts are drawn once per seed from each kind's range.  Objects of a kind
are numbered; their native ids are ``<prefix>_<number>`` and their
attributes come from a random stream seeded per block of
``CHUNK`` numbers, so an object's attributes do not depend on page sizes,
and volumes can be produced page by page without holding them all.

Churn.  With a churn ``c > 0`` each kind is a window of numbers that moves
by ``round(n * c)`` (at least 1) per generation: that many objects vanish
at the low end and new ones appear at the high end; besides, a fixed share
``c`` of the objects gets new capacities and descriptions in every
generation.  References always point into the current generation's
windows, so they stay consistent within one generation.
"""
import hashlib
import itertools
import random

from delfin.common import constants as c

CHUNK = 1024

KiB = 1024
GiB = 1024 ** 3
TiB = 1024 ** 4
GBIT = 1000 ** 3

_MASK = (1 << 64) - 1

# Native id prefix of each kind (the perf resource type where one exists,
# so that performance samples name inventory objects).
PREFIX = {
    'storage_pool': 'storagePool',
    'volume': 'volume',
    'controller': 'controller',
    'port': 'port',
    'disk': 'disk',
    'filesystem': 'filesystem',
    'qtree': 'qtree',
    'quota': 'quota',
    'share': 'share',
    'storage_host': 'storage_host',
    'storage_host_group': 'storage_host_group',
    'port_group': 'port_group',
    'volume_group': 'volume_group',
    'masking_view': 'masking_view',
}

# Option holding each kind's count range.
RANGE_OPTION = {
    'storage_pool': 'fake_pool_range',
    'volume': 'fake_volume_range',
    'controller': 'fake_controller_range',
    'port': 'fake_port_range',
    'disk': 'fake_disk_range',
    'filesystem': 'fake_filesystem_range',
    'qtree': 'fake_qtree_range',
    'quota': 'fake_quota_range',
    'share': 'fake_share_range',
    'storage_host': 'fake_host_range',
    'storage_host_group': 'fake_host_group_range',
    'port_group': 'fake_port_group_range',
    'volume_group': 'fake_volume_group_range',
    'masking_view': 'fake_masking_view_range',
}

# Kinds that only exist inside file systems.
_NEEDS_FILESYSTEM = ('qtree', 'quota', 'share')

# Volumes per volume group.
VOLUME_GROUP_SIZE = 8


def parse_range(text):
    """``"a-b"`` or ``"a"`` -> (a, b) with 0 <= a <= b.

    :raises ValueError: not a range of non-negative integers.
    """
    parts = str(text).strip().split('-')
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise ValueError('invalid range %r, expected "min-max"' % (text,))
    low, high = int(parts[0]), int(parts[1])
    if low < 0 or high < low:
        raise ValueError('invalid range %r, expected 0 <= min <= max'
                         % (text,))
    return low, high


def digest(text):
    """A stable 64-bit integer of a string."""
    return int.from_bytes(
        hashlib.sha256(text.encode('utf-8')).digest()[:8], 'big')


def mix(*values):
    """A stable 64-bit hash of integers (splitmix64 steps)."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (v & _MASK)) & _MASK
        h = (h + 0x9E3779B97F4A7C15) & _MASK
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
        h ^= h >> 31
    return h


def _pick(rng, common, others, p_common=0.9):
    """``common`` with probability ``p_common``, else one of ``others``."""
    if rng.random() < p_common or not others:
        return common
    return rng.choice(others)


_THIN, _THICK = c.VolumeType.THIN, c.VolumeType.THICK
_AVAILABLE, _ERROR = c.VolumeStatus.AVAILABLE, c.VolumeStatus.ERROR


def _hex(value, digits):
    return ('%0*x' % (digits, value & ((1 << (4 * digits)) - 1)))[-digits:]


class Window(object):
    """The numbers of a kind's objects in one generation."""

    __slots__ = ('start', 'count')

    def __init__(self, start, count):
        self.start = start
        self.count = count

    @property
    def stop(self):
        return self.start + self.count

    def __len__(self):
        return self.count

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def at(self, k):
        """The k-th number of the window (wrapping), None when empty."""
        if not self.count:
            return None
        return self.start + (k % self.count)


class Inventory(object):
    """The objects of one fake storage in one generation.

    :param seed: text identifying the storage (its id, or its address).
    :param storage_id: value of ``storage_id`` in every object.
    :param options: mapping of option name to value (ranges as text).
    :param generation: generation number (0 without churn).
    :param churn: share of objects replaced and changed per generation.
    """

    def __init__(self, seed, storage_id, options, generation=0, churn=0.0):
        self.seed = seed
        self.seed_int = digest(seed)
        self.storage_id = storage_id
        self.options = options
        self.generation = generation if churn > 0 else 0
        self.churn = churn
        self._windows = {}

    # -- counts and windows ---------------------------------------------

    def count(self, kind):
        """Number of objects of ``kind`` (fixed for a seed)."""
        if kind in _NEEDS_FILESYSTEM and not self.count('filesystem'):
            return 0
        low, high = parse_range(self.options[RANGE_OPTION[kind]])
        return random.Random('%s:count:%s' % (self.seed, kind)).randint(
            low, high)

    def window(self, kind):
        win = self._windows.get(kind)
        if win is None:
            n = self.count(kind)
            shift = 0
            if self.churn > 0 and n:
                shift = min(n, max(1, int(round(n * self.churn))))
            win = Window(self.generation * shift, n)
            self._windows[kind] = win
        return win

    def native_id(self, kind, number):
        if number is None:
            return None
        return '%s_%d' % (PREFIX[kind], number)

    def ref(self, kind, k):
        """Native id of the k-th (wrapping) object of ``kind``, or None."""
        return self.native_id(kind, self.window(kind).at(k))

    # -- object streams -------------------------------------------------

    def _volatile(self, kind_int, number):
        if self.churn <= 0:
            return False
        return mix(self.seed_int, kind_int, number) % 10000 < \
            self.churn * 10000

    def _changed(self, item, kind_int, number):
        """Apply this generation's change to a volatile object."""
        g = self.generation
        if 'description' in item:
            item['description'] = 'changed in generation %d' % g
        total_key = ('total_capacity' if 'total_capacity' in item
                     else 'capacity_hard_limit')
        total = item.get(total_key)
        if total and 'used_capacity' in item:
            used = mix(self.seed_int, kind_int, number, g) % (total + 1)
            item['used_capacity'] = used
            if 'free_capacity' in item:
                item['free_capacity'] = total - used
        return item

    def stream(self, kind, maker, window=None):
        """Objects of ``kind`` for the numbers of ``window``, in order.

        ``maker(number, rng)`` builds one object; it is called for every
        number of each block from the block's start so that each object
        sees the same random draws whatever the window.  A maker marked
        `batch` is called as ``maker(start, stop, rng)`` instead, for the
        list of the objects numbered start to stop - 1.
        """
        win = window or self.window(kind)
        kind_int = digest(kind)
        storage_id = self.storage_id
        churn = self.churn > 0
        batch = getattr(maker, 'batch', False)
        number = win.start
        while number < win.stop:
            chunk = number // CHUNK
            rng = random.Random('%s:%s:%d' % (self.seed, kind, chunk))
            base = chunk * CHUNK
            end = min(base + CHUNK, win.stop)
            # The draws of the numbers before the window, then its objects.
            if batch:
                if number > base:
                    maker(base, number, rng)
                items = maker(number, end, rng)
            else:
                for n in range(base, number):
                    maker(n, rng)
                items = [maker(n, rng) for n in range(number, end)]
            for n, item in zip(range(number, end), items):
                item['storage_id'] = storage_id
                if churn and self._volatile(kind_int, n):
                    self._changed(item, kind_int, n)
            yield from items
            number = end

    def pages(self, kind, maker, page_size):
        """`stream` cut into lists of at most ``page_size`` objects."""
        stream = self.stream(kind, maker)
        while True:
            page = list(itertools.islice(stream, page_size))
            if not page:
                return
            yield page

    # -- kinds ----------------------------------------------------------

    def pool(self, n, rng):
        total = rng.randint(10, 200) * TiB
        used = int(total * rng.uniform(0.05, 0.9))
        return {
            'native_storage_pool_id': self.native_id('storage_pool', n),
            'name': 'pool_%d' % n,
            'description': 'Fake storage pool %d' % n,
            'storage_type': _pick(rng, c.StorageType.BLOCK,
                                  [c.StorageType.FILE,
                                   c.StorageType.UNIFIED], 0.7),
            'status': _pick(rng, c.StoragePoolStatus.NORMAL,
                            [c.StoragePoolStatus.DEGRADED,
                             c.StoragePoolStatus.ABNORMAL]),
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'subscribed_capacity': int(used * rng.uniform(1.0, 3.0)),
        }

    def volumes(self, start, stop, rng):
        """The volumes numbered ``start`` to ``stop - 1`` (see `stream`).

        The hottest maker (up to millions of volumes): a loop of plain
        draws, with what does not change from one volume to the next
        looked up once.
        """
        r = rng.random
        bits = rng.getrandbits
        pools = self.window('storage_pool')
        first_pool, pool_count = pools.start, pools.count
        wwn = '6%015x%%016x' % (self.seed_int >> 4)
        out = []
        append = out.append
        for n in range(start, stop):
            total = (int(r() * 2048) + 1) * GiB
            thin = r() < 0.6
            used = int(total * r()) if thin else total
            name = 'volume_%d' % n
            append({
                'native_volume_id': name,
                'name': name,
                'description': 'Fake volume %d' % n,
                'type': _THIN if thin else _THICK,
                'status': _AVAILABLE if r() < 0.97 else _ERROR,
                'native_storage_pool_id': (
                    'storagePool_%d' % (first_pool + n % pool_count)
                    if pool_count else None),
                'wwn': wwn % bits(64),
                'total_capacity': total,
                'used_capacity': used,
                'free_capacity': total - used,
                'compressed': r() < 0.3,
                'deduplicated': r() < 0.3,
            })
        return out

    volumes.batch = True

    def volume(self, n, rng):
        """Volume number ``n`` (see `volumes`)."""
        return self.volumes(n, n + 1, rng)[0]

    def controller(self, n, rng):
        return {
            'native_controller_id': self.native_id('controller', n),
            'name': 'SP%s' % chr(ord('A') + n % 26) + (
                str(n // 26) if n >= 26 else ''),
            'status': _pick(rng, c.ControllerStatus.NORMAL,
                            [c.ControllerStatus.DEGRADED,
                             c.ControllerStatus.FAULT], 0.95),
            'location': 'enclosure_0/slot_%d' % n,
            'soft_version': '1.0.%d' % rng.randint(0, 9),
            'cpu_info': 'Fake CPU %d cores' % (8 * rng.randint(1, 4)),
            'cpu_count': rng.randint(1, 4),
            'memory_size': rng.choice((64, 128, 256)) * GiB,
            'mgmt_ip': '198.51.100.%d' % (n % 254 + 1),
        }

    def port(self, n, rng):
        ptype = rng.choice((c.PortType.FC, c.PortType.FC, c.PortType.ISCSI,
                            c.PortType.ETH, c.PortType.SAS))
        item = {
            'native_port_id': self.native_id('port', n),
            'name': '%s_port_%d' % (ptype, n),
            'location': 'controller_%d/slot_%d' % (n % 8, n),
            'type': ptype,
            'connection_status': _pick(
                rng, c.PortConnectionStatus.CONNECTED,
                [c.PortConnectionStatus.DISCONNECTED,
                 c.PortConnectionStatus.UNKNOWN], 0.8),
            'health_status': _pick(rng, c.PortHealthStatus.NORMAL,
                                   [c.PortHealthStatus.ABNORMAL], 0.95),
            'native_parent_id': self.ref('controller', n),
            'wwn': None, 'mac_address': None, 'ipv4': None,
            'ipv4_mask': None, 'ipv6': None, 'ipv6_mask': None,
        }
        h = mix(self.seed_int, 0x9047, n)
        if ptype == c.PortType.FC:
            speed = rng.choice((16, 32)) * GBIT
            item.update(logical_type=c.PortLogicalType.FRONTEND,
                        wwn='50' + _hex(h, 14))
        elif ptype == c.PortType.SAS:
            speed = 12 * GBIT
            item.update(logical_type=c.PortLogicalType.BACKEND)
        else:
            speed = rng.choice((10, 25)) * GBIT
            item.update(
                logical_type=(c.PortLogicalType.FRONTEND
                              if ptype == c.PortType.ISCSI
                              else c.PortLogicalType.MANAGEMENT),
                mac_address=':'.join(_hex(h >> (8 * i), 2)
                                     for i in range(6)),
                ipv4='10.%d.%d.%d' % ((h >> 8) % 256, (h >> 16) % 256,
                                      n % 254 + 1),
                ipv4_mask='255.255.255.0',
                ipv6='fd00::%x:%x' % ((h >> 24) % 65536, n),
                ipv6_mask='64')
        item['speed'] = speed
        item['max_speed'] = speed
        return item

    def disk(self, n, rng):
        ptype = rng.choice((c.DiskPhysicalType.SSD,
                            c.DiskPhysicalType.SAS,
                            c.DiskPhysicalType.NL_SAS,
                            c.DiskPhysicalType.NVME_SSD))
        spinning = ptype in (c.DiskPhysicalType.SAS,
                             c.DiskPhysicalType.NL_SAS)
        return {
            'native_disk_id': self.native_id('disk', n),
            'name': 'disk_%d' % n,
            'physical_type': ptype,
            'logical_type': _pick(rng, c.DiskLogicalType.MEMBER,
                                  [c.DiskLogicalType.HOTSPARE,
                                   c.DiskLogicalType.FREE], 0.85),
            'status': _pick(rng, c.DiskStatus.NORMAL,
                            [c.DiskStatus.DEGRADED, c.DiskStatus.ABNORMAL],
                            0.97),
            'location': 'enclosure_%d/slot_%d' % (n // 24, n % 24),
            'native_disk_group_id': 'disk_group_%d' % (n // 12),
            'serial_number': 'FD%s' % _hex(mix(self.seed_int, 0xd15c, n),
                                           12).upper(),
            'manufacturer': 'Fake Disks',
            'model': 'FD-%s' % ptype.upper(),
            'firmware': 'F%d' % rng.randint(100, 999),
            'speed': rng.choice((7200, 10000, 15000)) if spinning else None,
            'capacity': rng.choice((960, 1920, 3840, 7680)) * 1000 ** 3,
            'health_score': rng.randint(80, 100),
        }

    def filesystem(self, n, rng):
        total = rng.randint(1, 50) * TiB
        thin = rng.random() < 0.5
        used = int(total * rng.uniform(0.0, 0.95))
        return {
            'native_filesystem_id': self.native_id('filesystem', n),
            'name': 'fs_%d' % n,
            'type': c.FSType.THIN if thin else c.FSType.THICK,
            'status': _pick(rng, c.FilesystemStatus.NORMAL,
                            [c.FilesystemStatus.FAULTY], 0.95),
            'native_pool_id': self.ref('storage_pool', n),
            'security_mode': rng.choice(c.NASSecurityMode.ALL),
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'compressed': rng.random() < 0.3,
            'deduplicated': rng.random() < 0.3,
            'worm': _pick(rng, c.WORMType.NON_WORM,
                          [c.WORMType.COMPLIANCE, c.WORMType.ENTERPRISE,
                           c.WORMType.AUDIT_LOG], 0.8),
        }

    def _qtree_fs(self, number):
        """Number of the file system holding qtree ``number``."""
        return self.window('filesystem').at(number)

    def qtree(self, n, rng):
        fs = self._qtree_fs(n)
        return {
            'native_qtree_id': self.native_id('qtree', n),
            'name': 'qtree_%d' % n,
            'path': '/fs_%s/qtree_%d' % (fs, n),
            'native_filesystem_id': self.native_id('filesystem', fs),
            'security_mode': rng.choice(c.NASSecurityMode.ALL),
        }

    def quota(self, n, rng):
        qtype = rng.choice(c.QuotaType.ALL)
        hard = rng.randint(1, 1024) * GiB
        files = rng.randint(1000, 1000000)
        qtree = self.window('qtree').at(n) if qtype == c.QuotaType.TREE \
            else None
        fs = self._qtree_fs(qtree) if qtree is not None \
            else self.window('filesystem').at(n)
        return {
            'native_quota_id': self.native_id('quota', n),
            'type': qtype,
            'native_filesystem_id': self.native_id('filesystem', fs),
            'native_qtree_id': self.native_id('qtree', qtree),
            'capacity_hard_limit': hard,
            'capacity_soft_limit': int(hard * 0.9),
            'file_hard_limit': files,
            'file_soft_limit': int(files * 0.9),
            'file_count': rng.randint(0, files),
            'used_capacity': int(hard * rng.random()),
            'user_group_name': (None if qtype == c.QuotaType.TREE
                                else '%s_%d' % (qtype, n)),
        }

    def share(self, n, rng):
        qtree = self.window('qtree').at(n) if n % 2 == 0 else None
        fs = self._qtree_fs(qtree) if qtree is not None \
            else self.window('filesystem').at(n)
        path = ('/fs_%s/qtree_%s' % (fs, qtree) if qtree is not None
                else '/fs_%s' % fs)
        return {
            'native_share_id': self.native_id('share', n),
            'name': 'share_%d' % n,
            'path': path,
            'native_filesystem_id': self.native_id('filesystem', fs),
            'native_qtree_id': self.native_id('qtree', qtree),
            'protocol': rng.choice((c.ShareProtocol.CIFS,
                                    c.ShareProtocol.NFS,
                                    c.ShareProtocol.FTP)),
        }

    def host(self, n, rng):
        return {
            'native_storage_host_id': self.native_id('storage_host', n),
            'name': 'host_%d' % n,
            'description': 'Fake host %d' % n,
            'os_type': rng.choice(c.HostOSTypes.ALL),
            'status': _pick(rng, c.HostStatus.NORMAL,
                            [c.HostStatus.OFFLINE, c.HostStatus.ABNORMAL]),
            'ip_address': '192.0.2.%d' % (n % 254 + 1),
        }

    def initiator_count(self, host_number):
        low, high = parse_range(self.options['fake_initiator_range'])
        return low + mix(self.seed_int, 0x1417, host_number) % (
            high - low + 1)

    def initiators(self):
        """Initiators of every host, in host order."""
        for h in self.window('storage_host'):
            fc = h % 2 == 0
            for j in range(self.initiator_count(h)):
                x = mix(self.seed_int, 0x1417, h, j)
                wwn = ('10' + _hex(x, 14) if fc else
                       'iqn.2024-01.org.example:host-%d-%d' % (h, j))
                yield {
                    'native_storage_host_initiator_id':
                        'storage_host_initiator_%d_%d' % (h, j),
                    'native_storage_host_id':
                        self.native_id('storage_host', h),
                    'name': 'initiator_%d_%d' % (h, j),
                    'description': 'Initiator %d of host %d' % (j, h),
                    'alias': 'alias_%d_%d' % (h, j),
                    'type': (c.InitiatorType.FC if fc
                             else c.InitiatorType.ISCSI),
                    'status': (c.InitiatorStatus.ONLINE if x % 10
                               else c.InitiatorStatus.OFFLINE),
                    'wwn': wwn,
                    'storage_id': self.storage_id,
                }

    def _group(self, kind, n, rng):
        return {
            'native_%s_id' % kind: self.native_id(kind, n),
            'name': '%s_%d' % (kind.replace('storage_', ''), n),
            'description': 'Fake %s %d' % (kind.replace('_', ' '), n),
        }

    def host_group(self, n, rng):
        return self._group('storage_host_group', n, rng)

    def port_group(self, n, rng):
        return self._group('port_group', n, rng)

    def volume_group(self, n, rng):
        return self._group('volume_group', n, rng)

    def host_group_relations(self):
        """Every host but each fourth belongs to one host group."""
        groups = self.window('storage_host_group')
        rows = []
        if not groups:
            return rows
        for h in self.window('storage_host'):
            if h % 4 == 3:
                continue
            rows.append({
                'native_storage_host_group_id':
                    self.native_id('storage_host_group', groups.at(h)),
                'native_storage_host_id': self.native_id('storage_host', h),
                'storage_id': self.storage_id,
            })
        return rows

    def port_group_relations(self):
        """Each front-end port (every port but SAS) is in one port group."""
        groups = self.window('port_group')
        rows = []
        if not groups:
            return rows
        for port in self.stream('port', self.port):
            if port['type'] == c.PortType.SAS:
                continue
            n = int(port['native_port_id'].rsplit('_', 1)[1])
            rows.append({
                'native_port_group_id':
                    self.native_id('port_group', groups.at(n)),
                'native_port_id': port['native_port_id'],
                'storage_id': self.storage_id,
            })
        return rows

    def volume_group_relations(self):
        """Each volume group holds up to VOLUME_GROUP_SIZE volumes."""
        volumes = self.window('volume')
        rows = []
        for g in self.window('volume_group'):
            members = dict.fromkeys(
                volumes.at(g * VOLUME_GROUP_SIZE + k)
                for k in range(min(VOLUME_GROUP_SIZE, len(volumes))))
            for v in members:
                rows.append({
                    'native_volume_group_id':
                        self.native_id('volume_group', g),
                    'native_volume_id': self.native_id('volume', v),
                    'storage_id': self.storage_id,
                })
        return rows

    def masking_view(self, n, rng):
        """Host side: a host group (even views) or a host; volume side: a
        volume group (even views) or a volume; a port group for every
        third view.  A side without candidates is left empty and the view
        is dropped by `masking_views`."""
        hgroups = self.window('storage_host_group')
        vgroups = self.window('volume_group')
        hosts = self.window('storage_host')
        volumes = self.window('volume')
        item = {
            'native_masking_view_id': self.native_id('masking_view', n),
            'name': 'view_%d' % n,
            'description': 'Fake masking view %d' % n,
            'native_storage_host_group_id': None,
            'native_storage_host_id': None,
            'native_volume_group_id': None,
            'native_volume_id': None,
            'native_port_group_id': None,
        }
        if hgroups and (n % 2 == 0 or not hosts):
            item['native_storage_host_group_id'] = self.native_id(
                'storage_host_group', hgroups.at(n))
        elif hosts:
            item['native_storage_host_id'] = self.native_id(
                'storage_host', hosts.at(n))
        if vgroups and (n % 2 == 0 or not volumes):
            item['native_volume_group_id'] = self.native_id(
                'volume_group', vgroups.at(n))
        elif volumes:
            item['native_volume_id'] = self.native_id(
                'volume', volumes.at(n * 13))
        pgroups = self.window('port_group')
        if pgroups and n % 3 == 0:
            item['native_port_group_id'] = self.native_id(
                'port_group', pgroups.at(n))
        return item

    def masking_views(self):
        for view in self.stream('masking_view', self.masking_view):
            host_side = (view['native_storage_host_group_id']
                         or view['native_storage_host_id'])
            volume_side = (view['native_volume_group_id']
                           or view['native_volume_id'])
            if host_side and volume_side:
                yield view

    # -- the storage ----------------------------------------------------

    def storage(self):
        total = used = subscribed = 0
        for pool in self.stream('storage_pool', self.pool):
            total += pool['total_capacity']
            used += pool['used_capacity']
            subscribed += pool['subscribed_capacity']
        return {
            'name': 'fake_driver',
            'description': 'Fake storage system',
            'location': 'HK',
            'status': c.StorageStatus.NORMAL,
            'vendor': 'fake_vendor',
            'model': 'fake_model',
            'serial_number': 'FAKE%s' % _hex(self.seed_int, 12).upper(),
            'firmware_version': '1.0.0',
            'total_capacity': total,
            'used_capacity': used,
            'free_capacity': total - used,
            'raw_capacity': int(total * 1.25),
            'subscribed_capacity': subscribed,
        }
