"""Job recovery: no accepted sync job is lost, none runs twice at once.

The database is the record of the jobs accepted; the broker only carries
the news of them.  This component of every task node reads that record:

* at start, the jobs a previous life of this node was running (same
  ``host``, not run by this process) are queued again (`requeue_job`),
  so a node killed in the middle of a sync frees its storages as soon as
  it is back; later, the same for a job of this node that no thread runs
  and whose heartbeat is stale (the database went away just as the job
  started, and the start was written but not seen);
* every ``[sync] recovery_interval`` seconds it writes the heartbeat of the
  jobs this node runs, takes over the running jobs of nodes that left the
  task group (their membership lapsed and their heartbeat is older than
  ``[coordination] member_timeout``) for the storages it now owns, and
  runs the jobs queued for more than ``[sync] pickup_delay`` seconds of
  the storages it owns, whose message was lost or never sent (the broker
  was away, or unroutable before the task nodes declared their queues);
* a change of the group's members, or the return of a component after an
  outage (`delfin.common.outage`), runs that check at once.

A job only runs once however often it is handed over: starting it is a
conditional update from ``queued`` (`jobs.start_job`), and only the last
run started may write to it.
"""
import datetime
import threading

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import context
from delfin import coordination
from delfin.common import outage
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.task_manager import jobs

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

_jobs = schema.sync_jobs


MAX_ATTEMPTS = 3


def orphans(live_hosts, stale_before):
    """Running jobs of nodes not in ``live_hosts`` whose heartbeat is
    older than the naive UTC datetime ``stale_before``."""
    with db_engine.reader() as conn:
        rows = conn.execute(sa.select(_jobs).where(
            _jobs.c.state == jobs.State.RUNNING,
            _jobs.c.host.notin_(list(live_hosts)) if live_hosts
            else sa.true(),
            sa.func.coalesce(_jobs.c.heartbeat_at, _jobs.c.updated_at)
            < stale_before).order_by(_jobs.c.created_at, _jobs.c.id)).all()
    return [dict(r._mapping) for r in rows]


def left_behind(host, stale_before=None):
    """Running jobs of ``host`` that this process does not run: a previous
    life of this node started them and died, or this process lost track
    of one (the database went away as it started it); with
    ``stale_before``, only those whose heartbeat is older."""
    mine = set(jobs.running_here())
    where = [_jobs.c.state == jobs.State.RUNNING, _jobs.c.host == host]
    if stale_before is not None:
        where.append(sa.func.coalesce(
            _jobs.c.heartbeat_at, _jobs.c.updated_at) < stale_before)
    with db_engine.reader() as conn:
        rows = conn.execute(sa.select(_jobs).where(*where).order_by(
            _jobs.c.created_at, _jobs.c.id)).all()
    return [dict(r._mapping) for r in rows if r.id not in mine]


def requeue_job(job, reason):
    """Put a running job whose node died back in the queue, so that it
    runs again from the start; after `MAX_ATTEMPTS` starts it fails
    instead (a job that kills its node must not loop).

    Only the run ``job`` shows (same host and attempt) is replaced: when
    two nodes try, one wins.  Returns the new state, or None when the job
    had changed meanwhile.
    """
    now = db_api.utcnow()
    where = [_jobs.c.id == job['id'], _jobs.c.state == jobs.State.RUNNING,
             _jobs.c.attempts == job['attempts']]
    where.append(_jobs.c.host == job['host'] if job['host'] is not None
                 else _jobs.c.host.is_(None))
    if job['attempts'] >= MAX_ATTEMPTS:
        values = dict(state=jobs.State.FAILED, active_storage_id=None,
                      finished_at=now, updated_at=now,
                      error='%s; started %d times, given up.'
                            % (reason, job['attempts']))
    else:
        values = dict(state=jobs.State.QUEUED, host=None, started_at=None,
                      heartbeat_at=None, updated_at=now)
    with db_engine.writer() as conn:
        count = conn.execute(sa.update(_jobs).where(*where).values(
            **values)).rowcount
    if not count:
        return None
    LOG.warning("Sync job %s of storage %s (%s): %s", job['id'],
                job['storage_id'],
                'queued again' if values['state'] == jobs.State.QUEUED
                else 'failed', reason)
    return values['state']


