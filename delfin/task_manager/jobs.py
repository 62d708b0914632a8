"""Sync jobs: every sync of a storage is a row in ``sync_jobs``.

A job is created ``queued`` by whoever asks for a sync (the API, the
periodic scheduler), run by a task node (``running``), and ends
``succeeded``, ``failed`` or ``cancelled``.  Its ``progress`` holds, per
resource kind, ``{state, items, written: {inserted, updated, deleted},
duration, error}``.

Only one job of a storage is active at a time, across every process: an
active job carries its storage id in ``active_storage_id``, a column with a
unique key, so a second insert fails inside the database itself.  A job
whose ``updated_at`` is older than ``sync_task_expiration`` (its worker died,
or the message was lost) no longer blocks: the next request marks it failed
and takes its place, and its worker, if still alive, stops at its next
checkpoint.

A running job names the node running it (``host``) and carries that
node's ``heartbeat_at``, written every few seconds whatever the job is
doing, and ``attempts``, how many times it was started.  Only the run that
started it last may write to it: an older run (of a node that was taken for
dead and whose job was taken over) finds its writes refused and stops.  The
end of a job that the database could not take (it was away) is kept by the
process and written once the database is back (`flush_ends`), so a job
never stays running because of an outage.

Freshness (``sync_freshness``) records per storage and resource kind the
last successful sync, its duration and item count, and the last error; it is
served by the API and exported as Prometheus metrics (`register_metrics`).
"""
import datetime
import threading

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.common import constants
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

State = constants.SyncJobState
TRIGGER_MANUAL = 'manual'
TRIGGER_REGISTER = 'register'
TRIGGER_PERIODIC = 'periodic'
# The first sync of a storage imported from a Delfin database.
TRIGGER_IMPORT = 'import'
TRIGGERS = (TRIGGER_MANUAL, TRIGGER_REGISTER, TRIGGER_PERIODIC,
            TRIGGER_IMPORT)

SYNCED = 'SYNCED'
SYNCING = 'SYNCING'

TABLE = 'sync_job'
_jobs = schema.sync_jobs
_fresh = schema.sync_freshness
_storages = schema.storages

db_api.register_table(TABLE, _jobs, key='id', not_found='SyncJobNotFound')


def _cutoff(now):
    """Active jobs not updated since this time are considered lost."""
    return now - datetime.timedelta(seconds=CONF.sync_task_expiration)


def _storage_exists(conn, storage_id):
    row = conn.execute(sa.select(_storages.c.deleted).where(
        _storages.c.id == storage_id)).first()
    return row is not None and not row.deleted


def _expire_lost(conn, now, storage_id=None):
    """Mark active jobs that made no progress for too long as failed."""
    where = [_jobs.c.active_storage_id.isnot(None),
             _jobs.c.updated_at < _cutoff(now)]
    if storage_id is not None:
        where.append(_jobs.c.active_storage_id == storage_id)
    count = conn.execute(sa.update(_jobs).where(*where).values(
        state=State.FAILED, active_storage_id=None, finished_at=now,
        updated_at=now,
        error='No progress for %d s; the sync was given up.'
              % CONF.sync_task_expiration)).rowcount
    if count:
        LOG.warning("Gave up %d sync job(s) without progress for %d s",
                    count, CONF.sync_task_expiration)
    return count


def _prune(conn, storage_id, keep):
    """Delete the storage's finished jobs beyond the newest ``keep``."""
    old = conn.execute(
        sa.select(_jobs.c.id).where(
            _jobs.c.storage_id == storage_id,
            _jobs.c.active_storage_id.is_(None))
        .order_by(_jobs.c.created_at.desc(), _jobs.c.id.desc())
        .offset(keep)).scalars().all()
    if old:
        conn.execute(sa.delete(_jobs).where(_jobs.c.id.in_(old)))


def queued_jobs(created_before):
    """Jobs still queued that were created before the naive UTC datetime
    ``created_before``, oldest first."""
    with db_engine.reader() as conn:
        rows = conn.execute(sa.select(_jobs).where(
            _jobs.c.state == State.QUEUED,
            _jobs.c.created_at < created_before).order_by(
            _jobs.c.created_at, _jobs.c.id)).all()
    return [dict(r._mapping) for r in rows]


