"""Sync jobs on SQLite, PostgreSQL and MariaDB."""
import datetime
import threading

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from delfin import exception
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.task_manager import jobs

CONF = cfg.CONF


def _age(job_id, seconds):
    """Pretend the job was last updated ``seconds`` ago."""
    when = db_api.utcnow() - datetime.timedelta(seconds=seconds)
    with db_engine.writer() as conn:
        conn.execute(schema.sync_jobs.update().where(
            schema.sync_jobs.c.id == job_id).values(updated_at=when,
                                                    created_at=when))


def test_a_new_job_is_queued_and_marks_the_storage_syncing(
        database, make_storage):
    storage = make_storage()
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED
    job = jobs.create_sync_job(storage['id'], trigger='register')
    assert job['state'] == 'queued' and job['trigger'] == 'register'
    assert jobs.get_job(job['id'])['storage_id'] == storage['id']
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCING
    assert jobs.active_job(storage['id'])['id'] == job['id']


def test_only_one_active_job_per_storage(database, make_storage):
    storage, other = make_storage(), make_storage()
    first = jobs.create_sync_job(storage['id'])
    with pytest.raises(exception.StorageIsSyncing):
        jobs.create_sync_job(storage['id'])
    jobs.create_sync_job(other['id'])    # other storages are independent
    assert jobs.start_job(first['id'], host='node-1')['state'] == 'running'
    with pytest.raises(exception.StorageIsSyncing):
        jobs.create_sync_job(storage['id'])
    assert jobs.finish_job(first['id'], 'succeeded', progress={})
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED
    assert jobs.create_sync_job(storage['id'])['state'] == 'queued'


def test_concurrent_requests_create_exactly_one_job(database, make_storage):
    # Each thread writes on its own pooled connection, as API processes do.
    storage = make_storage()
    barrier = threading.Barrier(6)
    created, refused, errors = [], [], []

    def request():
        barrier.wait()
        try:
            created.append(jobs.create_sync_job(storage['id']))
        except exception.StorageIsSyncing:
            refused.append(1)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(created) == 1 and len(refused) == 5
    assert db_api.count('sync_job', {'storage_id': storage['id']}) == 1


def test_unknown_storage(database):
    with pytest.raises(exception.StorageNotFound):
        jobs.create_sync_job('no-such-storage')
    with pytest.raises(exception.SyncJobNotFound):
        jobs.get_job('no-such-job')


def test_a_lost_job_stops_blocking_after_the_expiration(database,
                                                        make_storage):
    storage = make_storage()
    lost = jobs.create_sync_job(storage['id'])
    jobs.start_job(lost['id'])
    _age(lost['id'], CONF.sync_task_expiration - 60)
    with pytest.raises(exception.StorageIsSyncing):
        jobs.create_sync_job(storage['id'])
    _age(lost['id'], CONF.sync_task_expiration + 60)
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED
    new = jobs.create_sync_job(storage['id'])
    old = jobs.get_job(lost['id'])
    assert old['state'] == 'failed' and 'No progress' in old['error']
    # The worker of the lost job, if alive, learns it must stop.
    assert jobs.update_job(lost['id'], {}) is False
    assert jobs.finish_job(lost['id'], 'succeeded') is False
    assert jobs.get_job(new['id'])['state'] == 'queued'


def test_heartbeat_keeps_a_long_job_alive(database, make_storage):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    jobs.start_job(job['id'])
    _age(job['id'], CONF.sync_task_expiration + 60)
    assert jobs.update_job(job['id'], {'volume': {'items': 5}})
    with pytest.raises(exception.StorageIsSyncing):
        jobs.create_sync_job(storage['id'])
    assert jobs.get_job(job['id'])['progress'] == {'volume': {'items': 5}}


def test_cancel(database, make_storage):
    storage = make_storage()
    queued = jobs.create_sync_job(storage['id'])
    assert jobs.cancel_jobs(storage['id']) == 1
    assert jobs.get_job(queued['id'])['state'] == 'cancelled'
    assert jobs.start_job(queued['id']) is None
    running = jobs.create_sync_job(storage['id'])
    jobs.start_job(running['id'])
    assert jobs.cancel_jobs(storage['id']) == 1
    assert jobs.is_running(running['id']) is False
    assert jobs.update_job(running['id'], {}) is False
    assert jobs.cancel_jobs(storage['id']) == 0


def test_jobs_go_with_their_storage(database, make_storage):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    jobs.record_freshness(storage['id'], 'volume', job['id'], 0.5, 10)
    db_api.delete('storage', storage['id'])
    with pytest.raises(exception.SyncJobNotFound):
        jobs.get_job(job['id'])
    assert jobs.get_freshness(storage['id']) == {}
    assert jobs.update_job(job['id'], {}) is False


