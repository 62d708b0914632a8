"""Scheduled performance collection of the fake driver's samples, end to
end on each database: the windows asked for, retried, resumed after a
restart, the samples seen twice dropped, a hung driver cut off, and the
storages shared by two nodes."""
import threading
import time
import types

import pytest
from oslo_config import cfg

from delfin.db import api as db_api
from delfin.drivers import api as driver_api
from delfin.drivers.fake_storage import performance
from delfin.telemetry import collector as collector_mod
from delfin.telemetry import exporters
from delfin.telemetry import state
from delfin.tests import conftest

CONF = cfg.CONF
MIN = 60
# Fake driver: 1 storage + 2 resources of each other type, a few metrics.
LIMIT = 2


class Recorder(exporters.PerformanceExporter):
    """An exporter that keeps what it is given."""
    name = 'recorder'

    def __init__(self):
        self.batches = []
        self.forgotten = []

    def export(self, batch):
        self.batches.append(batch)

    def forget(self, storage_id):
        self.forgotten.append(storage_id)

    def samples(self, storage_id=None):
        out = []
        for b in self.batches:
            if storage_id in (None, b.storage['id']):
                for m in b.metrics:
                    for ts in m.values:
                        out.append((m.labels['resource_type'],
                                    m.labels['resource_id'], m.name, ts))
        return out


class Clock(object):
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def _settings():
    CONF.set_override('fake_perf_resource_limit', LIMIT,
                      group='fake_driver')
    CONF.set_override('performance_collection_interval', 10 * MIN,
                      group='telemetry')
    CONF.set_override('performance_timestamp_overlap', MIN,
                      group='telemetry')
    CONF.set_override('performance_retry_interval', MIN, group='telemetry')


def _collector(recorder, clock, owns=None, timeout=30):
    dispatcher = exporters.Dispatcher([recorder])
    dispatcher.start()
    c = collector_mod.PerformanceCollector(
        owns=owns or (lambda sid: True), clock=clock,
        dispatcher=dispatcher, timeout=timeout)
    return c, dispatcher


def _drain(dispatcher):
    conftest.wait_for(dispatcher.idle, 10, what='exporters idle')


def _expected_series(storage_id):
    """(resource type, metric) pairs the fake driver offers, with the
    resources it samples: its own capabilities, read independently."""
    caps = performance.capabilities()['resource_metrics']
    return sum(len(m) for m in caps.values())


def test_collects_due_windows_and_drops_what_it_saw(database):
    sid = conftest.register_fake_storage()
    rec = Recorder()
    # Half a minute past a minute: a window holds 10 minute samples.
    clock = Clock(1_800_000_030.0)
    c, dispatcher = _collector(rec, clock)
    try:
        assert c.tick(wait=True) == [sid]
        _drain(dispatcher)
        first = rec.samples(sid)
        assert first
        ts = sorted({s[3] for s in first})
        # One sample a minute over the first 10-minute window.
        assert ts[-1] <= clock.now * 1000
        assert ts[0] >= clock.now * 1000 - 10 * MIN * 1000
        assert len(ts) == 10
        record = state.get(sid)
        assert record['collected_until'] == int(clock.now * 1000)
        assert record['windows_collected'] == 1
        assert record['samples_collected'] == len(first)

        # Not due again before the interval.
        clock.now += 5 * MIN
        assert c.tick(wait=True) == []
        clock.now += 5 * MIN
        assert c.tick(wait=True) == [sid]
        _drain(dispatcher)
        second = rec.samples(sid)[len(first):]
        # The window overlapped the first by a minute: nothing twice.
        assert not set(first) & set(second)
        assert len(set(first) | set(second)) == len(first) + len(second)
        assert len({s[3] for s in second}) == 10
        assert state.get(sid)['windows_collected'] == 2
        # Every series carries Delfin's labels.
        labels = rec.batches[-1].metrics[0].labels
        storage = db_api.get('storage', sid)
        assert labels['storage_id'] == sid
        assert labels['storage_name'] == storage['name']
        assert labels['storage_sn'] == storage['serial_number']
        assert labels['type'] == 'RAW'
        assert labels['value_type'] == 'gauge'
    finally:
        c.stop(10)