def create_sync_job(storage_id, trigger=TRIGGER_MANUAL):
    """Create a queued sync job of ``storage_id``; returns the job dict.

    :raises StorageIsSyncing: a job of the storage is already queued or
        running (checked by the database, so it holds across processes).
    :raises StorageNotFound: no such storage.
    """
    if trigger not in TRIGGERS:
        raise ValueError('unknown sync trigger %r' % trigger)
    now = db_api.utcnow()
    job = {'id': db_api.new_id(), 'storage_id': storage_id,
           'state': State.QUEUED, 'trigger': trigger,
           'active_storage_id': storage_id, 'host': None, 'progress': {},
           'error': None, 'started_at': None, 'finished_at': None,
           'created_at': now, 'updated_at': now, 'heartbeat_at': None,
           'attempts': 0}
    try:
        with db_engine.writer() as conn:
            _expire_lost(conn, now, storage_id)
            if not _storage_exists(conn, storage_id):
                raise exception.StorageNotFound(storage_id)
            conn.execute(sa.insert(_jobs).values(**job))
            _prune(conn, storage_id, CONF.sync.job_history)
    except sa.exc.IntegrityError:
        # Either the unique key on active_storage_id (a job is active) or
        # the foreign key (the storage was deleted meanwhile).
        with db_engine.reader() as conn:
            if not _storage_exists(conn, storage_id):
                raise exception.StorageNotFound(storage_id)
        raise exception.StorageIsSyncing(storage_id)
    LOG.info("Sync job %s of storage %s created (%s)", job['id'],
             storage_id, trigger)
    return job


def get_job(job_id, conn=None):
    """The job dict; raises `SyncJobNotFound`."""
    return db_api.get(TABLE, job_id, conn=conn)


def list_jobs(storage_id=None, state=None, trigger=None, sort=None,
              limit=None, offset=0, marker=None, with_total=False):
    """Jobs, newest first by default; filters are exact values or lists.

    Returns a list, or (list, total) with ``with_total``.
    """
    filters = {}
    for key, value in (('storage_id', storage_id), ('state', state),
                       ('trigger', trigger)):
        if value is not None:
            filters[key] = value
    return db_api.list_rows(TABLE, filters=filters, sort=sort, limit=limit,
                            offset=offset, marker=marker,
                            with_total=with_total)


def active_job(storage_id):
    """The storage's queued or running job (not lost), or None."""
    now = db_api.utcnow()
    with db_engine.reader() as conn:
        row = conn.execute(sa.select(_jobs).where(
            _jobs.c.active_storage_id == storage_id,
            _jobs.c.updated_at >= _cutoff(now))).first()
    return dict(row._mapping) if row is not None else None


def cancel_jobs(storage_id, reason='Cancelled.'):
    """Cancel the storage's active job, if any; returns how many.

    A running job stops at its next checkpoint (between two batches of
    rows) and writes nothing more.
    """
    now = db_api.utcnow()
    with db_engine.writer() as conn:
        count = conn.execute(sa.update(_jobs).where(
            _jobs.c.active_storage_id == storage_id).values(
            state=State.CANCELLED, active_storage_id=None,
            finished_at=now, updated_at=now, error=reason)).rowcount
    if count:
        LOG.info("Cancelled the sync job of storage %s", storage_id)
    return count


# Built once (API requests ask this for every storage they show).  The
# active jobs are few (one per syncing storage at most), so they are read
# whole rather than filtered by a list of ids, which SQLAlchemy would
# render anew for every request.
SYNCING_STORAGES = sa.select(_jobs.c.active_storage_id).where(
    _jobs.c.active_storage_id.isnot(None),
    _jobs.c.updated_at >= sa.bindparam('cutoff'))


def syncing_clause(storage_id):
    """SQL truth of "the storage ``storage_id`` (a column or value) has
    an active job", as `storage_sync_statuses` reads it; bind
    ``cutoff`` to `sync_cutoff()` when running it."""
    return sa.exists().where(_jobs.c.active_storage_id == storage_id,
                             _jobs.c.updated_at >= sa.bindparam('cutoff'))


def sync_cutoff():
    """Active jobs not updated since this time count as lost."""
    return _cutoff(db_api.utcnow())


