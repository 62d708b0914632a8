"""What the sync accepts from drivers, on SQLite, PostgreSQL and MariaDB:
odd items cost no sibling, and the job reports each of them, with exact
counts, on first syncs and on re-syncs that skip unchanged chunks."""
import logging

import pytest
import webob

from delfin.db import api as db_api
from delfin.task_manager import jobs
from delfin.task_manager import sync
from delfin.tests.functional.task_manager.backend import Backend
from delfin.tests.functional.task_manager.backend import disks
from delfin.tests.functional.task_manager.backend import ports
from delfin.tests.functional.task_manager.backend import volumes

CHUNK = 4
NOTHING = {'inserted': 0, 'updated': 0, 'deleted': 0}


def run(storage, backend, chunk_size=CHUNK):
    job = jobs.create_sync_job(storage['id'])
    sync.run_sync_job(None, job['id'], driver_api=backend,
                      chunk_size=chunk_size)
    return jobs.get_job(job['id'])


def stored(kind, storage):
    rows = db_api.list_rows(kind, {'storage_id': storage['id']},
                            limit=100000)
    return {r[sync.registry.by_name(kind).identity[0]]: r for r in rows}


def counts(entry):
    w = entry.get('warnings') or {}
    return (w.get('unknown_value', 0), w.get('duplicate', 0),
            w.get('skipped', 0))


@pytest.fixture
def storage(database, make_storage):
    return make_storage(serial_number='SN-1')


@pytest.fixture
def reads(monkeypatch):
    """The identities each kind's sync reads back from the database."""
    seen = {}
    real = sync.KindSync._existing

    def existing(self, keys):
        seen.setdefault(self.kind.name, []).extend(keys)
        return real(self, keys)
    monkeypatch.setattr(sync.KindSync, '_existing', existing)
    return seen


def test_a_vendor_port_type_is_stored_and_costs_no_sibling(storage, reads):
    items = ports(10)
    for n in (2, 5, 9):
        items[n]['logical_type'] = 'location_port_%d' % n
    backend = Backend(items={'port': items})
    job = run(storage, backend)
    assert job['state'] == 'succeeded' and job['error'] is None
    port = job['progress']['port']
    assert port['state'] == 'succeeded' and port['error'] is None
    assert port['written'] == {'inserted': 10, 'updated': 0, 'deleted': 0}
    rows = stored('port', storage)
    assert len(rows) == 10
    assert [rows['port-%d' % n]['logical_type'] for n in range(10)] == [
        items[n]['logical_type'] for n in range(10)]
    expected = {
        'unknown_value': 3, 'duplicate': 0, 'skipped': 0,
        'examples': [{'reason': 'unknown_value', 'native_id': 'port-%d' % n,
                      'field': 'logical_type',
                      'value': 'location_port_%d' % n} for n in (2, 5, 9)]}
    assert port['warnings'] == expected
    assert jobs.get_freshness(storage['id'])['port']['last_error'] is None
    # A re-sync of the same listing reads nothing back and writes
    # nothing, and still reports every value.
    reads.clear()
    job = run(storage, backend)
    assert job['progress']['port']['warnings'] == expected
    assert job['progress']['port']['written'] == NOTHING
    assert reads.get('port', []) == []


def test_duplicate_disks_keep_the_last_item(storage):
    items = disks(10)
    # Within one chunk (positions 1 and 2), and across chunks (0 and 6).
    items[2] = dict(items[1], status='abnormal')
    items[6] = dict(items[0], location='moved')
    backend = Backend(items={'disk': items})
    job = run(storage, backend)
    disk = job['progress']['disk']
    assert job['state'] == 'succeeded' and disk['state'] == 'succeeded'
    assert counts(disk) == (0, 2, 0)
    assert [e['native_id'] for e in disk['warnings']['examples']] == [
        'disk-1', 'disk-0']
    rows = stored('disk', storage)
    assert sorted(rows) == ['disk-%d' % n for n in range(10)
                            if n not in (2, 6)]
    assert rows['disk-1']['status'] == 'abnormal'
    assert rows['disk-0']['location'] == 'moved'
    assert db_api.count('disk', {'storage_id': storage['id']}) == 8
    job = run(storage, backend)
    assert counts(job['progress']['disk']) == (0, 2, 0)
    assert stored('disk', storage)['disk-0']['location'] == 'moved'
    # The first disk-0 no longer reported: its row follows the last one.
    backend.items['disk'] = items[1:]
    job = run(storage, backend)
    assert counts(job['progress']['disk']) == (0, 1, 0)
    assert stored('disk', storage)['disk-0']['location'] == 'moved'
    assert db_api.count('disk', {'storage_id': storage['id']}) == 8


def test_a_skipped_item_keeps_its_stored_row(storage, reads):
    backend = Backend(items={'volume': volumes(10)})
    run(storage, backend)
    before = stored('volume', storage)
    backend.items['volume'][6]['total_capacity'] = 'lots'
    backend.items['volume'][7]['status'] = 'melted'
    job = run(storage, backend)
    volume = job['progress']['volume']
    assert counts(volume) == (1, 0, 1)
    assert volume['written'] == {'inserted': 0, 'updated': 1, 'deleted': 0}
    after = stored('volume', storage)
    assert after['vol-00006'] == before['vol-00006']
    assert after['vol-00007']['status'] == 'melted'
    # Unchanged: only the skipped item's identity read back, nothing
    # written, the same warnings, and the skipped item's row still kept.
    reads.clear()
    job = run(storage, backend)
    assert job['progress']['volume']['warnings'] == volume['warnings']
    assert job['progress']['volume']['written'] == NOTHING
    assert reads['volume'] == ['vol-00006']   # is its row still there?
    assert stored('volume', storage) == after
    # Without its native id the item names no row: vol-00006 is gone.
    backend.items['volume'][6]['native_volume_id'] = None
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 1}
    assert 'vol-00006' not in stored('volume', storage)
    assert counts(job['progress']['volume']) == (1, 0, 1)


