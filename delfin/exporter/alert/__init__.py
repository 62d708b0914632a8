"""Alert exporters and the dispatcher that feeds them.

An alert exporter is a stevedore plugin in the namespace
``delfin.alert.exporters``, chosen by ``[DEFAULT] alert_exporters`` (entry
point names such as ``log``, ``webhook``, ``alertmanager``; a plugin's class
name is accepted too, as Delfin configured them).  It receives alert
*changes*: stored alert rows with the storage's ``storage_name``,
``vendor``, ``model`` and ``serial_number`` and a ``change`` key saying
what happened (``new``, ``reopened``, ``cleared``, or ``removed`` for the
open alerts of a storage being removed); a repeat of an open
alert is not a change.

An exporter implements ``export(alerts)`` and raises on failure.  A plugin
written for Delfin, with ``dispatch(ctxt, data)`` instead, works too.

The `Dispatcher` gives each exporter its own bounded queue and thread, so a
slow or failing exporter never blocks the caller (the trap pipeline, the
poller, an API request): `Dispatcher.dispatch` only enqueues.  A failed
export is retried with exponential backoff (``[alert_exporter]``
``max_retries``, ``retry_backoff``, ``retry_backoff_max``); alerts that find
the queue full, or whose retries run out, are dropped and counted in
``delfin_alert_exporter_dropped_total``.  An exporter may also implement
``refresh()``, called every ``refresh_interval`` seconds by the dispatcher
that the alert service starts with ``refresh=True`` (the Alertmanager
exporter re-sends open alerts that way).

One dispatcher serves a process (`get_dispatcher`); it starts on first use
and `shutdown` flushes and stops it.
"""
import atexit
import collections
import threading
import time

import stevedore
from oslo_config import cfg
from oslo_log import log as logging

from delfin.alert_manager import metrics

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

NAMESPACE = 'delfin.alert.exporters'


class AlertExporter(object):
    """Base class of the alert exporters."""

    #: Seconds between two calls of `refresh`; None: never.
    refresh_interval = None

    def __init__(self, name=None):
        self.name = name or type(self).__name__

    def export(self, alerts):
        """Deliver ``alerts`` (a non-empty list of change dicts).

        Raise on failure; the dispatcher retries the same list.
        """
        raise NotImplementedError()

    def refresh(self):
        """Periodic work (see `refresh_interval`); raise on failure."""

    def close(self):
        """Release what the exporter holds."""


class _DelfinStyle(AlertExporter):
    """Wraps a plugin that implements Delfin's ``dispatch(ctxt, data)``."""

    def __init__(self, name, plugin):
        super().__init__(name)
        self.plugin = plugin

    def export(self, alerts):
        from delfin import context
        self.plugin.dispatch(context.get_admin_context(), alerts)


def _instantiate(name, cls):
    obj = cls()
    if isinstance(obj, AlertExporter):
        obj.name = name
        return obj
    if callable(getattr(obj, 'export', None)):
        return obj
    if callable(getattr(obj, 'dispatch', None)):
        return _DelfinStyle(name, obj)
    raise TypeError('%s has neither export() nor dispatch()' % cls)


def load_exporters(names=None):
    """Instances of the exporters named by ``names`` (default: the
    ``alert_exporters`` option).  Unknown or broken plugins are logged and
    skipped, so one bad name never stops alert processing."""
    names = list(CONF.alert_exporters if names is None else names)
    if not names:
        return []
    manager = stevedore.ExtensionManager(
        NAMESPACE, invoke_on_load=False,
        on_load_failure_callback=lambda mgr, ep, err: LOG.error(
            "Alert exporter %s failed to load: %s", ep.name, err))
    by_name = {}
    for ext in manager:
        by_name.setdefault(ext.name, (ext.name, ext.plugin))
        by_name.setdefault(ext.plugin.__name__, (ext.name, ext.plugin))
    exporters = []
    for wanted in names:
        found = by_name.get(wanted)
        if found is None:
            LOG.error("Unknown alert exporter %s (known: %s)", wanted,
                      ', '.join(sorted(e.name for e in manager)) or 'none')
            continue
        try:
            exporters.append(_instantiate(*found))
        except Exception:
            LOG.exception("Alert exporter %s could not be created", wanted)
    return exporters


