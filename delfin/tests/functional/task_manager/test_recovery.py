"""Recovery of sync jobs: taking over a dead node's job, fencing the old
run, picking up jobs left queued, and ends written once the database is
back (on SQLite, PostgreSQL and MariaDB; the outage on PostgreSQL through a
TCP proxy of the test)."""
import datetime

import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.task_manager import jobs
from delfin.task_manager import recovery
from delfin.tests import conftest
from delfin.tests.functional import tcp_proxy


def _age_heartbeat(job_id, seconds):
    when = db_api.utcnow() - datetime.timedelta(seconds=seconds)
    with db_engine.writer() as conn:
        conn.execute(schema.sync_jobs.update().where(
            schema.sync_jobs.c.id == job_id).values(heartbeat_at=when,
                                                    created_at=when))


class _Manager(object):
    """Records the jobs handed to it, as the task manager would take
    them."""

    def __init__(self):
        self.handed = []

    def sync_storage(self, context, storage_id, job_id):
        self.handed.append(job_id)

    def has_job(self, job_id):
        return job_id in self.handed


class _Ring(object):
    """A coordinator view: these members, this node owning everything."""

    def __init__(self, members):
        self.members = list(members)

    def owns(self, storage_id):
        return True

    def add_listener(self, callback):
        pass


def test_a_dead_nodes_job_is_taken_over_and_its_old_run_fenced(
        database, make_storage):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    started = jobs.start_job(job['id'], host='node-dead')
    assert started['attempts'] == 1 and started['heartbeat_at']

    manager = _Manager()
    survivor = recovery.JobRecovery(manager, lambda: _Ring(['node-live']),
                                    host='node-live', member_timeout=10,
                                    pickup_delay=0)
    # Fresh heartbeat: not taken, whatever the membership says.
    assert survivor.take_over() == []
    _age_heartbeat(job['id'], 11)
    assert survivor.take_over() == [job['id']]
    assert jobs.get_job(job['id'])['state'] == 'queued'
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCING

    survivor.pick_up()
    assert manager.handed == [job['id']]
    # The old run (this process started attempt 1) may not write any more,
    # once the job is started again elsewhere.
    jobs._runs[job['id']] = 1
    with db_engine.writer() as conn:
        conn.execute(schema.sync_jobs.update().where(
            schema.sync_jobs.c.id == job['id']).values(
            state='running', host='node-live', attempts=2))
    assert jobs.update_job(job['id'], {}) is False
    assert jobs.finish_job(job['id'], 'failed', error='old run') is False
    current = jobs.get_job(job['id'])
    assert (current['state'], current['host']) == ('running', 'node-live')


def test_a_node_requeues_at_start_what_its_previous_life_left_running(
        database, make_storage):
    storages = [make_storage() for _ in range(2)]
    held = [jobs.create_sync_job(s['id']) for s in storages]
    for job in held:
        jobs.start_job(job['id'], host='node-1')
    jobs._runs.clear()          # the process that started them is gone
    other = make_storage()
    elsewhere = jobs.create_sync_job(other['id'])
    jobs.start_job(elsewhere['id'], host='node-2')

    manager = _Manager()
    node = recovery.JobRecovery(manager, lambda: None, host='node-1',
                                pickup_delay=0)
    assert sorted(node.recover_own()) == sorted(j['id'] for j in held)
    assert [jobs.get_job(j['id'])['state'] for j in held] == ['queued'] * 2
    assert jobs.get_job(elsewhere['id'])['state'] == 'running'
    # Handed to this node's manager at once, not after the pick-up delay.
    assert sorted(manager.handed) == sorted(j['id'] for j in held)
    assert node.pick_up() == []


def test_a_job_that_keeps_killing_its_node_fails_in_the_end(
        database, make_storage):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    for attempt in range(1, recovery.MAX_ATTEMPTS + 1):
        started = jobs.start_job(job['id'], host='node-1')
        assert started['attempts'] == attempt
        state = recovery.requeue_job(started, 'node-1 died')
    assert state == 'failed'
    ended = jobs.get_job(job['id'])
    assert ended['state'] == 'failed' and 'given up' in ended['error']
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED


def test_a_job_end_is_written_once_the_database_is_back(
        pg_database, make_storage, monkeypatch):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    url = pg_database.url
    proxy = tcp_proxy.TcpProxy(url.host or '127.0.0.1',
                               url.port or 5432).start()
    engine = db_engine.create_engine(url.set(host='127.0.0.1',
                                             port=proxy.port))
    previous = db_engine.set_engine(engine)
    monkeypatch.setattr(jobs, 'FLUSH_INTERVAL', 0.1)
    try:
        assert jobs.start_job(job['id'], host='node-1')['state'] == 'running'
        proxy.cut()
        assert jobs.finish_job(job['id'], 'failed', progress={},
                               error='database away') is True
        assert jobs.pending_ends() == [job['id']]
        with pg_database.connect() as conn:      # not through the proxy
            state = conn.execute(sa.select(schema.sync_jobs.c.state).where(
                schema.sync_jobs.c.id == job['id'])).scalar()
        assert state == 'running'
        assert job['id'] in jobs.running_here()    # still heartbeating
        proxy.restore()
        conftest.wait_for(lambda: not jobs.pending_ends(), 10,
                          what='end written')
    finally:
        proxy.cut()
        db_engine.set_engine(previous)
        engine.dispose()
    ended = jobs.get_job(job['id'])
    assert (ended['state'], ended['error']) == ('failed', 'database away')
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED
    assert job['id'] not in jobs.running_here()