def test_a_failed_window_is_asked_for_again(database):
    sid = conftest.register_fake_storage()
    rec = Recorder()
    clock = Clock(1_800_000_000.0)
    c, dispatcher = _collector(rec, clock)
    try:
        c.tick(wait=True)
        until = state.get(sid)['collected_until']
        CONF.set_override('fail_on', ['collect_perf_metrics'],
                          group='fake_driver')
        clock.now += 10 * MIN
        assert c.tick(wait=True) == [sid]
        record = state.get(sid)
        assert record['windows_failed'] == 1
        assert record['collected_until'] == until
        assert 'simulated failure' in record['last_error']
        # Not before the retry interval.
        clock.now += 30
        assert c.tick(wait=True) == []
        CONF.clear_override('fail_on', group='fake_driver')
        clock.now += 31
        assert c.tick(wait=True) == [sid]
        _drain(dispatcher)
        record = state.get(sid)
        assert record['windows_collected'] == 2
        assert record['windows_lost'] == 0
        assert record['last_error'] is None
        # The retried window covers the failed one: every minute from the
        # first window's end on is there once.
        stamps = sorted({s[3] for s in rec.samples(sid)})
        assert stamps == list(range(stamps[0], stamps[-1] + 1, MIN * 1000))
    finally:
        c.stop(10)


def test_a_restart_resumes_from_the_last_window(database):
    sid = conftest.register_fake_storage()
    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock)
    c.tick(wait=True)
    _drain(dispatcher)
    c.stop(10)
    before = set(rec.samples(sid))
    # Down for 40 minutes: the fake backend keeps 75 minutes of history.
    clock.now += 40 * MIN
    rec2 = Recorder()
    c2, dispatcher2 = _collector(rec2, clock)
    try:
        assert c2.tick(wait=True) == [sid]
        _drain(dispatcher2)
        after = set(rec2.samples(sid))
        assert not before & after
        stamps = sorted({s[3] for s in before | after})
        assert stamps == list(range(stamps[0], stamps[-1] + 1, MIN * 1000))
        # From the first window's start to now, every minute once.
        assert stamps[0] == int(clock.now - 50 * MIN) * 1000
        assert stamps[-1] == int(clock.now) * 1000
        assert state.get(sid)['windows_lost'] == 0
    finally:
        c2.stop(10)


def test_history_the_backend_lost_is_counted(database):
    sid = conftest.register_fake_storage()
    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock)
    try:
        c.tick(wait=True)
        # Three hours later: the backend keeps 4500 s.
        clock.now += 180 * MIN
        assert c.tick(wait=True) == [sid]
        record = state.get(sid)
        history = performance.capabilities()[
            'performance_metric_retention_window']
        missed = 180 * MIN - history - MIN
        assert record['windows_lost'] == -(-missed // (10 * MIN))
        assert record['windows_collected'] == 2
    finally:
        c.stop(10)


def test_samples_stamped_late_by_the_backend_are_kept_once(database):
    """The backend's clock is behind: a window ends before its newest
    samples exist; the overlap of the next window finds them."""
    sid = conftest.register_fake_storage()
    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock)
    real = driver_api.API.collect_perf_metrics
    skew = 45 * 1000

    def behind(self, context, storage_id, resource_metrics, start, end):
        # What the backend has at ``end`` by our clock.
        return real(self, context, storage_id, resource_metrics, start,
                    end - skew)

    c.driver.collect_perf_metrics = behind.__get__(c.driver)
    try:
        c.tick(wait=True)
        clock.now += 10 * MIN
        c.tick(wait=True)
        _drain(dispatcher)
        samples = rec.samples(sid)
        assert len(samples) == len(set(samples))
        stamps = sorted({s[3] for s in samples})
        assert stamps == list(range(stamps[0], stamps[-1] + 1, MIN * 1000))
    finally:
        c.stop(10)


