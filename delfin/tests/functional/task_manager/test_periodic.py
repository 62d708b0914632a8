"""Periodic sync scheduling with a controllable clock, on every database."""
import threading
import time

import pytest

from delfin.task_manager import jobs
from delfin.task_manager import periodic

HOUR = 3600.0


class Clock(object):
    """Wall time, moved forward by the test."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset

    def advance(self, seconds):
        self.offset += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def submitted():
    return []


def scheduler(clock, submitted, **kwargs):
    kwargs.setdefault('interval', HOUR)
    kwargs.setdefault('jitter', 0.2)
    kwargs.setdefault('max_backoff', 8 * HOUR)
    kwargs.setdefault('initial_delay', 0)
    return periodic.PeriodicSync(submitted.append, clock=clock, **kwargs)


def finish(job, state='succeeded'):
    jobs.start_job(job['id'])
    jobs.finish_job(job['id'], state)


def test_never_synced_storages_are_due_at_once(database, make_storage,
                                               clock, submitted):
    one, two = make_storage(), make_storage()
    created = scheduler(clock, submitted).tick()
    assert sorted(j['storage_id'] for j in created) == sorted(
        [one['id'], two['id']])
    assert submitted == created
    assert {j['trigger'] for j in created} == {'periodic'}
    assert all(jobs.get_job(j['id'])['state'] == 'queued' for j in created)


def test_a_storage_is_due_one_jittered_interval_after_its_last_job(
        database, make_storage, clock, submitted):
    storage = make_storage()
    sched = scheduler(clock, submitted)
    finish(jobs.create_sync_job(storage['id']))
    delay = sched.delay(storage['id'])
    assert 0.9 * HOUR <= delay <= 1.1 * HOUR
    assert sched.tick() == []
    clock.advance(delay - 30)
    assert sched.tick() == []
    clock.advance(60)
    assert [j['storage_id'] for j in sched.tick()] == [storage['id']]


def test_no_second_job_while_one_is_active(database, make_storage, clock,
                                           submitted):
    storage = make_storage()
    sched = scheduler(clock, submitted)
    assert len(sched.tick()) == 1
    clock.advance(10 * HOUR)
    assert sched.tick() == []
    assert sched.next_times()[storage['id']] is None


def test_two_nodes_never_start_the_same_sync(database, make_storage, clock):
    storages = [make_storage() for _ in range(5)]
    first, second = [], []
    nodes = [scheduler(clock, first), scheduler(clock, second)]
    barrier = threading.Barrier(2)

    def tick(node):
        barrier.wait()
        node.tick()

    threads = [threading.Thread(target=tick, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    started = sorted(j['storage_id'] for j in first + second)
    assert started == sorted(s['id'] for s in storages)


def test_jitter_spreads_storages_deterministically(
        database, clock, submitted):
    sched = scheduler(clock, submitted, jitter=0.5)
    ids = ['storage-%d' % n for n in range(200)]
    delays = [sched.delay(i) for i in ids]
    assert all(0.75 * HOUR <= d <= 1.25 * HOUR for d in delays)
    assert max(delays) - min(delays) > 0.4 * HOUR
    assert len(set(delays)) == len(ids)
    assert delays == [sched.delay(i) for i in ids]
    none = scheduler(clock, submitted, jitter=0)
    assert {none.delay(i) for i in ids} == {HOUR}


def test_failing_storages_back_off_exponentially(database, make_storage,
                                                 clock, submitted):
    storage = make_storage()
    sched = scheduler(clock, submitted, jitter=0)
    for failures in range(1, 6):
        clock.offset = 0    # the job ends now
        finish(jobs.create_sync_job(storage['id']), 'failed')
        expected = min(HOUR * 2 ** failures, 8 * HOUR)
        assert jobs.schedule_state()[storage['id']]['failures'] == failures
        assert sched.delay(storage['id'], failures) == expected
        clock.advance(expected - 60)
        assert sched.due() == []
        clock.advance(120)
        assert sched.due() == [storage['id']]
    # One success restores the normal interval.
    clock.offset = 0
    finish(jobs.create_sync_job(storage['id']))
    clock.advance(HOUR + 60)
    assert sched.due() == [storage['id']]


def test_most_overdue_first(database, make_storage, clock, submitted):
    old, recent = make_storage(), make_storage()
    sched = scheduler(clock, submitted, jitter=0)
    finish(jobs.create_sync_job(old['id']))
    clock.advance(600)
    # A later job of the other storage (real time moves on too).
    time.sleep(0.01)
    finish(jobs.create_sync_job(recent['id']))
    clock.advance(2 * HOUR)
    assert sched.due() == [old['id'], recent['id']]


def test_a_job_that_cannot_be_submitted_is_cancelled(database, make_storage,
                                                     clock):
    storage = make_storage()

    def broken(job):
        raise RuntimeError('no worker')
    sched = periodic.PeriodicSync(broken, clock=clock, interval=HOUR,
                                  initial_delay=0)
    assert sched.tick() == []
    assert jobs.storage_sync_status(storage['id']) == jobs.SYNCED
    [job] = jobs.list_jobs(storage_id=storage['id'])
    assert job['state'] == 'cancelled'


def test_owned_storages_only(database, make_storage, clock, submitted):
    mine = make_storage()
    make_storage()
    sched = scheduler(clock, submitted, owns=lambda sid: sid == mine['id'])
    assert [j['storage_id'] for j in sched.tick()] == [mine['id']]


def test_interval_zero_disables(database, make_storage, clock, submitted):
    make_storage()
    sched = scheduler(clock, submitted, interval=0)
    assert sched.due() == [] and sched.tick() == []
    sched.start()
    assert sched._thread is None
    sched.stop()


def test_component_runs_until_stopped(database, make_storage, submitted):
    storage = make_storage()
    seen = threading.Event()

    def submit(job):
        submitted.append(job)
        seen.set()
    sched = periodic.PeriodicSync(submit, interval=HOUR, check_interval=0.05,
                                  initial_delay=0)
    sched.start()
    try:
        assert seen.wait(30)
    finally:
        sched.stop(10)
    assert [j['storage_id'] for j in submitted] == [storage['id']]
    assert sched._thread is None


def test_periodic_enable_false_disables(database, make_storage, clock,
                                        submitted):
    from oslo_config import cfg
    make_storage()
    cfg.CONF.set_override('periodic_enable', False)
    sched = scheduler(clock, submitted)
    assert sched.enabled is False and sched.tick() == []


def test_tick_forgets_drivers_of_deleted_storages(database, make_storage,
                                                  clock, submitted):
    from delfin.db import api as db_api
    from delfin.drivers import manager as drivers_manager
    kept, deleted = make_storage(), make_storage()
    mgr = drivers_manager.get_manager()
    for storage in (kept, deleted):
        mgr.get_driver(storage['id'], {'vendor': 'fake_storage',
                                       'model': 'fake_driver'})
    # Deleted through another process: this one still caches its driver.
    db_api.delete('storage', deleted['id'])
    scheduler(clock, submitted).tick()
    assert mgr.cached_driver(kept['id']) is not None
    assert mgr.cached_driver(deleted['id']) is None


def test_jobs_left_queued_are_handed_over_again(database, make_storage,
                                                clock, submitted):
    # A sync requested before a restart: its request was lost with the
    # process, and the job would block the storage's syncs.
    storage = make_storage()
    lost = jobs.create_sync_job(storage['id'])
    sched = scheduler(clock, submitted, requeue_after=300)
    assert sched.requeue() == []
    clock.advance(301)
    assert [j['id'] for j in sched.requeue()] == [lost['id']]
    assert [j['id'] for j in submitted] == [lost['id']]
    # Not again right away; again after another while if still queued.
    assert sched.requeue() == []
    clock.advance(301)
    assert [j['id'] for j in sched.requeue()] == [lost['id']]
    # Once it runs it is left alone.
    jobs.start_job(lost['id'])
    clock.advance(301)
    assert sched.requeue() == []


def test_requeue_zero_never_hands_over_again(database, make_storage,
                                             clock, submitted):
    jobs.create_sync_job(make_storage()['id'])
    clock.advance(10 * HOUR)
    assert scheduler(clock, submitted, requeue_after=0).requeue() == []