class JobRecovery(object):
    """See the module documentation.

    :param manager: the node's `TaskManager` (jobs are handed to it).
    :param coordinator: ``() -> Coordinator or None`` (default: the
        process's current one); None means this node is alone.
    """

    name = 'job-recovery'

    def __init__(self, manager, coordinator=None, host=None, interval=None,
                 pickup_delay=None, member_timeout=None):
        self.manager = manager
        self._coordinator = coordinator or coordination.get_current
        self.host = host or CONF.host
        self.interval = (CONF.sync.recovery_interval if interval is None
                         else interval)
        self.pickup_delay = (CONF.sync.pickup_delay if pickup_delay is None
                             else pickup_delay)
        self.member_timeout = (CONF.coordination.member_timeout
                               if member_timeout is None else member_timeout)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._recovered = False
        self._db = outage.Outage('database', 'job recovery')

    # -- the checks -------------------------------------------------------

    def _owns(self, storage_id):
        coordinator = self._coordinator()
        return True if coordinator is None else coordinator.owns(storage_id)

    def _submit(self, job):
        self.manager.sync_storage(context.get_admin_context(),
                                  job['storage_id'], job['id'])

    def _stale(self):
        return db_api.utcnow() - datetime.timedelta(
            seconds=self.member_timeout)

    def recover_own(self, stale_only=False):
        """Queue again the jobs a previous life of this node left running
        (at start; later, those this process lost track of and whose
        heartbeat is stale), and hand those of storages it owns to the
        manager at once.  Returns their ids."""
        requeued = []
        for job in left_behind(
                self.host, self._stale() if stale_only else None):
            state = requeue_job(
                job, 'node %s stopped while running it' % self.host)
            if state == jobs.State.QUEUED:
                requeued.append(job['id'])
                if self._owns(job['storage_id']):
                    self._submit(job)
        if requeued:
            LOG.warning("Queued again %d sync job(s) this node (%s) was "
                        "running when it stopped", len(requeued), self.host)
        return requeued

    def take_over(self):
        """Queue again the running jobs of nodes gone from the group for
        the storages this node owns now.  Returns their ids."""
        coordinator = self._coordinator()
        if coordinator is None:
            return []
        members = coordinator.members
        if not members:
            return []    # out of the group ourselves: own nothing
        stale = self._stale()
        taken = []
        for job in orphans(members, stale):
            if not self._owns(job['storage_id']):
                continue
            state = requeue_job(
                job, 'node %s left the task group while running it; taken '
                     'over by %s' % (job['host'], self.host))
            if state == jobs.State.QUEUED:
                taken.append(job['id'])
        return taken

    def pick_up(self):
        """Hand to this node the jobs queued for more than
        ``pickup_delay`` seconds of the storages it owns.  Returns them."""
        before = db_api.utcnow() - datetime.timedelta(
            seconds=self.pickup_delay)
        picked = []
        for job in jobs.queued_jobs(before):
            if self.manager.has_job(job['id']) or \
                    not self._owns(job['storage_id']):
                continue
            self._submit(job)
            picked.append(job)
        if picked:
            LOG.info("Picked up %d queued sync job(s) of storages this "
                     "node owns", len(picked))
        return picked

    def check(self):
        """One round: heartbeat, recover, take over, pick up."""
        jobs.heartbeat(self.host)
        self.recover_own(stale_only=True)
        self.take_over()
        self.pick_up()

    # -- the component ----------------------------------------------------

    def start(self):
        try:
            self.recover_own()
            self._recovered = True
        except Exception as e:
            self._db.failed(e)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop,
                                        name='delfin-job-recovery',
                                        daemon=True)
        self._thread.start()
        coordinator = self._coordinator()
        if coordinator is not None:
            coordinator.add_listener(lambda _members: self.wake())
        outage.on_back(self._on_back)

    def _on_back(self, _component):
        self.wake()

    def wake(self):
        """Run a check now (membership changed, a component is back)."""
        self._wake.set()

    def stop(self, timeout=None):
        outage.remove_listener(self._on_back)
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def alive(self):
        return self._thread is None or self._thread.is_alive()

    def _loop(self):
        while not self._stop.is_set():
            try:
                if not self._recovered:
                    self.recover_own()
                    self._recovered = True
                self.check()
                self._db.ok()
            except Exception as e:
                self._db.failed(e)
            self._wake.wait(self.interval)
            self._wake.clear()
