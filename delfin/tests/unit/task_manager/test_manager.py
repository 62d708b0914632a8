"""The task node's endpoint: bounded worker pool, stop semantics, and the
work it dispatches."""
import threading
import time

from delfin import context
from delfin.task_manager import manager


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
