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
import re
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


class SeriesStore(object):
    """The latest sample of every series, by storage; a prometheus_client
    collector."""

    def __init__(self):
        self._lock = threading.Lock()
        # storage id -> {(family, label values): (value, timestamp s)}
        self._storages = {}

    def update(self, batch):
        storage = batch.storage
        old = self._storages.get(storage['id'], {})
        new = {}
        for m in batch.metrics:
            labels = m.labels
            rtype = labels.get('resource_type')
            key = (family_name(rtype, m.name),
                   (storage['id'], storage.get('name') or '',
                    storage.get('serial_number') or '', rtype,
                    str(labels.get('resource_id')),
                    labels.get('type') or 'RAW', labels.get('unit') or '',
                    labels.get('value_type') or 'gauge'))
            if m.values:
                ts = max(m.values)
                new[key] = (float(m.values[ts]), ts / 1000.0)
            elif key in old:
                new[key] = old[key]
        with self._lock:
            self._storages[storage['id']] = new

    def forget(self, storage_id):
        with self._lock:
            self._storages.pop(storage_id, None)

    def series_count(self):
        with self._lock:
            return sum(len(s) for s in self._storages.values())

    def collect(self):
        with self._lock:
            storages = list(self._storages.values())
        families = {}
        for series in storages:
            for (name, labels), (value, ts) in series.items():
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(
                        name, 'Delfin performance metric %s' % name,
                        labels=LABELS)
                family.add_metric(labels, value, timestamp=ts)
        return list(families.values())

    def describe(self):
        return []


STORE = SeriesStore()
prometheus_client.REGISTRY.register(STORE)

_server_lock = threading.Lock()
_server = None


def _serve():
    """Serve the registry on [PROMETHEUS_EXPORTER]'s address, once per
    process; a port already taken is logged, not fatal."""
    global _server
    port = CONF.PROMETHEUS_EXPORTER.metric_server_port
    host = CONF.PROMETHEUS_EXPORTER.metric_server_ip
    with _server_lock:
        if _server is not None or not port:
            return
        try:
            started = prometheus_client.start_http_server(port, addr=host)
        except OSError as e:
            LOG.warning("Cannot serve the performance metrics on %s:%s: %s",
                        host, port, e)
            return
        _server = started[0] if isinstance(started, tuple) else started
        LOG.info("Performance metrics served on http://%s:%s/metrics",
                 host, port)


def stop_serving():
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None and hasattr(server, 'shutdown'):
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