class _Channel(object):
    """One exporter with its queue and thread."""

    def __init__(self, exporter, options, refresh):
        self.exporter = exporter
        self.name = getattr(exporter, 'name', type(exporter).__name__)
        self.queue = collections.deque()
        self.capacity = options.queue_size
        self.batch_size = options.batch_size
        self.max_retries = options.max_retries
        self.backoff = options.retry_backoff
        self.backoff_max = options.retry_backoff_max
        self.refresh = refresh and getattr(exporter, 'refresh_interval', None)
        self.cond = threading.Condition()
        self.stopping = False
        self.busy = False
        self.thread = threading.Thread(
            target=self._run, daemon=True,
            name='alert-exporter-%s' % self.name)
        metrics.EXPORTER_QUEUE.labels(self.name).set_function(
            lambda: len(self.queue))

    def put(self, alerts):
        with self.cond:
            room = self.capacity - len(self.queue)
            if room < len(alerts):
                dropped = len(alerts) - max(room, 0)
                metrics.EXPORTER_DROPPED.labels(self.name).inc(dropped)
                alerts = alerts[:max(room, 0)]
            if alerts:
                self.queue.extend(alerts)
                self.cond.notify()

    def idle(self):
        with self.cond:
            return not self.queue and not self.busy

    def _next_batch(self, deadline):
        with self.cond:
            while not self.queue and not self.stopping:
                timeout = None if deadline is None else max(
                    deadline - time.monotonic(), 0)
                if timeout == 0:
                    return None
                self.cond.wait(timeout)
            if not self.queue:
                return None
            n = min(self.batch_size, len(self.queue))
            batch = [self.queue.popleft() for _ in range(n)]
            self.busy = True
            return batch

    def _run(self):
        next_refresh = (time.monotonic() + self.refresh
                        if self.refresh else None)
        while True:
            batch = self._next_batch(next_refresh)
            if batch:
                self._deliver(batch)
                with self.cond:
                    self.busy = False
            elif self.stopping:
                return
            if next_refresh is not None and time.monotonic() >= next_refresh:
                self._attempt(self.exporter.refresh, 'refresh')
                next_refresh = time.monotonic() + self.refresh

    def _deliver(self, batch):
        if self._attempt(lambda: self.exporter.export(batch), len(batch)):
            metrics.EXPORTER_SENT.labels(self.name).inc(len(batch))
        else:
            metrics.EXPORTER_DROPPED.labels(self.name).inc(len(batch))

    def _attempt(self, fn, what):
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            try:
                fn()
                return True
            except Exception as exc:
                metrics.EXPORTER_FAILURES.labels(self.name).inc()
                if attempt == self.max_retries or self.stopping:
                    LOG.error("Alert exporter %s failed (%s), giving up "
                              "after %d attempt(s): %s", self.name, what,
                              attempt + 1, exc)
                    return False
                LOG.warning("Alert exporter %s failed (%s), retrying in "
                            "%.1f s: %s", self.name, what, delay, exc)
                with self.cond:
                    self.cond.wait_for(lambda: self.stopping, delay)
                delay = min(delay * 2,
                            self.backoff_max)
        return False

    def stop(self, timeout):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(timeout)
        try:
            self.exporter.close()
        except Exception:
            LOG.exception("Alert exporter %s failed to close", self.name)


class Dispatcher(object):
    """Hands alert changes to every configured exporter, never blocking."""

    def __init__(self, exporters=None, refresh=False, options=None):
        if exporters is None:
            exporters = load_exporters()
        options = options or CONF.alert_exporter
        self._channels = [_Channel(e, options, refresh) for e in exporters]
        for channel in self._channels:
            channel.thread.start()

    @property
    def active(self):
        """Whether any exporter is configured (else changes need not be
        collected at all)."""
        return bool(self._channels)

    @property
    def exporters(self):
        return [c.exporter for c in self._channels]

    def dispatch(self, alerts):
        """Queue ``alerts`` (change dicts) for every exporter."""
        if not alerts:
            return
        alerts = list(alerts)
        for channel in self._channels:
            channel.put(alerts)

    def flush(self, timeout=10.0):
        """Wait until every queue is empty; True if it happened in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(c.idle() for c in self._channels):
                return True
            time.sleep(0.01)
        return all(c.idle() for c in self._channels)

    def stop(self, timeout=10.0):
        """Deliver what is queued (within ``timeout``), then stop."""
        self.flush(timeout)
        for channel in self._channels:
            channel.stop(max(timeout, 0.1))


_lock = threading.Lock()
_dispatcher = None
_atexit_registered = False


def get_dispatcher():
    """The process's dispatcher, created on first use (and flushed when
    the process exits)."""
    global _dispatcher, _atexit_registered
    if _dispatcher is None:
        with _lock:
            if _dispatcher is None:
                _dispatcher = Dispatcher()
                if not _atexit_registered:
                    atexit.register(shutdown)
                    _atexit_registered = True
    return _dispatcher


def set_dispatcher(dispatcher):
    """Use ``dispatcher`` in this process; returns the previous one."""
    global _dispatcher
    with _lock:
        previous, _dispatcher = _dispatcher, dispatcher
    return previous


def dispatch(alerts):
    """Queue alert changes for the process's exporters."""
    if alerts:
        get_dispatcher().dispatch(alerts)


def shutdown(timeout=10.0):
    """Flush and stop the process's dispatcher (a new one starts on the
    next use)."""
    previous = set_dispatcher(None)
    if previous is not None:
        previous.stop(timeout)