def storage_sync_statuses(storage_ids=None, conn=None):
    """{storage_id: 'SYNCED' | 'SYNCING'} for ``storage_ids`` (or every
    storage with an active job when None); read in ``conn`` when given."""
    params = {'cutoff': _cutoff(db_api.utcnow())}
    if storage_ids is not None:
        storage_ids = list(storage_ids)
        if not storage_ids:
            return {}
    if conn is None:
        with db_engine.reader() as conn:
            syncing = set(conn.execute(SYNCING_STORAGES, params).scalars())
    else:
        syncing = set(conn.execute(SYNCING_STORAGES, params).scalars())
    if storage_ids is None:
        return {sid: SYNCING for sid in syncing}
    return {sid: SYNCING if sid in syncing else SYNCED
            for sid in storage_ids}


def storage_sync_status(storage_id):
    """'SYNCING' while the storage has an active job, else 'SYNCED'."""
    return storage_sync_statuses([storage_id])[storage_id]


# -- used by the worker running a job -------------------------------------

# Job id -> attempt number of the runs this process started and whose end
# is not written yet; those are the jobs its heartbeat keeps alive.
_runs = {}
# Job id -> (attempt, values) of ends the database could not take yet.
_ends = {}
# Jobs whose run here learnt it may not write any more (cancelled, or
# taken over): their end is not written either.
_fenced = set()
_runs_lock = threading.Lock()
_flusher = None
FLUSH_INTERVAL = 1.0


def _mine(job_id):
    """The WHERE clause of a write by this process's run of the job."""
    where = [_jobs.c.id == job_id, _jobs.c.state == State.RUNNING]
    with _runs_lock:
        attempt = _runs.get(job_id)
    if attempt is not None:
        where.append(_jobs.c.attempts == attempt)
    return where


def running_here():
    """Ids of the jobs this process runs (or holds the end of)."""
    with _runs_lock:
        return list(_runs)


def start_job(job_id, host=None):
    """Move a queued job to running; returns the job, or None when it is
    not queued any more (cancelled, given up, deleted with its storage, or
    started by someone else)."""
    now = db_api.utcnow()
    with _runs_lock:
        # Known as this process's before the database says so, so that
        # it is never taken for a run left behind.
        _runs.setdefault(job_id, None)
    job = None
    try:
        with db_engine.writer() as conn:
            count = conn.execute(sa.update(_jobs).where(
                _jobs.c.id == job_id, _jobs.c.state == State.QUEUED).values(
                state=State.RUNNING, started_at=now, updated_at=now,
                heartbeat_at=now, host=host,
                attempts=_jobs.c.attempts + 1)).rowcount
            if count:
                job = get_job(job_id, conn=conn)
    finally:
        with _runs_lock:
            if job is None:
                _runs.pop(job_id, None)
            else:
                _runs[job_id] = job['attempts']
                _fenced.discard(job_id)
    return job


def update_job(job_id, progress):
    """Record progress of a running job (also its heartbeat).

    Returns False when the job is no longer running here: it was cancelled
    or given up, its storage was deleted, or another node took it over;
    the worker must stop writing.
    """
    now = db_api.utcnow()
    with db_engine.writer() as conn:
        running = bool(conn.execute(sa.update(_jobs).where(
            *_mine(job_id)).values(
            progress=progress, updated_at=now, heartbeat_at=now)).rowcount)
    if not running:
        with _runs_lock:
            if job_id not in _ends and _runs.pop(job_id, None) is not None:
                _fenced.add(job_id)
    return running


def heartbeat(host, job_ids=None):
    """Mark the jobs ``host`` (this process) runs as alive; returns how
    many rows."""
    job_ids = running_here() if job_ids is None else list(job_ids)
    if not job_ids:
        return 0
    with db_engine.writer() as conn:
        return conn.execute(sa.update(_jobs).where(
            _jobs.c.id.in_(job_ids), _jobs.c.host == host,
            _jobs.c.state == State.RUNNING).values(
            heartbeat_at=db_api.utcnow())).rowcount


def is_running(job_id):
    """True while the job is running (not cancelled, given up or gone)."""
    with db_engine.reader() as conn:
        state = conn.execute(sa.select(_jobs.c.state).where(
            _jobs.c.id == job_id)).scalar()
    return state == State.RUNNING