def test_a_driver_that_hangs_is_cut_off_and_blocks_no_one(database):
    slow = conftest.register_fake_storage(host='192.0.2.7')
    fast = conftest.register_fake_storage(host='192.0.2.8')
    release = threading.Event()
    real = driver_api.API.collect_perf_metrics

    def maybe_hang(self, context, storage_id, *args):
        if storage_id == slow:
            release.wait(30)
        return real(self, context, storage_id, *args)

    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock, timeout=0.5)
    c.driver.collect_perf_metrics = maybe_hang.__get__(c.driver)
    try:
        started = time.monotonic()
        assert sorted(c.tick(wait=True)) == sorted([slow, fast])
        assert time.monotonic() - started < 10
        assert state.get(fast)['windows_collected'] == 1
        record = state.get(slow)
        assert record['windows_failed'] == 1
        assert 'did not answer within 0.5 s' in record['last_error']
        # While the cut-off call still runs, the storage is not asked
        # again.
        clock.now += 10 * MIN
        assert c.tick(wait=True) == [fast]
        release.set()
        conftest.wait_for(lambda: not c._hung[slow].is_alive(), 10)
        clock.now += 10 * MIN
        assert sorted(c.tick(wait=True)) == sorted([slow, fast])
        assert state.get(slow)['windows_collected'] == 1
    finally:
        release.set()
        c.stop(10)


def test_two_nodes_collect_disjoint_storages(database):
    ids = [conftest.register_fake_storage(host='192.0.2.%d' % n)
           for n in range(20, 26)]
    mine = set(ids[::2])
    clock = Clock(1_800_000_000.0)
    rec_a, rec_b = Recorder(), Recorder()
    a, da = _collector(rec_a, clock, owns=lambda sid: sid in mine)
    b, db_ = _collector(rec_b, clock, owns=lambda sid: sid not in mine)
    try:
        assert set(a.tick(wait=True)) == mine
        assert set(b.tick(wait=True)) == set(ids) - mine
        _drain(da)
        _drain(db_)
        assert {x.storage['id'] for x in rec_a.batches} == mine
        assert {x.storage['id'] for x in rec_b.batches} == set(ids) - mine
    finally:
        a.stop(10)
        b.stop(10)


def test_a_removed_storage_is_forgotten_by_the_exporters(database):
    sid = conftest.register_fake_storage()
    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock)
    try:
        c.tick(wait=True)
        db_api.delete('storage', sid)
        c.tick(wait=True)
        _drain(dispatcher)
        assert rec.forgotten == [sid]
        assert state.get(sid) is None
    finally:
        c.stop(10)


def test_a_storage_switched_off_is_not_collected(database):
    sid = conftest.register_fake_storage()
    state.configure(sid, enabled=False)
    rec = Recorder()
    c, _dispatcher = _collector(rec, Clock(1_800_000_000.0))
    try:
        assert c.tick(wait=True) == []
        state.configure(sid, enabled=True, interval=120)
        assert c.tick(wait=True) == [sid]
        first = state.get(sid)['collected_until']
        c.clock.now += 120
        assert c.tick(wait=True) == [sid]
        assert state.get(sid)['collected_until'] == first + 120 * 1000
    finally:
        c.stop(10)


