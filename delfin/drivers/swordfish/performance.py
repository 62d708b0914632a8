"""Performance of pools and volumes from Swordfish I/O statistics.

Swordfish reports I/O as cumulative counters (``IOStatistics``: requests,
KiB and time spent, for reads and writes, and cache hits), inline in a pool
or volume or in the resource its ``Metrics`` link names.  A rate needs two
readings: the driver keeps the last reading of each resource and turns the
difference into IOPS, MB/s, response times, cache hit ratios and I/O sizes
over the time between the readings.  The first reading of a resource (and
one after its counters went back, as after a restart) gives no sample.

Counter names: ``ReadIORequests``, ``WriteIORequests``, ``ReadIOKiBytes``,
``WriteIOKiBytes``, ``ReadHitIORequests``, ``WriteHitIORequests``,
``ReadIORequestTime``, ``WriteIORequestTime`` (ISO 8601 durations).
"""
import re
import threading

from delfin.common import constants as c

KIB_PER_MB = 1024.0

POOL_METRICS = ('iops', 'readIops', 'writeIops', 'throughput',
                'readThroughput', 'writeThroughput', 'responseTime')
VOLUME_METRICS = POOL_METRICS + (
    'readResponseTime', 'writeResponseTime', 'cacheHitRatio',
    'readCacheHitRatio', 'writeCacheHitRatio', 'ioSize', 'readIoSize',
    'writeIoSize')
METRICS = {c.ResourceType.STORAGE_POOL: POOL_METRICS,
           c.ResourceType.VOLUME: VOLUME_METRICS}

_DESCRIPTIONS = {
    'iops': 'Read and write requests per second',
    'readIops': 'Read requests per second',
    'writeIops': 'Write requests per second',
    'throughput': 'Data read and written per second',
    'readThroughput': 'Data read per second',
    'writeThroughput': 'Data written per second',
    'responseTime': 'Average time of a read or write request',
    'readResponseTime': 'Average time of a read request',
    'writeResponseTime': 'Average time of a write request',
    'cacheHitRatio': 'Share of requests served from cache',
    'readCacheHitRatio': 'Share of reads served from cache',
    'writeCacheHitRatio': 'Share of writes served from cache',
    'ioSize': 'Average size of a request',
    'readIoSize': 'Average size of a read',
    'writeIoSize': 'Average size of a write',
}

_DURATION = re.compile(
    r'^P(?:(?P<d>\d+(?:\.\d+)?)D)?T?(?:(?P<h>\d+(?:\.\d+)?)H)?'
    r'(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?$')


def resource_metrics(types):
    """``{resource_type: {metric: {unit, description}}}`` for ``types``."""
    return {rtype: {name: {'unit': c.METRIC_UNITS[name],
                           'description': _DESCRIPTIONS[name]}
                    for name in METRICS[rtype]}
            for rtype in types if rtype in METRICS}


def duration_ms(value):
    """Milliseconds of an ISO 8601 duration (``PT18S``; the ``T`` may be
    missing, as in SNIA's mockups), or of a number of seconds; None when
    it is neither."""
    if isinstance(value, (int, float)):
        return float(value) * 1000.0
    match = _DURATION.match(str(value or '').strip())
    if not match or not any(match.groupdict().values()):
        return None
    parts = {k: float(v or 0) for k, v in match.groupdict().items()}
    seconds = (parts['d'] * 86400 + parts['h'] * 3600 + parts['m'] * 60
               + parts['s'])
    return seconds * 1000.0


def offers_statistics(resource):
    """Whether a pool or volume carries or links I/O statistics."""
    return isinstance(resource.get('IOStatistics'), dict) or \
        isinstance(resource.get('Metrics'), dict)


def io_statistics(client, resource):
    """The ``IOStatistics`` of a pool or volume (inline, else from its
    ``Metrics`` resource), or None."""
    stats = resource.get('IOStatistics')
    if isinstance(stats, dict):
        return stats
    link = (resource.get('Metrics') or {}).get('@odata.id')
    if not link:
        return None
    metrics = client.get(link) or {}
    stats = metrics.get('IOStatistics')
    return stats if isinstance(stats, dict) else None


def _counters(stats):
    out = {}
    for key in ('ReadIORequests', 'WriteIORequests', 'ReadIOKiBytes',
                'WriteIOKiBytes', 'ReadHitIORequests', 'WriteHitIORequests'):
        try:
            out[key] = float(stats.get(key) or 0)
        except (TypeError, ValueError):
            out[key] = 0.0
    for key in ('ReadIORequestTime', 'WriteIORequestTime'):
        out[key] = duration_ms(stats.get(key)) or 0.0
    return out


def _ratio(part, whole, scale=1.0):
    return part / whole * scale if whole > 0 else 0.0


def rates(before, after, seconds):
    """Metric values from two readings ``seconds`` apart, or None when the
    counters went back (a reset)."""
    delta = {k: after[k] - before[k] for k in after}
    if any(v < 0 for v in delta.values()) or seconds <= 0:
        return None
    reads, writes = delta['ReadIORequests'], delta['WriteIORequests']
    read_kib, write_kib = delta['ReadIOKiBytes'], delta['WriteIOKiBytes']
    read_ms, write_ms = delta['ReadIORequestTime'], \
        delta['WriteIORequestTime']
    read_hits = min(delta['ReadHitIORequests'], reads)
    write_hits = min(delta['WriteHitIORequests'], writes)
    return {
        'iops': (reads + writes) / seconds,
        'readIops': reads / seconds,
        'writeIops': writes / seconds,
        'throughput': (read_kib + write_kib) / KIB_PER_MB / seconds,
        'readThroughput': read_kib / KIB_PER_MB / seconds,
        'writeThroughput': write_kib / KIB_PER_MB / seconds,
        'responseTime': _ratio(read_ms + write_ms, reads + writes),
        'readResponseTime': _ratio(read_ms, reads),
        'writeResponseTime': _ratio(write_ms, writes),
        'cacheHitRatio': _ratio(read_hits + write_hits, reads + writes,
                                100.0),
        'readCacheHitRatio': _ratio(read_hits, reads, 100.0),
        'writeCacheHitRatio': _ratio(write_hits, writes, 100.0),
        'ioSize': _ratio(read_kib + write_kib, reads + writes),
        'readIoSize': _ratio(read_kib, reads),
        'writeIoSize': _ratio(write_kib, writes),
    }


class Readings(object):
    """The last counter reading of each resource, to make rates."""

    def __init__(self):
        self._last = {}
        self._lock = threading.Lock()

    def update(self, key, now_ms, stats):
        """Store a reading; return the rates since the previous one (None
        for the first reading or after a reset)."""
        counters = _counters(stats)
        with self._lock:
            previous = self._last.get(key)
            self._last[key] = (now_ms, counters)
        if previous is None:
            return None
        return rates(previous[1], counters, (now_ms - previous[0]) / 1000.0)