def test_history_is_pruned(database, make_storage):
    CONF.set_override('job_history', 3, group='sync')
    storage = make_storage()
    ids = []
    for _ in range(6):
        job = jobs.create_sync_job(storage['id'])
        ids.append(job['id'])
        jobs.start_job(job['id'])
        jobs.finish_job(job['id'], 'succeeded')
    kept = [j['id'] for j in jobs.list_jobs(storage_id=storage['id'])]
    # Pruned when a job is created: the 3 newest finished ones then, and
    # the job created then (finished since).
    assert kept == list(reversed(ids))[:4]


def test_list_and_statuses(database, make_storage):
    one, two, idle = make_storage(), make_storage(), make_storage()
    a = jobs.create_sync_job(one['id'])
    jobs.create_sync_job(two['id'], trigger='periodic')
    jobs.start_job(a['id'])
    rows, total = jobs.list_jobs(state='running', with_total=True)
    assert [r['id'] for r in rows] == [a['id']] and total == 1
    assert len(jobs.list_jobs(trigger='periodic')) == 1
    assert jobs.storage_sync_statuses([one['id'], two['id'], idle['id']]) \
        == {one['id']: jobs.SYNCING, two['id']: jobs.SYNCING,
            idle['id']: jobs.SYNCED}
    assert set(jobs.storage_sync_statuses()) == {one['id'], two['id']}
    assert jobs.storage_sync_statuses([]) == {}


def test_freshness_keeps_the_last_success_beside_a_failure(database,
                                                           make_storage):
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    jobs.record_freshness(storage['id'], 'volume', job['id'], 1.5, 42)
    good = jobs.get_freshness(storage['id'])['volume']
    assert good['item_count'] == 42 and good['last_error'] is None
    assert good['last_duration'] == pytest.approx(1.5)
    jobs.record_freshness(storage['id'], 'volume', job['id'], 0.1,
                          error='ConnectTimeout: boom')
    bad = jobs.get_freshness(storage['id'])['volume']
    assert bad['last_error'] == 'ConnectTimeout: boom'
    assert bad['last_success_at'] == good['last_success_at']
    assert bad['item_count'] == 42
    assert bad['last_attempt_at'] >= good['last_attempt_at']


def test_freshness_of_a_deleted_storage_is_not_recorded(database):
    jobs.record_freshness('gone', 'volume', 'job', 1.0, 1)
    assert jobs.get_freshness('gone') == {}


def test_schedule_state_counts_consecutive_failures(database, make_storage):
    storage, fresh = make_storage(), make_storage()
    for state in ('failed', 'succeeded', 'failed', 'failed'):
        job = jobs.create_sync_job(storage['id'])
        jobs.start_job(job['id'])
        jobs.finish_job(job['id'], state)
    state = jobs.schedule_state()
    assert state[storage['id']]['failures'] == 2
    assert state[storage['id']]['active'] is False
    assert state[fresh['id']] == {'last': None, 'failures': 0,
                                  'active': False}
    jobs.create_sync_job(fresh['id'])
    assert jobs.schedule_state()[fresh['id']]['active'] is True


def test_freshness_metrics(database, make_storage):
    from prometheus_client import CollectorRegistry
    from prometheus_client import generate_latest
    registry = CollectorRegistry()
    assert jobs.register_metrics(registry) is jobs.register_metrics(registry)
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    jobs.record_freshness(storage['id'], 'volume', job['id'], 2.0, 7)
    jobs.record_freshness(storage['id'], 'port', job['id'], 0.5,
                          error='boom')
    text = generate_latest(registry).decode()
    labels = '{kind="volume",storage_id="%s"}' % storage['id']
    assert 'delfin_sync_items%s 7.0' % labels in text
    assert 'delfin_sync_last_duration_seconds%s 2.0' % labels in text
    assert 'delfin_sync_last_success_timestamp_seconds%s' % labels in text
    assert 'delfin_sync_failing{kind="port",storage_id="%s"} 1.0' \
        % storage['id'] in text
    assert 'delfin_sync_jobs_active{state="queued"} 1.0' in text
    with db_engine.reader() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            schema.sync_freshness)).scalar() == 2


def test_freshness_is_served_on_the_metrics_endpoint(sqlite_database,
                                                     make_storage):
    import webob
    from delfin.api import app as api_app
    storage = make_storage()
    job = jobs.create_sync_job(storage['id'])
    jobs.record_freshness(storage['id'], 'disk', job['id'], 0.25, 3)
    resp = webob.Request.blank('/metrics').get_response(api_app.make_app())
    assert resp.status_int == 200
    assert 'delfin_sync_items{kind="disk",storage_id="%s"} 3.0' \
        % storage['id'] in resp.text
