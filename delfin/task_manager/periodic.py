"""Periodic sync: re-sync every storage at ``[sync] interval``.

A component (``start()``/``stop()``) that wakes every
``periodic_interval`` seconds, finds the storages whose next sync is due,
creates a ``periodic`` sync job for each and hands it to ``submit(job)``
(the task manager runs or casts it).  It only decides and requests; the sync
itself is the job's.

When is a storage due?  Its last job (created or finished, whatever the
trigger) plus a delay:

* ``interval`` scaled by a per-storage factor in ``[1 - jitter/2,
  1 + jitter/2]``, fixed for a storage (derived from its id), so storages
  registered together do not sync in lockstep;
* for a storage whose last ``n`` jobs failed, ``interval * 2**n`` (same
  jitter), at most ``max_backoff``: a broken backend is retried less and less
  often instead of being hammered, and one success restores the interval;
* never while a job of the storage is queued or running.

Everything is read from the sync jobs in the database, so a restart, or
several task nodes running this component, change nothing: job creation is
atomic per storage (`delfin.task_manager.jobs.create_sync_job`), so two
nodes never start the same sync; ``owns(storage_id)`` lets a node skip the
storages another node is responsible for.
"""
import datetime
import hashlib
import random
import threading
import time

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.common import outage
from delfin.db import engine as db_engine
from delfin.drivers import manager as drivers_manager
from delfin.task_manager import jobs

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def _epoch(dt):
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def phase(storage_id):
    """A number in [0, 1) fixed for ``storage_id``: its place in the
    jitter window."""
    digest = hashlib.sha256(storage_id.encode('utf-8')).digest()
    return int.from_bytes(digest[:8], 'big') / float(1 << 64)


class PeriodicSync(object):
    """Requests periodic syncs; see the module documentation.

    :param submit: ``submit(job)`` runs or casts a created job.
    :param clock: seconds since the epoch (``time.time``); tests pass a
        controllable one and call `tick` directly.
    :param owns: optional ``owns(storage_id) -> bool`` filter.
    """

    name = 'periodic-sync'

    def __init__(self, submit, clock=time.time, interval=None, jitter=None,
                 max_backoff=None, check_interval=None, initial_delay=None,
                 owns=None, requeue_after=None):
        self.submit = submit
        self.clock = clock
        self.interval = CONF.sync.interval if interval is None else interval
        self.jitter = CONF.sync.jitter if jitter is None else jitter
        self.max_backoff = (CONF.sync.max_backoff if max_backoff is None
                            else max_backoff)
        self.check_interval = (CONF.periodic_interval
                               if check_interval is None else check_interval)
        if initial_delay is None:
            initial_delay = random.uniform(0, CONF.periodic_fuzzy_delay)
        self.initial_delay = initial_delay
        self.owns = owns
        self.requeue_after = (CONF.sync.requeue_after if requeue_after is None
                              else requeue_after)
        # Job id -> clock time it was last handed over again.
        self._requeued = {}
        self._stop = threading.Event()
        self._thread = None

    @property
    def enabled(self):
        return self.interval > 0 and CONF.periodic_enable

    # -- the decision -----------------------------------------------------

    def delay(self, storage_id, failures=0):
        """Seconds between the storage's last job and its next sync."""
        factor = 1.0 + self.jitter * (phase(storage_id) - 0.5)
        base = self.interval
        if failures:
            base = min(self.interval * 2 ** min(failures, 32),
                       max(self.max_backoff, self.interval))
        return base * factor

    def next_times(self, state=None):
        """{storage_id: epoch seconds of its next sync (0 when it never
        synced), or None while a job of it is active}."""
        state = jobs.schedule_state() if state is None else state
        out = {}
        for storage_id, entry in state.items():
            if self.owns is not None and not self.owns(storage_id):
                continue
            if entry['active']:
                out[storage_id] = None
            elif entry['last'] is None:
                out[storage_id] = 0.0   # never synced: overdue
            else:
                out[storage_id] = _epoch(entry['last']) + self.delay(
                    storage_id, entry['failures'])
        return out

    def due(self, now=None, state=None):
        """Storage ids due a sync now, most overdue first."""
        if not self.enabled:
            return []
        now = self.clock() if now is None else now
        times = self.next_times(state)
        due = [(when, sid) for sid, when in times.items()
               if when is not None and when <= now]
        return [sid for _when, sid in sorted(due)]

    def requeue(self):
        """Hand over again the jobs queued for more than ``requeue_after``
        seconds (their request was lost, or is still waiting behind
        others); each at most once per ``requeue_after``.  A job only runs
        once however often it is handed over.  Returns the jobs."""
        if not self.requeue_after:
            return []
        now = self.clock()
        cutoff = datetime.datetime.fromtimestamp(
            now - self.requeue_after, datetime.timezone.utc).replace(
            tzinfo=None)
        handed = []
        queued = set()
        for job in jobs.queued_jobs(cutoff):
            queued.add(job['id'])
            if self.owns is not None and not self.owns(job['storage_id']):
                continue
            last = self._requeued.get(job['id'])
            if last is not None and now - last < self.requeue_after:
                continue
            try:
                self.submit(job)
            except Exception:
                LOG.exception("Could not hand over sync job %s again",
                              job['id'])
                continue
            self._requeued[job['id']] = now
            handed.append(job)
        for job_id in list(self._requeued):
            if job_id not in queued:
                del self._requeued[job_id]
        if handed:
            LOG.warning("Handed over again %d sync job(s) queued for more "
                        "than %d s", len(handed), self.requeue_after)
        return handed

    def tick(self):
        """Request a sync of every storage due now; returns the jobs."""
        requested = []
        self.requeue()
        state = jobs.schedule_state()
        # Drivers of storages deleted through another process are not
        # needed any more.
        drivers_manager.get_manager().prune(state)
        for storage_id in self.due(state=state):
            try:
                job = jobs.create_sync_job(storage_id,
                                           trigger=jobs.TRIGGER_PERIODIC)
            except (exception.StorageIsSyncing, exception.StorageNotFound):
                continue
            try:
                self.submit(job)
            except Exception:
                LOG.exception("Could not submit periodic sync job %s of "
                              "storage %s", job['id'], storage_id)
                jobs.cancel_jobs(storage_id,
                                 reason='Could not be handed to a worker.')
                continue
            requested.append(job)
        if requested:
            LOG.info("Requested periodic sync of %d storage(s)",
                     len(requested))
        return requested

    # -- the component ----------------------------------------------------

    def start(self):
        if not self.enabled:
            LOG.info("Periodic sync disabled ([sync] interval = 0)")
            return
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop,
                                        name='delfin-periodic-sync',
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout=None):
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _loop(self):
        if self._stop.wait(self.initial_delay):
            return
        database = outage.Outage('database', 'periodic sync')
        while not self._stop.is_set():
            try:
                self.tick()
            except sa.exc.DBAPIError as e:
                if not db_engine.unavailable(e):
                    LOG.exception("Periodic sync check failed")
                else:
                    database.failed(e)
            except Exception:
                LOG.exception("Periodic sync check failed")
            else:
                database.ok()
            self._stop.wait(self.check_interval)
