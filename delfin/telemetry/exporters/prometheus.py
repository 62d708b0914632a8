"""The Prometheus exposition of performance samples, as Delfin names them.

Each series is a gauge ``<resource_type>_<metric>`` (``storage_iops``,
``volume_throughput``, ``storagePool_responseTime``) with the labels
storage_id, storage_name, storage_sn, resource_type, resource_id, type,
unit and value_type, holding the latest sample of the series and its
timestamp.  Memory grows with the number of series, never with history,
and is tens of bytes a series: per storage, the columns of its latest
batch (the labels of each resource once) and arrays of the latest value
and time of each series; the exposition text is written from them as it
is read.  A storage's series are replaced by those of its latest batch (a
series without a new sample keeps its latest one; a resource gone from
the backend disappears with its series) and removed with the storage.

The series are part of the process's prometheus_client registry, so the
API's ``/metrics`` page of the same process shows them beside the
service's own metrics (``delfin-all``); each task node also serves that
registry on ``[PROMETHEUS_EXPORTER] metric_server_ip`` and
``metric_server_port`` (8195; 0 serves none).
"""
import array
import http.server
import operator
import re
import socketserver
import threading

import prometheus_client
from oslo_config import cfg
from oslo_log import log as logging
from prometheus_client.core import GaugeMetricFamily

from delfin.telemetry import exporters
from delfin.telemetry.batch import NONE

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

LABELS = ('storage_id', 'storage_name', 'storage_sn', 'resource_type',
          'resource_id', 'type', 'unit', 'value_type')
_NOT_NAME = re.compile(r'[^a-zA-Z0-9_:]')


def family_name(resource_type, metric):
    name = _NOT_NAME.sub('_', '%s_%s' % (resource_type, metric))
    return name if not name[:1].isdigit() else '_' + name


_EXPOSING = threading.local()


def _escape(value):
    return (value.replace('\\', '\\\\').replace('\n', '\\n')
            .replace('"', '\\"'))


def _number(value):
    if value != value:
        return 'NaN'
    if value in (float('inf'), float('-inf')):
        return '+Inf' if value > 0 else '-Inf'
    return repr(value)


