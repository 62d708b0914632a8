"""The task node's endpoint: bounded worker pool, stop semantics, and the
work it dispatches."""
import threading
import time

from delfin import context
from delfin.task_manager import manager
from delfin.tests import conftest


def _blocking(release, running, peak, lock):
    def work(ctxt):
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        release.wait(10)
        with lock:
            running.pop()
    return work


def test_at_most_workers_tasks_run_at_once():
    tm = manager.TaskManager(workers=2)
    tm.start()
    release, running, peak, lock = threading.Event(), [], [0], threading.Lock()
    work = _blocking(release, running, peak, lock)
    futures = [tm._submit('work', work, context.get_admin_context())
               for _ in range(6)]
    time.sleep(0.2)
    assert peak[0] == 2
    assert not tm.idle()
    release.set()
    for f in futures:
        f.result(10)
    assert peak[0] == 2
    assert tm.idle()
    tm.stop(5)


def test_stop_drops_queued_work_and_waits_for_running_work():
    tm = manager.TaskManager(workers=1)
    tm.start()
    release, running, peak, lock = threading.Event(), [], [0], threading.Lock()
    work = _blocking(release, running, peak, lock)
    first = tm._submit('work', work, context.get_admin_context())
    queued = tm._submit('work', work, context.get_admin_context())
    time.sleep(0.1)
    threading.Timer(0.3, release.set).start()
    tm.stop(5)
    assert first.done() and not first.cancelled()
    assert queued.cancelled()
    # A stopped manager takes nothing more.
    assert tm._submit('work', work, context.get_admin_context()) is None


def test_a_failing_task_does_not_stop_the_others(caplog):
    tm = manager.TaskManager(workers=1)
    tm.start()
    done = []

    def boom(ctxt):
        raise RuntimeError('backend exploded')

    tm._submit('boom', boom, context.get_admin_context()).result(5)
    tm._submit('ok', lambda ctxt: done.append(1),
               context.get_admin_context()).result(5)
    tm.stop(5)
    assert done == [1]
    assert 'backend exploded' in caplog.text


def test_stop_cancels_the_sync_jobs_this_node_holds(sqlite_engine):
    from delfin.task_manager import jobs
    # Every driver call of these storages takes 0.3 s: the first sync is
    # still running, the second one queued, when the node stops.
    slow = {'fake_api_time_range': '0.3-0.3'}
    storages = [conftest.register_fake_storage(slow, host='192.0.2.%d' % i)
                for i in (31, 32)]
    tm = manager.TaskManager(workers=1)
    tm.start()
    held = []
    for storage_id in storages:
        job = jobs.create_sync_job(storage_id, trigger='manual')
        tm.sync_storage(context.get_admin_context(), storage_id, job['id'])
        held.append(job['id'])
    conftest.wait_for(lambda: jobs.get_job(held[0])['state'] == 'running',
                      10, what='first sync running')
    started = time.monotonic()
    tm.stop(timeout=20)
    assert time.monotonic() - started < 5
    for job_id in held:
        job = jobs.get_job(job_id)
        assert job['state'] == 'cancelled', job
        assert job['error'] == 'The task node stopped.'
    assert all(jobs.active_job(s) is None for s in storages)
