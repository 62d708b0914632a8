"""The task node's RPC endpoint: receives what `TaskAPI` casts and runs it.

Each message is handed to a bounded pool of worker threads
(``[sync] workers``), so a slow backend never blocks the RPC server's own
threads and at most that many storages are worked on at once by this node.
The work itself belongs to other modules: the sync engine runs sync jobs,
the driver facade forgets removed storages, the alert poller reconciles a
storage's alerts.  Results are recorded by that work (job rows, alert rows),
never returned: every method here is reached by a cast.
"""
import concurrent.futures
import threading

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log as logging

from delfin.task_manager import rpcapi

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def _run_sync_job(context, storage_id, job_id):
    from delfin.task_manager import sync
    sync.run_sync_job(context, job_id)


def _remove_storage(context, storage_id):
    from delfin.drivers import api as driver_api
    driver_api.API().remove_storage(context, storage_id)


# Seconds an alert poll that found the database away is tried again.
ALERT_POLL_RETRY_FOR = 300


def _sync_alerts(context, storage_id, query_para, stopping=None):
    """Poll the storage's alerts; while the database is away, poll again
    (what a poll records is only known by polling) until it is back."""
    import time

    import sqlalchemy as sa

    from delfin.alert_manager import poller
    from delfin.common import outage
    from delfin.db import engine as db_engine
    db = outage.Outage('database', 'alert poll of storage %s' % storage_id)
    deadline = time.monotonic() + ALERT_POLL_RETRY_FOR
    delay = 0.5
    while True:
        try:
            poller.sync_alerts(context, storage_id, query_para)
        except sa.exc.DBAPIError as e:
            if not db_engine.unavailable(e) or \
                    time.monotonic() > deadline or \
                    (stopping is not None and stopping.is_set()):
                raise
            db.failed(e)
            if stopping is not None:
                stopping.wait(delay)
            else:
                time.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        db.ok()
        return


class TaskManager(object):
    """Endpoint of topic ``[DEFAULT] delfin_task_topic`` (API 1.x)."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, workers=None):
        self.workers = workers or CONF.sync.workers
        self._pool = None
        self._pending = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # -- lifecycle ------------------------------------------------------

    def start(self):
        with self._lock:
            self._stopping.clear()
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.workers,
                    thread_name_prefix='delfin-task-worker')

    def stop(self, timeout=None):
        """Stop taking work; wait up to ``timeout`` seconds for running
        work.  Work not started yet is dropped.  The sync jobs this node
        holds, queued or running, are cancelled, so that they neither stay
        active in the database after the process is gone nor hold up the
        stop: a running sync ends at its next checkpoint."""
        self._stopping.set()
        with self._lock:
            pool, self._pool = self._pool, None
            pending = list(self._pending)
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        started = [f for f in pending if not f.cancelled()]
        if len(started) < len(pending):
            LOG.warning("Dropped %d task(s) that had not started",
                        len(pending) - len(started))
        self._cancel_sync_jobs(f for f in pending
                               if f.cancelled() or not f.done())
        _done, running = concurrent.futures.wait(started, timeout=timeout)
        if running:
            LOG.warning("%d task(s) still running after %s s",
                        len(running), timeout)

    @staticmethod
    def _cancel_sync_jobs(futures):
        for future in futures:
            storage_id, job_id = getattr(future, 'sync_job', (None, None))
            if storage_id is None:
                continue
            try:
                from delfin.task_manager import jobs
                active = jobs.active_job(storage_id)
                if active is not None and active['id'] == job_id:
                    jobs.cancel_jobs(storage_id,
                                     reason='The task node stopped.')
            except Exception:
                LOG.exception("Could not cancel the sync job of storage %s",
                              storage_id)

    def has_job(self, job_id):
        """True when the sync job ``job_id`` waits or runs in this node."""
        with self._lock:
            return any(getattr(f, 'sync_job', (None, None))[1] == job_id
                       for f in self._pending)

    def idle(self):
        """True when no task is queued or running."""
        with self._lock:
            return not self._pending

    def _submit(self, what, fn, context, *args, sync_job=None):
        with self._lock:
            if self._pool is None:
                LOG.warning("Task manager is stopped; %s%r not run", what,
                            args)
                return None
            future = self._pool.submit(self._run, what, fn, context, *args)
            if sync_job is not None:
                future.sync_job = sync_job
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future):
        with self._lock:
            self._pending.discard(future)

    @staticmethod
    def _run(what, fn, context, *args):
        LOG.debug("Running %s%r", what, args)
        try:
            fn(context, *args)
        except Exception:
            # A cast has nobody to report to; the work records its own
            # outcome where it can, the log keeps the rest.
            LOG.exception("Task %s%r failed", what, args)

    # -- RPC methods (API 1.0) -----------------------------------------

    def sync_storage(self, context, storage_id, job_id):
        self._submit('sync_storage', _run_sync_job, context, storage_id,
                     job_id, sync_job=(storage_id, job_id))

    def remove_storage(self, context, storage_id):
        self._submit('remove_storage', _remove_storage, context, storage_id)

    def sync_storage_alerts(self, context, storage_id, query_para=None):
        self._submit('sync_storage_alerts', _sync_alerts, context,
                     storage_id, query_para, self._stopping)