def _write_end(job_id, attempt, values):
    where = [_jobs.c.id == job_id, _jobs.c.state == State.RUNNING]
    if attempt is not None:
        where.append(_jobs.c.attempts == attempt)
    with db_engine.writer() as conn:
        return bool(conn.execute(sa.update(_jobs).where(*where).values(
            **values)).rowcount)


def finish_job(job_id, state, progress=None, error=None):
    """End a running job in ``state``; False when it was not running (or
    not any more by this run).

    When the database is away the end is kept and written once it is back
    (`flush_ends`); the job counts as ended (True) meanwhile.
    """
    if state not in (State.SUCCEEDED, State.FAILED, State.CANCELLED):
        raise ValueError('not a final state: %r' % state)
    now = db_api.utcnow()
    values = dict(state=state, active_storage_id=None, finished_at=now,
                  updated_at=now, error=error)
    if progress is not None:
        values['progress'] = progress
    with _runs_lock:
        if job_id in _fenced:
            _fenced.discard(job_id)
            return False
        attempt = _runs.get(job_id)
    try:
        done = _write_end(job_id, attempt, values)
    except sa.exc.DBAPIError as e:
        if not db_engine.unavailable(e):
            raise
        with _runs_lock:
            _ends[job_id] = (attempt, values)
        LOG.warning("Sync job %s ended %s; the database is away, its end "
                    "is written once it is back", job_id, state)
        _start_flusher()
        return True
    with _runs_lock:
        _runs.pop(job_id, None)
    return done


def pending_ends():
    """Ids of jobs whose end waits for the database."""
    with _runs_lock:
        return list(_ends)


def flush_ends():
    """Write the ends kept while the database was away; returns how many
    are still waiting (0 once all are written)."""
    with _runs_lock:
        waiting = list(_ends.items())
    for job_id, (attempt, values) in waiting:
        try:
            done = _write_end(job_id, attempt, values)
        except sa.exc.DBAPIError as e:
            if not db_engine.unavailable(e):
                LOG.exception("Could not write the end of sync job %s",
                              job_id)
                _forget_end(job_id)
            continue
        _forget_end(job_id)
        LOG.info("Sync job %s: end written (%s)%s", job_id,
                 values['state'],
                 '' if done else '; it had been ended meanwhile')
    with _runs_lock:
        return len(_ends)


def _forget_end(job_id):
    with _runs_lock:
        _ends.pop(job_id, None)
        _runs.pop(job_id, None)


def _start_flusher():
    global _flusher
    with _runs_lock:
        if _flusher is not None and _flusher.is_alive():
            return
        _flusher = threading.Thread(target=_flush_loop,
                                    name='delfin-job-ends', daemon=True)
        _flusher.start()


def _flush_loop():
    global _flusher
    import time
    while True:
        time.sleep(FLUSH_INTERVAL)
        with _runs_lock:
            if not _ends:
                _flusher = None
                return
        flush_ends()


def record_freshness(storage_id, kind, job_id, duration, item_count=None,
                     error=None, when=None):
    """Record the outcome of syncing one kind of a storage.

    A success (``error`` None) sets the last success time, duration and item
    count and clears the last error; a failure only sets the error and the
    attempt time, so the last good values stay visible.
    """
    now = when or db_api.utcnow()
    values = {'last_attempt_at': now, 'last_job_id': job_id,
              'last_error': error, 'updated_at': now}
    if error is None:
        values.update(last_success_at=now, last_duration=duration,
                      item_count=item_count)
    try:
        with db_engine.writer() as conn:
            count = conn.execute(sa.update(_fresh).where(
                _fresh.c.storage_id == storage_id,
                _fresh.c.kind == kind).values(**values)).rowcount
            if not count:
                conn.execute(sa.insert(_fresh).values(
                    storage_id=storage_id, kind=kind, created_at=now,
                    **values))
    except sa.exc.IntegrityError:
        # The storage was deleted meanwhile; nothing to record.
        LOG.debug("Freshness of %s of storage %s not recorded: storage "
                  "gone", kind, storage_id)


