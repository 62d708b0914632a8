"""Performance exporters: where collected samples go.

An exporter is a stevedore plugin of namespace
``delfin.performance.exporters`` (``[DEFAULT] performance_exporters``
selects them by entry point name; Delfin's class names are accepted too).
It subclasses `PerformanceExporter` and implements ``export(batch)`` (a
`Batch`: the columns of one window of one storage, and ``batch.metrics``,
the same series as ``constants.metric_struct``s made as they are read)
and, when it keeps per-storage state, ``forget(storage_id)``.

The `Dispatcher` gives each exporter a thread and a bounded queue: a
collection hands its batch over without waiting, a slow or failing
exporter delays nothing but itself, and a batch that finds an exporter's
queue full is dropped for that exporter and counted
(``delfin_performance_samples_dropped_total``).  Forgetting a storage is
never dropped: it is queued behind the batches already there, in order.
"""
import collections
import threading

import stevedore
from oslo_config import cfg
from oslo_log import log as logging
from prometheus_client import Counter

from delfin.telemetry.batch import Batch  # noqa: F401  (the exporters' API)

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

NAMESPACE = 'delfin.performance.exporters'

# Delfin's [DEFAULT] performance_exporters names.
DELFIN_NAMES = {
    'PerformanceExporterPrometheus': 'prometheus',
    'PerformanceExporterKafka': 'kafka',
    'PerformanceExporterExample': None,
}

EXPORTED = Counter('delfin_performance_samples_exported',
                   'Performance samples handed to each exporter.',
                   ['exporter'])
DROPPED = Counter('delfin_performance_samples_dropped',
                  'Performance samples an exporter lost: its queue was '
                  'full or it failed.', ['exporter'])


class PerformanceExporter(object):
    """Base of the exporters; see the module documentation."""

    name = None

    def start(self):
        pass

    def stop(self):
        pass

    def export(self, batch):
        raise NotImplementedError()

    def forget(self, storage_id):
        pass


def selected_names(names=None):
    """Entry point names of ``[DEFAULT] performance_exporters``."""
    out = []
    for name in CONF.performance_exporters if names is None else names:
        name = DELFIN_NAMES.get(name, name)
        if name and name not in out:
            out.append(name)
    return out


def load(names=None):
    """Instances of the selected exporters; one that fails to load is
    logged and left out."""
    exporters = []
    for name in selected_names(names):
        try:
            mgr = stevedore.DriverManager(NAMESPACE, name,
                                          invoke_on_load=True)
        except Exception as e:
            LOG.error("Performance exporter %r cannot be loaded: %s",
                      name, e)
            continue
        exporter = mgr.driver
        exporter.name = exporter.name or name
        exporters.append(exporter)
    return exporters


_FORGET = object()


class _Lane(object):
    """One exporter, its thread and its queue."""

    def __init__(self, exporter, limit):
        self.exporter = exporter
        self.limit = limit
        self._items = collections.deque()
        self._batches = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = False
        self._thread = threading.Thread(
            target=self._run, daemon=True,
            name='delfin-perf-export-%s' % exporter.name)

    def start(self):
        self.exporter.start()
        self._thread.start()

    def offer(self, batch):
        with self._cond:
            if self._batches >= self.limit or self._stopping:
                DROPPED.labels(self.exporter.name).inc(batch.sample_count)
                return False
            self._items.append(batch)
            self._batches += 1
            self._cond.notify()
            return True

    def forget(self, storage_id):
        with self._cond:
            self._items.append((_FORGET, storage_id))
            self._cond.notify()

    def idle(self):
        with self._cond:
            return not self._items and not self._busy

    def stop(self, timeout=None):
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
        self.exporter.stop()

    def _run(self):
        while True:
            with self._cond:
                while not self._items and not self._stopping:
                    self._cond.wait()
                if not self._items:
                    return
                item = self._items.popleft()
                if isinstance(item, Batch):
                    self._batches -= 1
                self._busy = True
            try:
                self._handle(item)
            finally:
                with self._cond:
                    self._busy = False

    def _handle(self, item):
        name = self.exporter.name
        if isinstance(item, Batch):
            try:
                self.exporter.export(item)
            except Exception:
                LOG.exception("Performance exporter %s failed on %d "
                              "samples of storage %s", name,
                              item.sample_count, item.storage['id'])
                DROPPED.labels(name).inc(item.sample_count)
            else:
                EXPORTED.labels(name).inc(item.sample_count)
            return
        try:
            self.exporter.forget(item[1])
        except Exception:
            LOG.exception("Performance exporter %s could not forget "
                          "storage %s", name, item[1])


class Dispatcher(object):
    """Fans batches out to the exporters; see the module documentation."""

    def __init__(self, exporters=None, queue_limit=None):
        self.exporters = load() if exporters is None else list(exporters)
        limit = queue_limit or CONF.performance_exporter_queue
        self._lanes = [_Lane(e, limit) for e in self.exporters]

    def start(self):
        for lane in self._lanes:
            lane.start()

    def stop(self, timeout=None):
        for lane in self._lanes:
            lane.stop(timeout)

    def publish(self, batch):
        """Hand ``batch`` to every exporter; returns how many took it."""
        return sum(1 for lane in self._lanes if lane.offer(batch))

    def forget(self, storage_id):
        for lane in self._lanes:
            lane.forget(storage_id)

    def idle(self):
        """True once every exporter has handled all it was given."""
        return all(lane.idle() for lane in self._lanes)
