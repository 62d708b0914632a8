"""The task-node component that collects performance samples.

Every ``[telemetry] performance_check_interval`` seconds it looks at the
storages this node owns (``coordination.owns``: tooz partitioning on
several task nodes, all of them in ``delfin-all``) and starts, in a thread
of its own, the collection of each storage whose window is due
(`delfin.telemetry.windows`).  A collection:

1. builds the storage's plan from its driver's capabilities
   (`delfin.telemetry.plan`; a driver without metrics is skipped, an
   invalid answer is recorded as the storage's error, naming the driver);
2. asks the driver for the window (``collect_perf_metrics(context,
   storage_id, resource_metrics, start_time, end_time)``, a list or any
   iterable of ``metric_struct``, a generator included) and reads its
   answer into a columnar `delfin.telemetry.batch.Batch` as it comes, never
   holding it whole; both are cut off after ``[telemetry]
   performance_collection_timeout`` seconds: a driver that hangs, before
   answering or in the middle of its samples, only holds up its own
   storage, whose next window waits until the hung call returns;
3. on the way, drops the samples it already passed on (windows overlap by
   ``performance_timestamp_overlap``): per series, whatever is not newer
   than the newest sample passed on (`delfin.telemetry.batch.Seen`, kept
   for the series of the last window), and for a series not seen (after
   a restart) whatever is not newer than the end of the last window
   collected;
4. adds the storage's labels and hands the batch to the exporters
   (`delfin.telemetry.exporters.Dispatcher`), which never makes it wait;
5. records the window (`delfin.telemetry.state`): success moves
   ``collected_until``; a failure leaves it, so the window is asked for
   again after ``performance_retry_interval`` (or the driver's
   ``failed_job_collect_interval``) for as long as the backend keeps that
   history; what the backend no longer has is counted as lost.

Nothing is collected twice at once for a storage, and a storage another
node owns, or that was removed, is forgotten (its series leave the
exporters).
"""
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging
from prometheus_client import Counter

from delfin import context as delfin_context
from delfin import coordination
from delfin.drivers import api as driver_api
from delfin.drivers import capabilities
from delfin.telemetry import batch as batch_mod
from delfin.telemetry import exporters
from delfin.telemetry import plan as plan_mod
from delfin.telemetry import state
from delfin.telemetry import windows

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

WINDOWS = Counter('delfin_performance_windows',
                  'Performance collection windows by result (collected, '
                  'failed, lost).', ['result'])


_DEFAULT_LABELS = {'type': 'RAW', 'value_type': 'gauge'}


class CollectionTimeout(Exception):
    pass


def _call(fn, timeout, name):
    """``fn()`` in a thread of its own; raises `CollectionTimeout` after
    ``timeout`` seconds (the thread goes on) and returns (result, thread).
    """
    outcome = {}

    def run():
        try:
            outcome['result'] = fn()
        except BaseException as e:  # handed to the caller
            outcome['error'] = e

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise CollectionTimeout(thread)
    if 'error' in outcome:
        raise outcome['error']
    return outcome['result']