def test_warnings_of_many_chunks_are_counted_exactly(storage, reads):
    items = volumes(200)
    odd = {'unknown_value': 0, 'duplicate': 0, 'skipped': 0}
    for n in range(0, 200, 10):
        reason = ('unknown_value', 'duplicate', 'skipped')[(n // 10) % 3]
        odd[reason] += 1
        if reason == 'unknown_value':
            items[n]['status'] = 'vendor-%d' % n
        elif reason == 'duplicate':
            items[n] = dict(items[n - 1])
        else:
            items[n]['compressed'] = 'perhaps'
    backend = Backend(items={'volume': items})
    job = run(storage, backend)
    volume = job['progress']['volume']
    assert counts(volume) == (odd['unknown_value'], odd['duplicate'],
                              odd['skipped']) == (7, 7, 6)
    assert len(volume['warnings']['examples']) == 5
    assert [e['native_id'] for e in volume['warnings']['examples']] == [
        'vol-00000', 'vol-00009', 'vol-00020', 'vol-00030', 'vol-00039']
    assert len(stored('volume', storage)) == 200 - 7 - 6
    reads.clear()
    again = run(storage, backend)
    assert again['progress']['volume']['warnings'] == volume['warnings']
    assert again['progress']['volume']['written'] == NOTHING
    # Read back: the chunks around a duplicate that crosses chunks (the
    # chunk of its first occurrence, the others of the chunk of its
    # second, and the identity itself, written last), and the skipped
    # items' identities (to count the rows they keep).
    expected = ['vol-%05d' % n for n in range(20, 200, 30)]
    for n in (40, 100, 160):
        expected += ['vol-%05d' % m for m in range(n - 4, n)]
        expected += ['vol-%05d' % m for m in range(n + 1, n + 4)]
        expected.append('vol-%05d' % (n - 1))
    assert sorted(reads['volume']) == sorted(expected)


def test_the_storage_row_is_tolerant_too(storage):
    backend = Backend(items={'volume': volumes(3)})
    backend.storage['status'] = 'degraded-by-vendor'
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    assert db_api.get('storage', storage['id'])['status'] == \
        'degraded-by-vendor'
    assert counts(job['progress']['storage']) == (1, 0, 0)
    del backend.storage['serial_number']
    backend.storage['name'] = 'renamed'
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    assert counts(job['progress']['storage']) == (0, 0, 1)
    row = db_api.get('storage', storage['id'])
    assert row['name'] == 'array' and row['serial_number'] == 'SN-1'
    assert len(stored('volume', storage)) == 3


def test_items_that_are_not_dicts_and_broken_memberships(storage):
    backend = Backend(items={
        'volume': volumes(3) + [None, 'vol-x'],
        'storage_host_group': [{'native_storage_host_group_id': 'hg-1',
                                'name': 'group'}],
        'storage_host_grp_host_rel': [
            {'native_storage_host_group_id': 'hg-1',
             'native_storage_host_id': 'host-%d' % n} for n in range(3)]
        + [{'native_storage_host_group_id': 'hg-1'}]})
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    assert counts(job['progress']['volume']) == (0, 0, 2)
    assert counts(job['progress']['storage_host_grp_host_rel']) == (0, 0, 1)
    assert len(stored('volume', storage)) == 3
    assert db_api.count('storage_host_grp_host_rel',
                        {'storage_id': storage['id']}) == 3


def test_a_kind_fails_only_when_the_driver_raises(storage):
    from delfin import exception
    backend = Backend(items={'port': ports(6), 'disk': disks(6)})
    backend.items['port'][1]['logical_type'] = 'location_port_1'
    backend.errors['disk'] = exception.StorageBackendException('no disks')
    job = run(storage, backend)
    assert job['progress']['port']['state'] == 'succeeded'
    assert job['progress']['disk']['state'] == 'failed'
    assert job['state'] == 'failed' and 'no disks' in job['error']


def test_the_job_shows_and_logs_the_warnings_once(storage, caplog):
    items = ports(40)
    for item in items[::2]:
        item['logical_type'] = 'location_port_1'
    backend = Backend(items={'port': items,
                             'disk': disks(4) + [disks(4)[0]]})
    caplog.set_level(logging.WARNING)
    job = run(storage, backend)
    lines = [r for r in caplog.records
             if "stored the driver's data as given" in r.getMessage()]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert 'port: 20 values outside the vocabulary' in message
    assert 'disk: 1 duplicates left out' in message
    from delfin.api import app as api_app
    resp = webob.Request.blank('/v1/storages/%s/jobs/%s' % (
        storage['id'], job['id'])).get_response(api_app.make_app())
    assert resp.status_int == 200
    body = resp.json
    assert body['warnings'] == 21
    assert body['progress']['port']['warnings']['unknown_value'] == 20
    assert body['progress']['port']['warnings']['examples'][0] == {
        'reason': 'unknown_value', 'native_id': 'port-0',
        'field': 'logical_type', 'value': 'location_port_1'}
    assert body['progress']['disk']['warnings']['duplicate'] == 1
    listed = webob.Request.blank('/v1/storages/%s/jobs' % storage[
        'id']).get_response(api_app.make_app()).json
    assert listed['jobs'][0]['warnings'] == 21
