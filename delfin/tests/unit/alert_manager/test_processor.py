"""The trap processor with the fake storage driver and a real SQLite
store: storage attributes, the dict drivers receive, drops by reason,
polls for incomplete traps, attribution to another storage; the same
work done ahead by the listener's workers (`TrapPreparer`)."""
import pickle
import threading

import pytest

from delfin.alert_manager import listener
from delfin.alert_manager import processor as alert_processor
from delfin.alert_manager import store as alert_store
from delfin.alert_manager.snmp import decoder
from delfin import cryptor
from delfin.db import api as db_api
from delfin.drivers.fake_storage import alerts as fake_alerts

UPTIME = decoder.SYS_UPTIME_OID
TRAP_OID = decoder.SNMP_TRAP_OID_OID


def register(make_storage, vendor='fake_storage', model='fake_driver',
             **values):
    storage = make_storage(**values)
    db_api.create('access_info', {
        'storage_id': storage['id'], 'vendor': vendor, 'model': model,
        'rest': {'host': '192.0.2.1', 'port': 8443, 'username': 'u',
                 'password': cryptor.encode('p')}})
    return storage


def trap(owners, number=1, source_ip='10.0.0.1', **varbinds):
    binds = {UPTIME: '100',
             TRAP_OID: '%s.%d' % (fake_alerts.TRAP_PREFIX, number)}
    binds.update(varbinds)
    return decoder.Trap('v2c', source_ip, 1234, binds[TRAP_OID], binds,
                        owners=tuple(owners))


class Polls(object):
    def __init__(self):
        self.asked = []

    def __call__(self, storage_id):
        self.asked.append(storage_id)


@pytest.fixture
def make(sqlite_database):
    def build(storages, writer=False):
        polls = Polls()
        proc = alert_processor.AlertProcessor(
            alert_store.AlertStore(), poll=polls, writer=writer)
        proc.set_storages(alert_processor.load_storages(
            [s['id'] for s in storages]))
        return proc, polls
    return build


def stored(storage):
    return db_api.list_rows('alert', filters={'storage_id': storage['id']})


def test_trap_is_parsed_by_the_storage_driver_and_stored(make,
                                                         make_storage):
    storage = register(make_storage)
    controller = db_api.create('controller', {
        'storage_id': storage['id'], 'native_controller_id': 'c1',
        'name': 'ctrl-a', 'mgmt_ip': '10.0.0.1'})
    proc, _ = make([storage])
    result = proc.handle([trap([storage['id']], 3)])
    assert result.new == 1
    [row] = stored(storage)
    assert row['alert_id'] == fake_alerts.TRAP_PREFIX + '.3'
    assert row['location'] == '10.0.0.1'
    assert row['source'] == 'trap'
    # The driver saw the controller whose management address sent it.
    assert 'controller_name=%s' % controller['name'] in row['description']
    assert proc.stored == 1


def test_alerts_carry_the_storage_attributes(make, make_storage):
    storage = register(make_storage)
    proc, _ = make([storage])
    result = proc.handle([trap([storage['id']])])
    # Without exporters no changes are collected at all.
    assert result.new == 1 and result.changes == []
    row = stored(storage)[0]
    view = alert_store.query(filters={'id': row['id']})[0]
    assert view['storage_name'] == storage['name']
    assert view['serial_number'] == storage['serial_number']


def test_unknown_and_gone_storages_are_dropped(make, make_storage):
    storage = register(make_storage)
    proc, _ = make([storage])
    proc.handle([trap(['no-such-storage']), trap([])])
    assert proc.dropped['unknown_source'] == 2
    # Deleted after the snapshot was taken: the store drops it.
    db_api.delete('storage', storage['id'])
    proc.handle([trap([storage['id']])])
    assert proc.dropped['unknown_source'] == 3
    assert db_api.count('alert') == 0


def test_storage_without_a_driver_counts_parse_failures(make, make_storage):
    storage = register(make_storage, vendor='nobody', model='nothing')
    proc, _ = make([storage])
    proc.handle([trap([storage['id']])])
    assert proc.dropped['parse_failed'] == 1


def test_incomplete_trap_asks_for_a_poll(make, make_storage):
    storage = register(make_storage)
    proc, polls = make([storage])
    incomplete = decoder.Trap('v2c', '10.0.0.1', 1, '', {UPTIME: '1'},
                              owners=(storage['id'],))
    proc.handle([incomplete])
    assert polls.asked == [storage['id']]
    assert proc.ignored['incomplete'] == 1
    assert db_api.count('alert') == 0


def test_first_known_owner_is_used(make, make_storage):
    first, second = register(make_storage), register(make_storage)
    proc, _ = make([second])
    proc.handle([trap(['unknown', second['id'], first['id']])])
    assert len(stored(second)) == 1 and stored(first) == []


def test_alert_naming_another_storage_is_attributed_to_it(make,
                                                          make_storage):
    manager = register(make_storage, vendor='v', model='m')
    array = register(make_storage, vendor='v', model='m')
    proc, _ = make([manager, array])
    info = proc.storage(manager['id'])
    assert proc._attribute(info, {'serial_number': array['serial_number']},
                           (manager['id'],)).id == array['id']
    assert proc._attribute(info, {'storage_name': array['name']},
                           (manager['id'],)).id == array['id']
    assert proc._attribute(info, {}, (manager['id'],)).id == manager['id']
    assert proc._attribute(info, {'serial_number': 'elsewhere'},
                           (manager['id'],)) is None


