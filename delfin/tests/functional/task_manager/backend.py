"""A storage backend whose inventory a test sets, behind the methods of the
driver facade the sync engine calls (get_storage, list_resources,
list_grouped_resources)."""
import copy

from delfin import exception
from delfin.resources import registry


class Backend(object):
    """``items[kind_name]`` is what the driver lists (absent: the kind is
    not supported); ``errors[kind_name or 'storage']`` is raised instead;
    ``hooks[kind_name]`` is called with the item index before each item is
    produced (to act in the middle of a listing)."""

    def __init__(self, storage=None, items=None):
        self.storage = storage or {
            'name': 'array', 'vendor': 'fake_storage', 'model': 'fake_driver',
            'serial_number': 'SN-1', 'status': 'normal',
            'total_capacity': 1000, 'used_capacity': 400,
            'free_capacity': 600}
        self.items = items or {}
        self.errors = {}
        self.hooks = {}
        self.calls = []

    def get_storage(self, context, storage_id):
        self.calls.append('storage')
        if 'storage' in self.errors:
            raise self.errors['storage']
        return dict(self.storage)

    def _stream(self, name):
        hook = self.hooks.get(name)
        for index, item in enumerate(copy.deepcopy(self.items[name])):
            if hook is not None:
                hook(index)
            yield item

    def list_resources(self, context, storage_id, kind):
        name = kind if isinstance(kind, str) else kind.name
        self.calls.append(name)
        if name in self.errors:
            raise self.errors[name]
        if name not in self.items:
            raise exception.DriverNotSupported(name)
        return self._stream(name)

    def list_grouped_resources(self, context, storage_id, kind):
        group = registry.by_name(kind if isinstance(kind, str) else kind.name)
        relation = registry.by_name(group.relation.kind)
        self.calls.append(group.name)
        if group.name in self.errors:
            raise self.errors[group.name]
        if group.name not in self.items:
            raise exception.DriverNotSupported(group.name)
        return {group.name: list(self._stream(group.name)),
                relation.name: list(self._stream(relation.name))
                if relation.name in self.items else []}


def volumes(count, start=0, **values):
    out = []
    for n in range(start, start + count):
        item = {'native_volume_id': 'vol-%05d' % n, 'name': 'volume %d' % n,
                'status': 'available', 'type': 'thin',
                'native_storage_pool_id': 'pool-%d' % (n % 2),
                'total_capacity': 100 * n, 'used_capacity': 10 * n,
                'free_capacity': 90 * n, 'compressed': n % 2 == 0,
                'deduplicated': False}
        item.update(values)
        out.append(item)
    return out


def pools(count):
    return [{'native_storage_pool_id': 'pool-%d' % n, 'name': 'pool %d' % n,
             'status': 'normal', 'storage_type': 'block',
             'total_capacity': 1000, 'used_capacity': 10 * n,
             'free_capacity': 1000 - 10 * n} for n in range(count)]


def ports(count):
    return [{'native_port_id': 'port-%d' % n, 'name': 'port %d' % n,
             'type': 'fc', 'logical_type': 'frontend',
             'connection_status': 'connected', 'health_status': 'normal',
             'native_parent_id': 'ctl-%d' % (n % 2), 'speed': 16 * 10 ** 9,
             'wwn': '50:00:00:00:00:00:%02x:%02x' % (n // 256, n % 256)}
            for n in range(count)]


def disks(count):
    return [{'native_disk_id': 'disk-%d' % n, 'name': 'disk %d' % n,
             'physical_type': 'ssd', 'logical_type': 'member',
             'status': 'normal', 'location': 'enclosure 0 slot %d' % n,
             'capacity': 960 * 10 ** 9, 'speed': 0}
            for n in range(count)]
