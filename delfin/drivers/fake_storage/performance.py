"""Performance of a fake storage: its capabilities and its samples.

Samples are one value per minute (timestamps aligned on the minute) inside
the requested window, for the storage itself and the first resources of
each type in its inventory.  A value is a pure function of the storage,
resource, metric and timestamp, so asking twice for a window gives the
same series; ranges are plausible for the unit (IOPS up to 20,000, MB/s up
to 2,000, ms 0.1-20, KB 4-256, % 0-100).
"""
from delfin.common import constants as c
from delfin.drivers.fake_storage import inventory as inv

INTERVAL_MS = 60 * 1000

RESOURCE_TYPES = (c.ResourceType.STORAGE, c.ResourceType.STORAGE_POOL,
                  c.ResourceType.VOLUME, c.ResourceType.CONTROLLER,
                  c.ResourceType.PORT, c.ResourceType.DISK,
                  c.ResourceType.FILESYSTEM)

# Inventory kind and maker of each resource type but storage.
_KINDS = {
    c.ResourceType.STORAGE_POOL: ('storage_pool', 'pool'),
    c.ResourceType.VOLUME: ('volume', 'volume'),
    c.ResourceType.CONTROLLER: ('controller', 'controller'),
    c.ResourceType.PORT: ('port', 'port'),
    c.ResourceType.DISK: ('disk', 'disk'),
    c.ResourceType.FILESYSTEM: ('filesystem', 'filesystem'),
}

_RANGES = {
    c.MetricUnit.IOPS: (0.0, 20000.0),
    c.MetricUnit.MBS: (0.0, 2000.0),
    c.MetricUnit.MS: (0.1, 20.0),
    c.MetricUnit.KB: (4.0, 256.0),
    c.MetricUnit.PERCENTAGE: (0.0, 100.0),
}

_DESCRIPTIONS = {m.name: m.description for m in vars(c.Metrics).values()
                 if isinstance(m, c.Metric)}


def capabilities():
    """Delfin-shaped performance capabilities of a fake storage."""
    return {
        'is_historic': True,
        'performance_metric_retention_window': 4500,
        'resource_metrics': {
            rtype: {name: {'unit': c.METRIC_UNITS[name],
                           'description': _DESCRIPTIONS[name]}
                    for name in c.CAPABILITY_METRICS[rtype]}
            for rtype in RESOURCE_TYPES
        },
    }


def _resources(inventory, rtype, limit):
    """(resource id, name) pairs of a resource type, at most ``limit``."""
    if rtype == c.ResourceType.STORAGE:
        return [(inventory.storage_id, 'fake_driver')]
    kind, maker = _KINDS[rtype]
    out = []
    id_key = 'native_%s_id' % kind
    for item in inventory.stream(kind, getattr(inventory, maker)):
        out.append((item[id_key], item['name']))
        if len(out) >= limit:
            break
    return out


def timestamps(start_time, end_time):
    """Minute-aligned epoch ms in ``[start_time, end_time]``."""
    first = -(-int(start_time) // INTERVAL_MS) * INTERVAL_MS
    return range(first, int(end_time) + 1, INTERVAL_MS)


def collect(inventory, resource_metrics, start_time, end_time, limit):
    """Samples as ``constants.metric_struct``s, generated one series at a
    time (the metrics of a resource share its labels dict)."""
    stamps = timestamps(start_time, end_time)
    for rtype, wanted in (resource_metrics or {}).items():
        if rtype not in c.CAPABILITY_METRICS:
            continue
        names = [m for m in (wanted or {}) if m in c.CAPABILITY_METRICS[rtype]]
        if not names:
            continue
        for rid, rname in _resources(inventory, rtype, limit):
            rid_int = inv.digest('%s:%s' % (rtype, rid))
            by_unit = {}
            for name in names:
                unit = c.METRIC_UNITS[name]
                low, high = _RANGES[unit]
                name_int = inv.digest(name)
                values = {
                    ts: round(low + (high - low) * (
                        inv.mix(inventory.seed_int, rid_int, name_int, ts)
                        % 1000000) / 1000000.0, 3)
                    for ts in stamps}
                labels = by_unit.get(unit)
                if labels is None:
                    labels = by_unit[unit] = {
                        'storage_id': inventory.storage_id,
                        'resource_type': rtype,
                        'resource_id': rid,
                        'resource_name': rname,
                        'type': 'RAW',
                        'unit': unit,
                        'value_type': 'gauge',
                    }
                yield c.metric_struct(name=name, labels=labels,
                                      values=values)