def test_a_node_takes_over_the_collection_of_a_dead_one(sqlite_database):
    """Two task nodes share the storages through a real Redis group; one
    dies without a goodbye and the other collects its storages, from the
    window the dead one left off."""
    import uuid
    url = conftest.require_service('redis')
    url += '?namespace=delfin-test-%s' % uuid.uuid4().hex[:8]
    ids = [conftest.register_fake_storage(host='192.0.2.%d' % n)
           for n in range(30, 36)]
    clock = Clock(1_800_000_000.0)
    with conftest.coordinator_nodes(url) as make:
        node_a, node_b = make('node-a'), make('node-b')
        conftest.wait_for(lambda: node_a.members == ['node-a', 'node-b']
                          and node_b.members == ['node-a', 'node-b'], 10,
                          what='both members')
        rec_a, rec_b = Recorder(), Recorder()
        a, _da = _collector(rec_a, clock, owns=node_a.owns)
        b, _db = _collector(rec_b, clock, owns=node_b.owns)
        try:
            owned_a, owned_b = set(a.tick(wait=True)), set(b.tick(wait=True))
            assert owned_a and owned_b
            assert not owned_a & owned_b
            assert owned_a | owned_b == set(ids)
            until = {sid: state.get(sid)['collected_until']
                     for sid in owned_b}
            # b's process dies: no heartbeat, no goodbye.
            node_b._stopping.set()
            node_b._thread.join(5)
            b.stop(10)
            conftest.wait_for(lambda: node_a.members == ['node-a'], 15,
                              what='node-b expired')
            clock.now += 10 * MIN
            assert set(a.tick(wait=True)) == set(ids)
            for sid in owned_b:
                record = state.get(sid)
                assert record['windows_collected'] == 2
                assert record['collected_until'] == until[sid] + 10 * MIN \
                    * 1000
                assert record['windows_lost'] == 0
        finally:
            a.stop(10)
            node_b._tooz = None     # its connection is gone with it


def test_a_driver_answering_a_list_is_collected_as_a_generator_is(
        database):
    """Delfin's drivers answer lists; the fake driver generates its
    samples, read as they come: both give the window's samples."""
    sid = conftest.register_fake_storage()
    real = driver_api.API.collect_perf_metrics
    answers = []

    def as_list(self, *args):
        answer = real(self, *args)
        answers.append(answer)
        return list(answer)

    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock)
    c.driver.collect_perf_metrics = as_list.__get__(c.driver)
    try:
        assert c.tick(wait=True) == [sid]
        _drain(dispatcher)
        window = c._plans[sid].resource_metrics
        now = int(clock.now * 1000)
        expected = {(m.labels['resource_type'], m.labels['resource_id'],
                     m.name, ts)
                    for m in real(c.driver, None, sid, window,
                                  now - 10 * MIN * 1000, now)
                    for ts in m.values}
    finally:
        c.stop(10)
    assert len(answers) == 1
    assert isinstance(answers[0], types.GeneratorType)
    assert expected and set(rec.samples(sid)) == expected
    assert len(rec.samples(sid)) == len(expected)


def test_a_driver_that_hangs_in_the_middle_of_its_samples_is_cut_off(
        database):
    sid = conftest.register_fake_storage()
    release = threading.Event()
    real = driver_api.API.collect_perf_metrics
    hung = []

    def stalls(self, *args):
        answer = real(self, *args)
        for n, m in enumerate(answer):
            if n == 3 and not hung:
                hung.append(True)
                release.wait(30)
            yield m

    clock = Clock(1_800_000_000.0)
    rec = Recorder()
    c, dispatcher = _collector(rec, clock, timeout=0.5)
    c.driver.collect_perf_metrics = stalls.__get__(c.driver)
    try:
        started = time.monotonic()
        assert c.tick(wait=True) == [sid]
        assert time.monotonic() - started < 10
        record = state.get(sid)
        assert record['windows_failed'] == 1
        assert record['windows_collected'] == 0
        assert 'did not answer within 0.5 s' in record['last_error']
        _drain(dispatcher)
        assert rec.batches == []
        release.set()
        conftest.wait_for(lambda: not c._hung[sid].is_alive(), 10)
        # What the cut-off call read was never passed on: the window is
        # collected whole, its first samples included.
        clock.now += MIN
        assert c.tick(wait=True) == [sid]
        _drain(dispatcher)
        assert state.get(sid)['windows_collected'] == 1
        samples = rec.samples(sid)
        assert len(samples) == len(set(samples))
        stamps = sorted({s[3] for s in samples})
        assert stamps == list(range(stamps[0], stamps[-1] + 1, MIN * 1000))
        assert len(stamps) == 11
    finally:
        release.set()
        c.stop(10)
