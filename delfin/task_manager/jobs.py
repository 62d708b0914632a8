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

Freshness (``sync_freshness``) records per storage and resource kind the
last successful sync, its duration and item count, and the last error; it is
served by the API and exported as Prometheus metrics (`register_metrics`).
"""
import datetime

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
TRIGGERS = (TRIGGER_MANUAL, TRIGGER_REGISTER, TRIGGER_PERIODIC)

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
           'created_at': now, 'updated_at': now}
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
_SYNCING = sa.select(_jobs.c.active_storage_id).where(
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
            syncing = set(conn.execute(_SYNCING, params).scalars())
    else:
        syncing = set(conn.execute(_SYNCING, params).scalars())
    if storage_ids is None:
        return {sid: SYNCING for sid in syncing}
    return {sid: SYNCING if sid in syncing else SYNCED
            for sid in storage_ids}


def storage_sync_status(storage_id):
    """'SYNCING' while the storage has an active job, else 'SYNCED'."""
    return storage_sync_statuses([storage_id])[storage_id]


# -- used by the worker running a job -------------------------------------

def start_job(job_id, host=None):
    """Move a queued job to running; returns the job, or None when it is
    not queued any more (cancelled, given up, deleted with its storage)."""
    now = db_api.utcnow()
    with db_engine.writer() as conn:
        count = conn.execute(sa.update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == State.QUEUED).values(
            state=State.RUNNING, started_at=now, updated_at=now,
            host=host)).rowcount
        if not count:
            return None
        return get_job(job_id, conn=conn)


def update_job(job_id, progress):
    """Record progress of a running job (also its heartbeat).

    Returns False when the job is no longer running: it was cancelled or
    given up, or its storage was deleted; the worker must stop writing.
    """
    with db_engine.writer() as conn:
        return bool(conn.execute(sa.update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == State.RUNNING).values(
            progress=progress, updated_at=db_api.utcnow())).rowcount)


def is_running(job_id):
    """True while the job is running (not cancelled, given up or gone)."""
    with db_engine.reader() as conn:
        state = conn.execute(sa.select(_jobs.c.state).where(
            _jobs.c.id == job_id)).scalar()
    return state == State.RUNNING


def finish_job(job_id, state, progress=None, error=None):
    """End a running job in ``state``; False when it was not running."""
    if state not in (State.SUCCEEDED, State.FAILED, State.CANCELLED):
        raise ValueError('not a final state: %r' % state)
    now = db_api.utcnow()
    values = dict(state=state, active_storage_id=None, finished_at=now,
                  updated_at=now, error=error)
    if progress is not None:
        values['progress'] = progress
    with db_engine.writer() as conn:
        return bool(conn.execute(sa.update(_jobs).where(
            _jobs.c.id == job_id, _jobs.c.state == State.RUNNING).values(
            **values)).rowcount)


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
