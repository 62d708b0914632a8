"""The periodic scheduler's delays (no database)."""
from delfin.task_manager import periodic


def _sched(**kwargs):
    kwargs.setdefault('interval', 100.0)
    kwargs.setdefault('jitter', 0.2)
    kwargs.setdefault('max_backoff', 1000.0)
    kwargs.setdefault('initial_delay', 0)
    return periodic.PeriodicSync(lambda job: None, **kwargs)


def test_phase_is_fixed_per_storage_and_spread():
    phases = [periodic.phase('storage-%d' % n) for n in range(1000)]
    assert all(0 <= p < 1 for p in phases)
    assert phases == [periodic.phase('storage-%d' % n) for n in range(1000)]
    # Roughly uniform: every tenth of the window is used.
    assert len({int(p * 10) for p in phases}) == 10


def test_backoff_doubles_up_to_the_limit():
    sched = _sched(jitter=0)
    assert [sched.delay('s', n) for n in range(6)] == [
        100, 200, 400, 800, 1000, 1000]
    assert sched.delay('s', 10 ** 6) == 1000


def test_backoff_never_shorter_than_the_interval():
    sched = _sched(jitter=0, interval=5000.0, max_backoff=1000.0)
    assert sched.delay('s', 3) == 5000


def test_jitter_bounds():
    sched = _sched(jitter=0.2)
    delays = [sched.delay('storage-%d' % n) for n in range(500)]
    assert min(delays) >= 90 and max(delays) <= 110
    assert max(delays) - min(delays) > 15