class PerformanceCollector(object):
    """See the module documentation.

    :param owns: ``owns(storage_id) -> bool`` (default: this node's share
        of the task group).
    :param clock: seconds since the epoch; tests pass their own.
    :param dispatcher: where batches go (default: the configured
        exporters).
    """

    name = 'performance-collection'

    def __init__(self, owns=None, clock=time.time, dispatcher=None,
                 driver=None, check_interval=None, timeout=None):
        self.owns = owns or coordination.owns
        self.clock = clock
        self.dispatcher = (exporters.Dispatcher() if dispatcher is None
                           else dispatcher)
        self.driver = driver or driver_api.API()
        self.check_interval = (
            CONF.telemetry.performance_check_interval
            if check_interval is None else check_interval)
        self.timeout = (CONF.telemetry.performance_collection_timeout
                        if timeout is None else timeout)
        self._lock = threading.Lock()
        self._busy = {}         # storage id -> collection thread
        self._hung = {}         # storage id -> driver thread cut off
        self._retry_at = {}     # storage id -> epoch s of the next try
        self._seen = {}         # storage id -> its batch.Seen
        self._plans = {}        # storage id -> its last plan
        self._known = set()     # storages whose series were exported
        self._stop = threading.Event()
        self._thread = None

    # -- component ------------------------------------------------------

    def start(self):
        self._stop.clear()
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._loop, name='delfin-perf-collector', daemon=True)
        self._thread.start()

    def stop(self, timeout=None):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            running = list(self._busy.values())
        for thread in running:
            thread.join(timeout)
        self.dispatcher.stop(timeout)

    def alive(self):
        return self._thread is not None and self._thread.is_alive()

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                LOG.exception("Performance collection check failed")
            self._stop.wait(self.check_interval)

    # -- scheduling -----------------------------------------------------

    def tick(self, wait=False):
        """Start the collections that are due; returns their storage ids.
        ``wait`` runs them to the end before returning (tests)."""
        now = self.clock()
        storages = state.storages()
        records = state.all_records()
        present = set()
        started = []
        for storage in storages:
            sid = storage['id']
            present.add(sid)
            if not self.owns(sid):
                self._forget(sid)
                continue
            record = records.get(sid) or {}
            if not record.get('enabled', True):
                self._forget(sid)
                continue
            if self._retry_at.get(sid, 0) > now:
                continue
            plan = self._plans.get(sid)
            every = record.get('interval') or (
                plan.interval if plan is not None
                else CONF.telemetry.performance_collection_interval)
            due = windows.due(int(now * 1000),
                              record.get('collected_until'), every)
            if due and self._begin(storage, record, wait):
                started.append(sid)
        for sid in list(self._known | set(self._seen)):
            if sid not in present:
                self._forget(sid)
        if wait:
            self.wait_idle()
        return started

    def _begin(self, storage, record, wait):
        sid = storage['id']
        with self._lock:
            if sid in self._busy:
                return False
            hung = self._hung.get(sid)
            if hung is not None:
                if hung.is_alive():
                    return False
                del self._hung[sid]
            thread = threading.Thread(
                target=self._run, args=(storage, record),
                name='delfin-perf-%s' % sid[:8], daemon=True)
            self._busy[sid] = thread
        thread.start()
        return True

    def wait_idle(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = list(self._busy.values())
            if not threads:
                return
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() > deadline:
                raise AssertionError('collections still running')

    def _run(self, storage, record):
        sid = storage['id']
        try:
            self.collect(storage, record)
        except Exception:
            LOG.exception("Performance collection of storage %s failed",
                          sid)
        finally:
            with self._lock:
                self._busy.pop(sid, None)

    def _forget(self, storage_id):
        self._seen.pop(storage_id, None)
        self._plans.pop(storage_id, None)
        self._retry_at.pop(storage_id, None)
        if storage_id in self._known:
            self._known.discard(storage_id)
            self.dispatcher.forget(storage_id)

    # -- one collection ---------------------------------------------------

    def collect(self, storage, record=None):
        """Collect the due window of ``storage`` now; returns a dict of
        what happened (``result``: collected, failed, skipped)."""
        sid = storage['id']
        record = record if record is not None else (state.get(sid) or {})
        ctx = delfin_context.get_admin_context()
        name = '%s %s' % (storage.get('vendor'), storage.get('model'))
        now_s = self.clock()
        now = int(now_s * 1000)
        try:
            driver = self.driver.get_driver(ctx, sid)
            spec = capabilities.performance_spec(driver, ctx)
            plan = plan_mod.build(spec, name, record.get('interval'))
        except Exception as e:
            return self._failed(sid, now_s, None, e, 0,
                                CONF.telemetry.performance_retry_interval)
        if plan.empty:
            # Nothing to collect: look again one interval later, in case
            # the driver's capabilities change.
            self._retry_at[sid] = now_s + plan.interval
            return {'result': 'skipped', 'reason': 'no metrics'}
        previous = self._plans.get(sid)
        if previous is not None and previous.digest != plan.digest:
            LOG.info("Performance collection plan of storage %s changed "
                     "(%d metrics, every %d s)", sid, plan.metric_count,
                     plan.interval)
        self._plans[sid] = plan
        collected_until = record.get('collected_until')
        window = windows.next_window(
            now, collected_until, plan,
            CONF.telemetry.performance_timestamp_overlap)
        try:
            # The answer is read in the thread that is cut off: a driver
            # that hangs in the middle of its samples is cut off too.
            batch, seen = _call(
                lambda: self._batch(
                    storage, self.driver.collect_perf_metrics(
                        ctx, sid, plan.resource_metrics, window.start,
                        window.end),
                    window, collected_until, plan),
                self.timeout, 'delfin-perf-driver-%s' % sid[:8])
        except CollectionTimeout as e:
            with self._lock:
                self._hung[sid] = e.args[0]
            error = ('driver %s did not answer within %s s'
                     % (name, self.timeout))
            return self._failed(sid, now_s, window, error, window.lost,
                                plan.retry_interval)
        except Exception as e:
            return self._failed(sid, now_s, window, e, window.lost,
                                plan.retry_interval)
        self._seen[sid] = seen
        self.dispatcher.publish(batch)
        self._known.add(sid)
        samples = batch.sample_count
        state.record_success(sid, window.end, samples, window.lost)
        self._retry_at.pop(sid, None)
        WINDOWS.labels('collected').inc()
        if window.lost:
            WINDOWS.labels('lost').inc(window.lost)
            LOG.warning("Performance of storage %s: %d window(s) older "
                        "than the backend's history were lost", sid,
                        window.lost)
        return {'result': 'collected', 'start': window.start,
                'end': window.end, 'samples': samples,
                'lost': window.lost}

    def _failed(self, sid, now_s, window, error, lost, retry):
        self._retry_at[sid] = now_s + retry
        WINDOWS.labels('failed').inc()
        if lost:
            WINDOWS.labels('lost').inc(lost)
        LOG.warning("Performance collection of storage %s failed%s: %s; "
                    "tried again in %s s", sid,
                    '' if window is None else ' for [%d, %d]'
                    % (window.start, window.end), error, retry)
        try:
            state.record_failure(sid, error, lost)
        except Exception as e:
            LOG.warning("Could not record the failed window of storage "
                        "%s: %s", sid, e)
        return {'result': 'failed', 'error': str(error), 'lost': lost}

    def _batch(self, storage, metrics, window, collected_until, plan):
        """The samples of ``metrics`` (any iterable of ``metric_struct``,
        read as it comes) not passed on yet, with the storage's labels, as
        a `batch.Batch`; and the `batch.Seen` of the storage once it is
        passed on.

        Per series, what is not newer than the newest sample passed on is
        dropped; a series not seen yet (a restart) keeps only what is newer
        than the end of the last window collected.
        """
        sid = storage['id']
        extra = {'storage_id': sid, 'storage_name': storage.get('name'),
                 'storage_sn': storage.get('serial_number'),
                 'name': storage.get('name'),
                 'serial_number': storage.get('serial_number')}
        builder = batch_mod.Builder(
            extra=extra, defaults=_DEFAULT_LABELS, seen=self._seen.get(sid),
            floor=collected_until, wanted=plan.resource_metrics)
        builder.add_all(metrics)
        if builder.rejected:
            LOG.warning("Performance of storage %s: %d sample(s) whose "
                        "time or value is not a number were left out", sid,
                        builder.rejected)
        return (builder.batch(storage, window.start, window.end),
                builder.seen)
