"""The Prometheus exposition of performance samples, as Delfin names them.

Each series is a gauge ``<resource_type>_<metric>`` (``storage_iops``,
``volume_throughput``, ``storagePool_responseTime``) with the labels
storage_id, storage_name, storage_sn, resource_type, resource_id, type,
unit and value_type, holding the latest sample of the series and its
timestamp.  Memory grows with the number of series, never with history: a
storage's series are replaced by those of its latest batch (a resource
gone from the backend disappears with its series) and removed with the
storage.

The series are part of the process's prometheus_client registry, so the
API's ``/metrics`` page of the same process shows them beside the
service's own metrics (``delfin-all``); each task node also serves that
registry on ``[PROMETHEUS_EXPORTER] metric_server_ip`` and
``metric_server_port`` (8195; 0 serves none).
"""
import http.server
import re
import socketserver
import threading

import prometheus_client
from oslo_config import cfg
from oslo_log import log as logging
from prometheus_client.core import GaugeMetricFamily

from delfin.telemetry import exporters

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


class SeriesStore(object):
    """The latest sample of every series, by storage; a prometheus_client
    collector.

    Per storage: ``{family: {label values: (value, timestamp s)}}``; the
    label values of one resource are one tuple shared by its families.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._storages = {}

    def update(self, batch):
        storage = batch.storage
        sid = storage['id']
        name = storage.get('name') or ''
        sn = storage.get('serial_number') or ''
        old = self._storages.get(sid, {})
        new = {}
        tuples = {}         # id(labels) -> label values
        families = {}       # (resource type, metric) -> its series
        stamps = {}         # ms -> s
        for m in batch.metrics:
            labels = m.labels
            values = tuples.get(id(labels))
            if values is None:
                values = tuples[id(labels)] = (
                    sid, name, sn, labels.get('resource_type'),
                    str(labels.get('resource_id')),
                    labels.get('type') or 'RAW', labels.get('unit') or '',
                    labels.get('value_type') or 'gauge')
            fkey = (values[3], m.name)
            series = families.get(fkey)
            if series is None:
                family = family_name(values[3], m.name)
                series = families[fkey] = new.setdefault(family, {})
            samples = m.values
            if len(samples) == 1:
                ((ts, value),) = samples.items()
            elif samples:
                ts = max(samples)
                value = samples[ts]
            else:
                kept = old.get(family_name(values[3], m.name), {}).get(
                    values)
                if kept is not None:
                    series[values] = kept
                continue
            seconds = stamps.get(ts)
            if seconds is None:
                seconds = stamps[ts] = ts / 1000.0
            series[values] = (float(value), seconds)
        with self._lock:
            self._storages[sid] = new

    def forget(self, storage_id):
        with self._lock:
            self._storages.pop(storage_id, None)

    def series_count(self):
        with self._lock:
            return sum(len(series) for families in self._storages.values()
                       for series in families.values())

    def _families(self):
        """{family: [series dicts of every storage]}."""
        with self._lock:
            storages = list(self._storages.values())
        out = {}
        for families in storages:
            for name, series in families.items():
                out.setdefault(name, []).append(series)
        return out

    def collect(self):
        if getattr(_EXPOSING, 'active', False):
            return []       # `exposition` writes them itself
        out = []
        for name, parts in self._families().items():
            family = GaugeMetricFamily(
                name, 'Delfin performance metric %s' % name, labels=LABELS)
            for series in parts:
                for labels, (value, ts) in series.items():
                    family.add_metric(labels, value, timestamp=ts)
            out.append(family)
        return out

    def describe(self):
        return []

    def text(self, chunk=4096):
        """The series in the text exposition format (what
        prometheus_client writes for `collect`), as byte chunks of about
        ``chunk`` lines: the exposition of a million series is never
        whole in memory."""
        rendered = {}       # id(label values) -> '{...}'
        stamps = {}         # s -> ' <ms>'
        lines = []
        append = lines.append
        for name, parts in sorted(self._families().items()):
            append('# HELP %s Delfin performance metric %s\n'
                   '# TYPE %s gauge' % (name, name, name))
            for series in parts:
                for labels, (value, ts) in list(series.items()):
                    text = rendered.get(id(labels))
                    if text is None:
                        text = rendered[id(labels)] = '{%s} ' % ','.join(
                            '%s="%s"' % (k, _escape(str(v)))
                            for k, v in zip(LABELS, labels))
                    stamp = stamps.get(ts)
                    if stamp is None:
                        stamp = stamps[ts] = ' %d' % round(ts * 1000)
                    append(name + text + (repr(value) if value - value == 0.0
                                          else _number(value)) + stamp)
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