def test_writer_thread_stores_and_flushes(make, make_storage):
    storage = register(make_storage)
    proc, _ = make([storage], writer=True)
    try:
        for n in range(20):
            assert proc.handle([trap([storage['id']], n % 4)]) is None
        assert proc.flush(10)
        assert sum(r['occurrence_count'] for r in stored(storage)) == 20
        assert len(stored(storage)) == 4
    finally:
        proc.stop(10)


def test_poll_trigger_debounces_per_storage():
    asked = []
    done = threading.Event()

    def cast(storage_id):
        asked.append(storage_id)
        done.set()
    trigger = alert_processor.PollTrigger(delay=0.05, cast=cast)
    assert trigger('s1') is True
    assert trigger('s1') is False
    assert done.wait(5)
    assert asked == ['s1']
    assert trigger('s1') is True
    trigger.cancel()


# -- the per-trap work done in the listener's workers ----------------------

def shipped(proc):
    """The processor's preparer as a worker process receives it."""
    return pickle.loads(pickle.dumps(proc.preparer()))


def as_from_worker(traps, prepared):
    """The batch the handler gets from a worker: prepared traps come
    without their variable bindings."""
    batch = listener.TrapBatch(
        trap if done is None else decoder.Trap(
            trap.version, trap.source_ip, trap.source_port, trap.trap_oid,
            {}, owners=trap.owners)
        for trap, done in zip(traps, prepared))
    batch.prepared = prepared
    return batch


COMPARED = ('alert_id', 'alert_name', 'severity', 'category', 'type',
            'sequence_number', 'description', 'recovery_advice',
            'resource_type', 'location', 'match_key', 'clear_category',
            'occurrence_count', 'state', 'source')


def test_worker_path_stores_what_the_parent_path_stores(make, make_storage):
    here, there = register(make_storage), register(make_storage)
    for storage in (here, there):
        db_api.create('controller', {
            'storage_id': storage['id'], 'native_controller_id': 'c1',
            'name': 'ctrl-' + storage['id'][:4], 'mgmt_ip': '10.0.0.1'})
    proc, _ = make([here, there])
    proc.handle([trap([here['id']], 7), trap([here['id']], 7)])
    traps = [trap([there['id']], 7), trap([there['id']], 7)]
    prepared = shipped(proc)(traps)
    assert [p[0] for p in prepared] == [alert_processor.ALERT] * 2
    result = proc.handle(as_from_worker(traps, prepared))
    assert result.new == 1 and result.repeated == 1
    [parent] = stored(here)
    [worker] = stored(there)
    assert parent['description'].replace(here['id'][:4], 'x') == \
        worker['description'].replace(there['id'][:4], 'x')
    assert {k: parent[k] for k in COMPARED if k != 'description'} == \
        {k: worker[k] for k in COMPARED if k != 'description'}
    assert worker['occurrence_count'] == 2
    view = alert_store.query(filters={'id': worker['id']})[0]
    assert view['storage_name'] == there['name']
    assert proc.stored == 4


class BrokenDriver(object):
    """A driver whose parse_alert fails on every trap."""

    @staticmethod
    def parse_alert(context, alert):
        raise ValueError('cannot read this trap')


def test_parse_failure_in_the_worker_is_counted(make, make_storage):
    storage = register(make_storage)
    proc, _ = make([storage])
    preparer = alert_processor.TrapPreparer(
        {storage['id']: proc.storage(storage['id'])},
        class_of=lambda vendor, model: BrokenDriver)
    traps = [trap([storage['id']], 1), trap(['elsewhere'], 2)]
    prepared = preparer(traps)
    assert prepared == [(alert_processor.FAILED, storage['id']),
                        (alert_processor.UNKNOWN,)]
    proc.handle(as_from_worker(traps, prepared))
    assert proc.dropped == {'parse_failed': 1, 'unknown_source': 1}
    assert db_api.count('alert') == 0


def test_driver_that_does_not_load_in_the_worker_fails_its_traps_only(
        make, make_storage):
    good = register(make_storage)
    bad = register(make_storage, vendor='nobody', model='nothing')
    proc, _ = make([good, bad])
    preparer = shipped(proc)
    traps = [trap([bad['id']], 1), trap([good['id']], 2)]
    prepared = preparer(traps)
    assert prepared[0] == (alert_processor.FAILED, bad['id'])
    proc.handle(as_from_worker(traps, prepared))
    assert proc.dropped['parse_failed'] == 1
    assert len(stored(good)) == 1 and stored(bad) == []


def test_incomplete_trap_in_the_worker_asks_the_parent_for_a_poll(
        make, make_storage):
    storage = register(make_storage)
    proc, polls = make([storage])
    incomplete = decoder.Trap('v2c', '10.0.0.1', 1, '', {UPTIME: '1'},
                              owners=(storage['id'],))
    not_prepared = trap([storage['id']], 4)
    prepared = [shipped(proc)([incomplete])[0], None]
    proc.handle(as_from_worker([incomplete, not_prepared], prepared))
    assert polls.asked == [storage['id']]
    assert proc.ignored['incomplete'] == 1
    # A trap left to the handler is processed in the parent.
    assert len(stored(storage)) == 1