class _Storage(object):
    """The latest sample of every series of one storage: the columns of
    its latest batch (``delfin.telemetry.batch``), shared with it, and per
    series its latest value and time (epoch ms; `NONE` for a series that
    has none yet).  Tens of bytes a series."""

    def __init__(self, batch, value, stamp):
        storage = batch.storage
        self.labels = (storage['id'], storage.get('name') or '',
                       storage.get('serial_number') or '')
        self.shapes = batch.shapes
        self.resources = batch.resources
        self.resource_shape = batch.resource_shape
        self.metric_names = batch.metric_names
        self.resource = batch.series_resource
        self.metric = batch.series_metric
        self.value = value
        self.stamp = stamp
        self.count = len(stamp) - stamp.count(NONE)
        self._getters = [_Getters(s) for s in self.shapes]
        self._families = None

    def label_values(self, r):
        """The label values of resource ``r`` but the storage's:
        (resource_type, resource_id, type, unit, value_type)."""
        return self._getters[self.resource_shape[r]].values(
            self.resources[r])

    def key(self, i):
        """What names series ``i``: (family, label values)."""
        values = self.label_values(self.resource[i])
        return family_name(values[0], self.metric_names[self.metric[i]]), \
            values

    def families(self):
        """{family: series indexes}, in the order the series came."""
        families = self._families
        if families is not None:
            return families
        kinds = {}
        kind_of = array.array('I', [
            kinds.setdefault(self.label_values(r)[0], len(kinds))
            for r in range(len(self.resources))])
        width = max(1, len(self.metric_names))
        buckets = {}
        stamp = self.stamp
        for i, (r, m) in enumerate(zip(self.resource, self.metric)):
            if stamp[i] == NONE:
                continue
            key = kind_of[r] * width + m
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = array.array('I')
            bucket.append(i)
        names = {code: kind for kind, code in kinds.items()}
        families = {}
        for key, bucket in buckets.items():
            name = family_name(names[key // width],
                               self.metric_names[key % width])
            if name in families:
                families[name].extend(bucket)
            else:
                families[name] = bucket
        self._families = families
        return families

    def label_text(self, r):
        """``{storage_id="...",...,value_type="..."} `` of resource
        ``r``."""
        getters = self._getters[self.resource_shape[r]]
        values = self.resources[r]
        if getters.fast is not None:
            five = getters.fast(values)
            if None not in five and '' not in five:
                text = _LABEL_TEXT % (self.labels + five)
                if (text.count('"') == 16 and '\\' not in text
                        and '\n' not in text):
                    return text
        return _LABEL_TEXT % tuple(
            _escape(str(v)) for v in self.labels + getters.values(values))


_LABEL_TEXT = '{%s} ' % ','.join('%s="%%s"' % k for k in LABELS)


class _Getters(object):
    """How the Prometheus label values of a resource are read from its
    values in the batch (`delfin.telemetry.batch.Shape`)."""

    __slots__ = ('_get', 'fast')

    def __init__(self, shape):
        self._get = tuple(shape.getter(k) for k in LABELS[3:])
        where = [shape.position(k) for k in LABELS[3:]]
        self.fast = (operator.itemgetter(*where)
                     if None not in where else None)

    def values(self, values):
        rtype, rid, kind, unit, value_type = (g(values) for g in self._get)
        return (rtype, str(rid), kind or 'RAW', unit or '',
                value_type or 'gauge')


def _latest(batch, old):
    """Per series of ``batch``, its latest value and time; a series
    without a sample in the batch keeps those of ``old`` (the storage's
    `_Storage` before), if it had any.  A series the driver gave more
    than once is exposed once: with the newest of its samples."""
    value, stamp = _latest_each(batch, old)
    if getattr(batch, 'repeated', None):
        if stamp is batch.timestamps:
            stamp = array.array('q', stamp)
        _once(batch, stamp)
    return value, stamp


def _once(batch, stamp):
    """Of the entries of a series given more than once, the one with the
    newest sample keeps it; the others get none (`NONE`)."""
    pairs = batch.repeated
    resources = {r for r, _m in pairs}
    metric = batch.series_metric
    best = {}
    for i, r in enumerate(batch.series_resource):
        if r not in resources:
            continue
        key = (r, metric[i])
        if key not in pairs:
            continue
        j = best.get(key)
        if j is None or stamp[i] > stamp[j]:
            if j is not None:
                stamp[j] = NONE
            best[key] = i
        else:
            stamp[i] = NONE


def _latest_each(batch, old):
    if batch.one_sample_each:
        return batch.values, batch.timestamps
    stamps = batch.timestamps
    numbers = batch.values
    value = array.array('d')
    stamp = array.array('q')
    missing = []
    start = 0
    for i, end in enumerate(batch.series_end):
        if end == start:
            missing.append(i)
            value.append(0.0)
            stamp.append(NONE)
            continue
        best = start
        if end - start > 1:
            best = max(range(start, end), key=stamps.__getitem__)
        value.append(numbers[best])
        stamp.append(stamps[best])
        start = end
    if missing and old is not None:
        new = _Storage(batch, value, stamp)
        wanted = {}
        for i in missing:
            key = new.key(i)
            if i < len(old.stamp) and old.key(i) == key:
                value[i] = old.value[i]
                stamp[i] = old.stamp[i]
            else:
                wanted[key] = i
        if wanted:
            for j in range(len(old.stamp)):
                i = wanted.get(old.key(j))
                if i is not None:
                    value[i] = old.value[j]
                    stamp[i] = old.stamp[j]
    return value, stamp


class SeriesStore(object):
    """The latest sample of every series, by storage (`_Storage`); a
    prometheus_client collector."""

    def __init__(self):
        self._lock = threading.Lock()
        self._storages = {}

    def update(self, batch):
        """The series of ``batch`` replace those of its storage: a series
        without a sample in the batch keeps its latest one, a series
        absent from the batch is gone."""
        sid = batch.storage['id']
        with self._lock:
            old = self._storages.get(sid)
        value, stamp = _latest(batch, old)
        new = _Storage(batch, value, stamp)
        with self._lock:
            self._storages[sid] = new

    def forget(self, storage_id):
        with self._lock:
            self._storages.pop(storage_id, None)

    def series_count(self):
        with self._lock:
            return sum(s.count for s in self._storages.values())

    def _families(self):
        """{family: [(storage, its series indexes)]}."""
        with self._lock:
            storages = list(self._storages.values())
        out = {}
        for storage in storages:
            for name, series in storage.families().items():
                out.setdefault(name, []).append((storage, series))
        return out

    def collect(self):
        if getattr(_EXPOSING, 'active', False):
            return []       # `exposition` writes them itself
        out = []
        for name, parts in self._families().items():
            family = GaugeMetricFamily(
                name, 'Delfin performance metric %s' % name, labels=LABELS)
            for storage, series in parts:
                for i in series:
                    family.add_metric(
                        storage.labels + storage.label_values(
                            storage.resource[i]),
                        storage.value[i],
                        timestamp=storage.stamp[i] / 1000.0)
            out.append(family)
        return out

    def describe(self):
        return []

    def text(self, chunk=4096):
        """The series in the text exposition format (what
        prometheus_client writes for `collect`), as byte chunks of about
        ``chunk`` lines: the exposition of a million series is never
        whole in memory."""
        lines = []
        append = lines.append
        for name, parts in sorted(self._families().items()):
            append('# HELP %s Delfin performance metric %s\n'
                   '# TYPE %s gauge' % (name, name, name))
            for storage, series in parts:
                label_text = storage.label_text
                resource = storage.resource
                value = storage.value
                stamp = storage.stamp
                for i in series:
                    v = value[i]
                    append('%s%s%s %d' % (
                        name, label_text(resource[i]),
                        repr(v) if v - v == 0.0 else _number(v), stamp[i]))
                    if len(lines) >= chunk:
                        append('')
                        yield '\n'.join(lines).encode('utf-8')
                        lines = []
                        append = lines.append
        if lines:
            lines.append('')
            yield '\n'.join(lines).encode('utf-8')


STORE = SeriesStore()
prometheus_client.REGISTRY.register(STORE)


def exposition():
    """The default registry in the text format, as byte chunks: the
    service's metrics through prometheus_client, then the performance
    series written by the store (the same text `collect` would give,
    without building a million sample objects)."""
    _EXPOSING.active = True
    try:
        head = prometheus_client.generate_latest(prometheus_client.REGISTRY)
    finally:
        _EXPOSING.active = False
    yield head
    yield from STORE.text()


CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def do_GET(self):
        if self.path.split('?')[0] not in ('/', '/metrics'):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Type', CONTENT_TYPE)
        self.end_headers()
        for chunk in exposition():
            self.wfile.write(chunk)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


_server_lock = threading.Lock()
_server = None


def _serve():
    """Serve `exposition` on [PROMETHEUS_EXPORTER]'s address, once per
    process; a port already taken is logged, not fatal."""
    global _server
    port = CONF.PROMETHEUS_EXPORTER.metric_server_port
    host = CONF.PROMETHEUS_EXPORTER.metric_server_ip
    with _server_lock:
        if _server is not None or not port:
            return
        try:
            server = _Server((host, port), _Handler)
        except OSError as e:
            LOG.warning("Cannot serve the performance metrics on %s:%s: %s",
                        host, port, e)
            return
        threading.Thread(target=server.serve_forever, daemon=True,
                         name='delfin-perf-exposition').start()
        _server = server
        LOG.info("Performance metrics served on http://%s:%s/metrics",
                 host, port)


def stop_serving():
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        server.shutdown()
        server.server_close()


class PrometheusExporter(exporters.PerformanceExporter):
    name = 'prometheus'

    def start(self):
        _serve()

    def export(self, batch):
        STORE.update(batch)

    def forget(self, storage_id):
        STORE.forget(storage_id)