def get_freshness(storage_id):
    """{kind: {last_success_at, last_attempt_at, last_duration,
    item_count, last_error, last_job_id}} of one storage."""
    with db_engine.reader() as conn:
        rows = conn.execute(sa.select(_fresh).where(
            _fresh.c.storage_id == storage_id)).all()
    return {r.kind: {k: v for k, v in r._mapping.items()
                     if k not in ('storage_id', 'kind', 'created_at',
                                  'updated_at')}
            for r in rows}


def schedule_state():
    """What the periodic scheduler needs about every storage.

    {storage_id: {'last': time of its newest job (creation or end),
    'failures': how many of its newest finished jobs failed in a row,
    'active': whether a job is queued or running}}.
    """
    now = db_api.utcnow()
    with db_engine.reader() as conn:
        storage_ids = conn.execute(sa.select(_storages.c.id).where(
            _storages.c.deleted.is_(False))).scalars().all()
        rows = conn.execute(sa.select(
            _jobs.c.storage_id, _jobs.c.state, _jobs.c.created_at,
            _jobs.c.finished_at, _jobs.c.updated_at,
            _jobs.c.active_storage_id).order_by(
            _jobs.c.storage_id, _jobs.c.created_at.desc(),
            _jobs.c.id.desc())).all()
    state = {sid: {'last': None, 'failures': 0, 'active': False}
             for sid in storage_ids}
    counting = set(state)
    cutoff = _cutoff(now)
    for row in rows:
        entry = state.get(row.storage_id)
        if entry is None:
            continue
        when = row.finished_at or row.created_at
        if entry['last'] is None or when > entry['last']:
            entry['last'] = when
        if row.active_storage_id is not None:
            if row.updated_at >= cutoff:
                entry['active'] = True
            continue
        if row.storage_id in counting:
            if row.state == State.FAILED:
                entry['failures'] += 1
            else:
                counting.discard(row.storage_id)
    return state


# -- Prometheus -----------------------------------------------------------

def _epoch(dt):
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


class FreshnessCollector(object):
    """Prometheus collector reading sync freshness from the database at
    scrape time, so any process serving /metrics reports every task
    node's syncs."""

    def describe(self):
        return []

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        labels = ['storage_id', 'kind']
        success = GaugeMetricFamily(
            'delfin_sync_last_success_timestamp_seconds',
            'Unix time of the last successful sync of a resource kind of a '
            'storage.', labels=labels)
        duration = GaugeMetricFamily(
            'delfin_sync_last_duration_seconds',
            'Duration of the last successful sync of a resource kind of a '
            'storage.', labels=labels)
        items = GaugeMetricFamily(
            'delfin_sync_items',
            'Items of a resource kind of a storage at its last successful '
            'sync.', labels=labels)
        failing = GaugeMetricFamily(
            'delfin_sync_failing',
            '1 when the last sync attempt of a resource kind of a storage '
            'failed, else 0.', labels=labels)
        active = GaugeMetricFamily(
            'delfin_sync_jobs_active', 'Sync jobs queued or running.',
            labels=['state'])
        try:
            with db_engine.reader() as conn:
                rows = conn.execute(sa.select(_fresh)).all()
                counts = dict(conn.execute(
                    sa.select(_jobs.c.state, sa.func.count())
                    .where(_jobs.c.active_storage_id.isnot(None))
                    .group_by(_jobs.c.state)).all())
        except Exception:
            LOG.exception("Could not read sync freshness for metrics")
            return
        for r in rows:
            key = [r.storage_id, r.kind]
            if r.last_success_at is not None:
                success.add_metric(key, _epoch(r.last_success_at))
                duration.add_metric(key, r.last_duration or 0.0)
                items.add_metric(key, r.item_count or 0)
            failing.add_metric(key, 1.0 if r.last_error else 0.0)
        for state in State.ACTIVE:
            active.add_metric([state], counts.get(state, 0))
        yield success
        yield duration
        yield items
        yield failing
        yield active


_collector = FreshnessCollector()
_registered = []


def register_metrics(registry=None):
    """Add the sync freshness collector to ``registry`` (Prometheus'
    default registry by default); calling it again does nothing."""
    from prometheus_client import REGISTRY
    registry = registry or REGISTRY
    if not any(r is registry for r in _registered):
        registry.register(_collector)
        _registered.append(registry)
    return _collector
