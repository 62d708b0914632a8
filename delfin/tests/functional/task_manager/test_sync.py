"""The sync engine on SQLite, PostgreSQL and MariaDB: the diff, the job it
records, failures of the backend, and a storage deleted during its sync."""
import contextlib
import threading
import time

import pytest
import sqlalchemy as sa

from delfin import exception
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.task_manager import jobs
from delfin.task_manager import sync
from delfin.tests.functional.task_manager.backend import Backend
from delfin.tests.functional.task_manager.backend import pools
from delfin.tests.functional.task_manager.backend import volumes

CHUNK = 4   # small chunks: every test crosses chunk boundaries


def run(storage, backend):
    """One sync job of ``storage`` against ``backend``; the job row after."""
    job = jobs.create_sync_job(storage['id'])
    state = sync.run_sync_job(None, job['id'], driver_api=backend,
                              chunk_size=CHUNK)
    try:
        row = jobs.get_job(job['id'])
    except exception.SyncJobNotFound:
        return {'state': state, 'row': None}
    assert row['state'] == state
    return row


def fail_at(index):
    """A listing hook: the driver raises before item ``index``."""
    def hook(i):
        if i == index:
            raise exception.StorageBackendException('listing broke')
    return hook


def stored(kind, storage):
    rows = db_api.list_rows(kind, {'storage_id': storage['id']},
                            sort=[('id', 'asc')])
    return {r[sync.registry.by_name(kind).identity[0]]: r for r in rows}


@contextlib.contextmanager
def statements_seen(record):
    """Calls ``record(statement)`` for each statement the process runs
    meanwhile, SQLite batches included: they go to the driver's cursor,
    unseen by SQLAlchemy's events, and SQLite's own trace shows them."""
    engine = db_engine.get_engine()

    def executed(conn, cursor, statement, *args):
        record(statement)

    def checkout(dbapi_conn, *args):
        if engine.dialect.name == 'sqlite':
            dbapi_conn.set_trace_callback(record)

    def checkin(dbapi_conn, *args):
        if engine.dialect.name == 'sqlite':
            dbapi_conn.set_trace_callback(None)
    sa.event.listen(engine, 'before_cursor_execute', executed)
    sa.event.listen(engine.pool, 'checkout', checkout)
    sa.event.listen(engine.pool, 'checkin', checkin)
    try:
        yield
    finally:
        sa.event.remove(engine, 'before_cursor_execute', executed)
        sa.event.remove(engine.pool, 'checkout', checkout)
        sa.event.remove(engine.pool, 'checkin', checkin)


@pytest.fixture
def storage(database, make_storage):
    return make_storage(serial_number='SN-1', name='registered')


@pytest.fixture
def backend():
    return Backend(items={'storage_pool': pools(2), 'volume': volumes(10)})


def test_first_sync_stores_every_supported_kind(storage, backend):
    job = run(storage, backend)
    assert job['state'] == 'succeeded' and job['error'] is None
    assert len(stored('volume', storage)) == 10
    assert len(stored('storage_pool', storage)) == 2
    vol = stored('volume', storage)['vol-00003']
    assert vol['name'] == 'volume 3' and vol['total_capacity'] == 300
    assert vol['compressed'] is False and vol['storage_id'] == storage['id']
    assert vol['updated_at'] is None
    progress = job['progress']
    assert progress['volume']['state'] == 'succeeded'
    assert progress['volume']['items'] == 10
    assert progress['volume']['written'] == {'inserted': 10, 'updated': 0,
                                             'deleted': 0}
    assert progress['volume']['duration'] >= 0
    assert progress['port'] == {'state': 'unsupported'}
    assert progress['storage']['state'] == 'succeeded'
    fresh = jobs.get_freshness(storage['id'])
    assert fresh['volume']['item_count'] == 10
    assert fresh['volume']['last_job_id'] == job['id']
    assert 'port' not in fresh
    # The storage row follows get_storage.
    row = db_api.get('storage', storage['id'])
    assert row['name'] == 'array' and row['total_capacity'] == 1000


def test_unchanged_resync_writes_nothing(storage, backend):
    run(storage, backend)
    before = {k: stored(k, storage) for k in ('volume', 'storage_pool')}
    storage_row = db_api.get('storage', storage['id'])
    statements = []

    def record(statement):
        if statement.lstrip().upper().startswith(('INSERT', 'UPDATE',
                                                  'DELETE')):
            statements.append(statement)
    with statements_seen(record):
        job = run(storage, backend)
    assert job['state'] == 'succeeded'
    for kind in ('volume', 'storage_pool'):
        assert job['progress'][kind]['written'] == {
            'inserted': 0, 'updated': 0, 'deleted': 0}
        assert stored(kind, storage) == before[kind]
    assert db_api.get('storage', storage['id']) == storage_row
    inventory = [s for s in statements
                 if 'volumes' in s or 'storage_pools' in s
                 or 'storages ' in s]
    assert inventory == []


def test_changed_items_update_only_their_changed_columns(storage, backend):
    run(storage, backend)
    before = stored('volume', storage)
    backend.items['volume'][2]['name'] = 'renamed'
    backend.items['volume'][7]['status'] = 'error'
    backend.items['volume'][7]['used_capacity'] = 1
    statements = []

    def record(statement):
        if statement.lstrip().upper().startswith('UPDATE') and \
                'volumes' in statement:
            statements.append(statement)
    engine = db_engine.get_engine()
    with statements_seen(record):
        job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 2, 'deleted': 0}
    after = stored('volume', storage)
    assert after['vol-00002']['name'] == 'renamed'
    assert after['vol-00007']['status'] == 'error'
    assert after['vol-00007']['used_capacity'] == 1
    for key in ('vol-00002', 'vol-00007'):
        assert after[key]['id'] == before[key]['id']
        assert after[key]['updated_at'] is not None
        assert after[key]['created_at'] == before[key]['created_at']
    unchanged = set(after) - {'vol-00002', 'vol-00007'}
    assert all(after[k] == before[k] for k in unchanged)
    if engine.dialect.name == 'postgresql':
        return   # batched through psycopg2 directly: not seen by events
    sets = sorted(s.split(' SET ')[1].split(' WHERE ')[0].split(' FROM ')[0]
                  for s in statements)
    assert len(sets) == 2
    assert 'name' in sets[0] or 'name' in sets[1]
    for text in sets:
        assert 'total_capacity' not in text and 'wwn' not in text


def test_items_gone_from_the_backend_are_deleted(storage, backend):
    run(storage, backend)
    del backend.items['volume'][8]
    del backend.items['volume'][1]
    backend.items['storage_pool'] = []
    job = run(storage, backend)
    assert job['progress']['volume']['written']['deleted'] == 2
    assert sorted(stored('volume', storage)) == [
        'vol-%05d' % n for n in (0, 2, 3, 4, 5, 6, 7, 9)]
    assert stored('storage_pool', storage) == {}


def test_renamed_native_id_replaces_the_row(storage, backend):
    run(storage, backend)
    before = stored('volume', storage)
    backend.items['volume'][4]['native_volume_id'] = 'vol-renamed'
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 1, 'updated': 0, 'deleted': 1}
    after = stored('volume', storage)
    assert 'vol-00004' not in after
    assert after['vol-renamed']['name'] == 'volume 4'
    assert after['vol-renamed']['id'] != before['vol-00004']['id']
    assert len(after) == 10


def test_duplicates_from_a_buggy_driver_keep_the_last_item(storage,
                                                           backend):
    run(storage, backend)
    before = stored('volume', storage)
    # The duplicate arrives in a later chunk than the first occurrence,
    # and an item has gone: the listing is complete, so it is deleted.
    backend.items['volume'] = backend.items['volume'][:9] + [
        dict(backend.items['volume'][1], name='twin')]
    backend.items['storage_pool'].append(pools(3)[2])
    job = run(storage, backend)
    assert job['state'] == 'succeeded' and job['error'] is None
    volume = job['progress']['volume']
    assert volume['state'] == 'succeeded'
    assert volume['warnings'] == {
        'unknown_value': 0, 'duplicate': 1, 'skipped': 0,
        'examples': [{'reason': 'duplicate', 'native_id': 'vol-00001',
                      'message': 'reported again; the last one is stored'}]}
    assert volume['written'] == {'inserted': 0, 'updated': 1, 'deleted': 1}
    assert job['progress']['storage_pool']['state'] == 'succeeded'
    assert 'warnings' not in job['progress']['storage_pool']
    assert len(stored('storage_pool', storage)) == 3
    after = stored('volume', storage)
    assert set(after) == set(before) - {'vol-00009'}
    assert after['vol-00001']['name'] == 'twin'
    assert after['vol-00001']['id'] == before['vol-00001']['id']
    fresh = jobs.get_freshness(storage['id'])['volume']
    assert fresh['last_error'] is None and fresh['item_count'] == 10


def test_a_failed_write_keeps_the_chunks_written_before_it(
        storage, backend, monkeypatch):
    # Chunks after the first are written in one transaction while they keep
    # coming; a chunk that fails must not take the earlier ones with it.
    backend.items['volume'] = volumes(24)
    calls = []
    real = sync.bulk_insert

    def failing(conn, table, columns, rows):
        if table.name == 'volumes':
            calls.append(len(rows))
            if len(calls) == 4:
                raise sa.exc.IntegrityError('INSERT', {}, Exception('boom'))
        return real(conn, table, columns, rows)
    monkeypatch.setattr(sync.statements, 'bulk_insert', failing)
    job = run(storage, backend)
    volume = job['progress']['volume']
    assert volume['state'] == 'failed' and 'boom' in volume['error']
    assert len(calls) == 4
    assert len(stored('volume', storage)) == 3 * CHUNK
    assert db_api.count('volume', {'storage_id': storage['id']}) == 3 * CHUNK
    # The next sync completes the kind.
    monkeypatch.setattr(sync.statements, 'bulk_insert', real)
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 24 - 3 * CHUNK, 'updated': 0, 'deleted': 0}
    assert len(stored('volume', storage)) == 24


@pytest.mark.parametrize('field,value,shown,message', [
    ('total_capacity', 'lots', 'lots', "'total_capacity'"),
    ('compressed', 'maybe', 'maybe', "'compressed'"),
    ('native_volume_id', None, None, "'native_volume_id' is required"),
    ('name', 'x' * 256, 'x' * 100 + '...', 'longer than 255'),
    ('total_capacity', 2 ** 64, 2 ** 64, 'out of range'),
    ('total_capacity', [1], '[1]', 'expected an integer'),
])
def test_an_item_that_cannot_be_stored_is_skipped_and_named(
        storage, backend, field, value, shown, message):
    backend.items['volume'][6][field] = value
    job = run(storage, backend)
    assert job['state'] == 'succeeded' and job['error'] is None
    volume = job['progress']['volume']
    assert volume['written']['inserted'] == 9
    assert sorted(stored('volume', storage)) == [
        'vol-%05d' % n for n in range(10) if n != 6]
    warnings = volume['warnings']
    assert (warnings['unknown_value'], warnings['duplicate'],
            warnings['skipped']) == (0, 0, 1)
    [example] = warnings['examples']
    assert example['reason'] == 'skipped'
    assert example['native_id'] == (None if value is None else 'vol-00006')
    assert (example['field'], example['value']) == (field, shown)
    assert message in example['message']


def test_a_value_outside_the_vocabulary_is_stored_as_given(storage,
                                                           backend):
    backend.items['volume'][6]['status'] = 'melted'
    backend.items['volume'][7]['type'] = 'vendor thin'
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    rows = stored('volume', storage)
    assert len(rows) == 10
    assert rows['vol-00006']['status'] == 'melted'
    assert rows['vol-00007']['type'] == 'vendor thin'
    assert job['progress']['volume']['warnings'] == {
        'unknown_value': 2, 'duplicate': 0, 'skipped': 0, 'examples': [
            {'reason': 'unknown_value', 'native_id': 'vol-00006',
             'field': 'status', 'value': 'melted'},
            {'reason': 'unknown_value', 'native_id': 'vol-00007',
             'field': 'type', 'value': 'vendor thin'}]}


def test_values_are_read_as_the_field_type(storage, backend):
    item = backend.items['volume'][0]
    item.update(total_capacity='2048', used_capacity=12.0,
                compressed='true', name=42, storage_id='someone-else',
                unknown_key='dropped')
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    vol = stored('volume', storage)['vol-00000']
    assert (vol['total_capacity'], vol['used_capacity'], vol['compressed'],
            vol['name']) == (2048, 12, True, '42')
    assert db_api.count('volume', {'storage_id': 'someone-else'}) == 0
    assert run(storage, backend)['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 0}


def test_groups_and_their_members(storage):
    backend = Backend(items={
        'storage_host_group': [
            {'native_storage_host_group_id': 'hg-%d' % n,
             'name': 'group %d' % n} for n in range(3)],
        'storage_host_grp_host_rel': [
            {'native_storage_host_group_id': 'hg-%d' % (n % 3),
             'native_storage_host_id': 'host-%d' % n} for n in range(7)],
    })
    job = run(storage, backend)
    assert job['progress']['storage_host_grp_host_rel']['written'][
        'inserted'] == 7
    assert job['progress']['volume'] == {'state': 'unsupported'}
    del backend.items['storage_host_grp_host_rel'][3]
    backend.items['storage_host_grp_host_rel'].append(
        {'native_storage_host_group_id': 'hg-2',
         'native_storage_host_id': 'host-3'})
    job = run(storage, backend)
    assert job['progress']['storage_host_grp_host_rel']['written'] == {
        'inserted': 1, 'updated': 0, 'deleted': 1}
    rels = db_api.list_rows('storage_host_grp_host_rel',
                            {'storage_id': storage['id']})
    assert sorted((r['native_storage_host_group_id'],
                   r['native_storage_host_id']) for r in rels) == sorted(
        [('hg-%d' % (n % 3), 'host-%d' % n) for n in range(7) if n != 3]
        + [('hg-2', 'host-3')])
    assert backend.calls.count('storage_host_group') == 2


def test_a_failing_kind_does_not_stop_the_others(storage, backend):
    backend.items['port'] = []
    backend.errors['storage_pool'] = exception.StorageBackendException(
        'pool listing broke')
    job = run(storage, backend)
    assert job['state'] == 'failed'
    assert job['progress']['storage_pool']['state'] == 'failed'
    assert 'pool listing broke' in job['progress']['storage_pool']['error']
    assert job['progress']['volume']['state'] == 'succeeded'
    assert job['progress']['port']['state'] == 'succeeded'
    assert db_api.get('storage', storage['id'])['status'] == 'normal'


@pytest.mark.parametrize('error,status', [
    (exception.ConnectTimeout(), 'offline'),
    (ConnectionRefusedError(111, 'Connection refused'), 'offline'),
    (exception.InvalidUsernameOrPassword(), 'abnormal'),
])
def test_unreachable_backend_keeps_the_last_good_inventory(storage, backend,
                                                           error, status):
    run(storage, backend)
    before = stored('volume', storage)
    backend.errors['storage'] = error
    job = run(storage, backend)
    assert job['state'] == 'failed'
    assert job['error'].startswith('storage: ')
    assert db_api.get('storage', storage['id'])['status'] == status
    assert stored('volume', storage) == before
    assert job['progress']['volume'] == {'state': 'skipped'}
    fresh = jobs.get_freshness(storage['id'])
    assert fresh['storage']['last_error'] and fresh['volume']['item_count']
    # Back online: the driver's status returns.
    del backend.errors['storage']
    assert run(storage, backend)['state'] == 'succeeded'
    assert db_api.get('storage', storage['id'])['status'] == 'normal'


def test_backend_lost_in_the_middle_of_a_listing(storage, backend):
    run(storage, backend)
    backend.items['volume'].pop()   # would be deleted by a complete sync

    def drop(index):
        if index == 6:
            raise exception.SSHConnectTimeout()
    backend.hooks['volume'] = drop
    job = run(storage, backend)
    assert job['state'] == 'failed'
    assert db_api.get('storage', storage['id'])['status'] == 'offline'
    assert len(stored('volume', storage)) == 10   # nothing deleted
    later = [k for k, v in job['progress'].items()
             if v.get('state') == 'skipped']
    assert 'masking_view' in later


def test_another_device_answering_fails_the_sync(storage, backend):
    run(storage, backend)
    backend.storage['serial_number'] = 'SN-OTHER'
    backend.items['volume'] = []
    job = run(storage, backend)
    assert job['state'] == 'failed'
    assert 'StorageSerialNumberMismatch' in job['error']
    assert len(stored('volume', storage)) == 10
    assert db_api.get('storage', storage['id'])['serial_number'] == 'SN-1'


def test_storage_deleted_during_its_sync_is_not_recreated(storage, backend):
    # Delfin bug #149: rows written after the delete brought it back.
    backend.items['volume'] = volumes(40)

    def delete(index):
        if index == 9:
            db_api.delete('storage', storage['id'])
    backend.hooks['volume'] = delete
    result = run(storage, backend)
    assert result['state'] == 'cancelled' and result['row'] is None
    for kind in sync.registry.inventory_kinds():
        assert db_api.count(kind.name, {'storage_id': storage['id']}) == 0
    assert db_api.find('storage', id=storage['id']) is None
    assert jobs.get_freshness(storage['id']) == {}


def test_storage_deleted_between_two_kinds(storage, backend):
    def delete(index):
        if index == 0:
            db_api.delete('storage', storage['id'])
    backend.hooks['storage_pool'] = delete
    backend.items['volume'] = volumes(3)
    run(storage, backend)
    assert db_api.count('volume', {'storage_id': storage['id']}) == 0
    assert db_api.count('storage_pool', {'storage_id': storage['id']}) == 0


def test_cancelled_job_stops_writing(storage, backend, monkeypatch):
    monkeypatch.setattr(sync.job, 'PROGRESS_INTERVAL', 0)
    backend.items['volume'] = volumes(40)

    def cancel(index):
        if index == 9:
            jobs.cancel_jobs(storage['id'])
    backend.hooks['volume'] = cancel
    job = run(storage, backend)
    assert job['state'] == 'cancelled'
    written = db_api.count('volume', {'storage_id': storage['id']})
    assert written < 40
    # The storage is free for a new sync at once.
    assert run(storage, Backend(items={'volume': volumes(40)}))[
        'state'] == 'succeeded'


def test_a_job_that_is_not_queued_is_not_run(storage, backend):
    job = jobs.create_sync_job(storage['id'])
    jobs.cancel_jobs(storage['id'])
    assert sync.run_sync_job(None, job['id'], driver_api=backend) is None
    assert backend.calls == []


def test_storages_do_not_see_each_others_rows(database, make_storage):
    one, two = make_storage(serial_number='SN-1'), make_storage(
        serial_number='SN-1')
    backend = Backend(items={'volume': volumes(5)})
    run(one, backend)
    run(two, backend)
    backend.items['volume'] = volumes(2)
    run(one, backend)
    assert len(stored('volume', one)) == 2
    assert len(stored('volume', two)) == 5


def test_large_listing_in_many_chunks(storage):
    backend = Backend(items={'volume': volumes(1500)})
    job = sync.run_sync_job(None, jobs.create_sync_job(storage['id'])['id'],
                            driver_api=backend, chunk_size=100)
    assert job == 'succeeded'
    backend.items['volume'] = volumes(1400, start=100)
    job_id = jobs.create_sync_job(storage['id'])['id']
    sync.run_sync_job(None, job_id, driver_api=backend, chunk_size=100)
    assert jobs.get_job(job_id)['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 100}
    assert db_api.count('volume', {'storage_id': storage['id']}) == 1400


def test_awkward_text_is_stored_as_given(storage, backend):
    names = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash',
             '\\N', '\\.', 'ünïcødé ✓', "quote ' and \"", '']
    items = volumes(len(names))
    for item, name in zip(items, names):
        item['name'] = item['description'] = name
    backend.items['volume'] = items
    assert run(storage, backend)['state'] == 'succeeded'
    rows = stored('volume', storage)
    assert [rows[i['native_volume_id']]['name'] for i in items] == names
    assert [rows[i['native_volume_id']]['description']
            for i in items] == names
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 0}


# -- chunk digests: what an unchanged chunk skips, and when it may not ------

def volume_reads(storage, backend, monkeypatch):
    """Runs a sync; the job and the volumes it read back from the
    database (by identity, to compare them)."""
    looked_up = []
    real = sync.KindSync._existing

    def existing(self, keys):
        if self.kind.name == 'volume':
            looked_up.extend(keys)
        return real(self, keys)
    monkeypatch.setattr(sync.KindSync, '_existing', existing)
    try:
        job = run(storage, backend)
    finally:
        monkeypatch.setattr(sync.KindSync, '_existing', real)
    return job, sorted(looked_up)


def test_an_unchanged_resync_reads_no_rows_back(storage, backend,
                                                monkeypatch):
    backend.items['volume'] = volumes(12)
    run(storage, backend)
    job, reads = volume_reads(storage, backend, monkeypatch)
    assert job['state'] == 'succeeded'
    assert job['progress']['volume']['items'] == 12
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 0}
    assert reads == []
    # One changed item: its chunk alone is read back and compared.
    backend.items['volume'][5]['used_capacity'] = 7
    job, reads = volume_reads(storage, backend, monkeypatch)
    assert job['progress']['volume']['written']['updated'] == 1
    assert reads == ['vol-%05d' % n for n in (4, 5, 6, 7)]
    assert stored('volume', storage)['vol-00005']['used_capacity'] == 7
    job, reads = volume_reads(storage, backend, monkeypatch)
    assert reads == []


def test_a_row_edited_outside_the_sync_is_synced_again(storage, backend):
    run(storage, backend)
    row = stored('volume', storage)['vol-00003']
    db_api.update('volume', row['id'], {'name': 'edited by hand'})
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 1, 'deleted': 0}
    assert stored('volume', storage)['vol-00003']['name'] == 'volume 3'


def test_a_row_deleted_outside_the_sync_is_synced_again(storage, backend):
    run(storage, backend)
    db_api.delete('volume', stored('volume', storage)['vol-00008']['id'])
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 1, 'updated': 0, 'deleted': 0}
    assert len(stored('volume', storage)) == 10


def test_a_failed_sync_leaves_no_digest_of_rows_it_changed(storage, backend):
    # The second sync moves vol-00009 (with a new name) into the first
    # chunk, writes it, and fails in its last chunk: the third sync lists
    # what the first did, and vol-00009's chunk, identical to the one the
    # first sync stored, must be compared with the rows again.
    backend.items['volume'] = volumes(12)
    original = volumes(12)
    run(storage, backend)
    moved = dict(original[9], name='moved')
    backend.items['volume'] = ([moved] + original[1:4] + original[4:8]
                               + [original[8]])
    backend.hooks['volume'] = fail_at(8)
    job = run(storage, backend)
    assert job['progress']['volume']['state'] == 'failed'
    assert stored('volume', storage)['vol-00009']['name'] == 'moved'
    backend.items['volume'] = original
    del backend.hooks['volume']
    job = run(storage, backend)
    assert job['state'] == 'succeeded'
    assert job['progress']['volume']['written']['updated'] == 1
    assert stored('volume', storage)['vol-00009']['name'] == 'volume 9'


def test_a_listing_that_shrinks_then_grows_again(storage, backend):
    backend.items['volume'] = volumes(12)
    run(storage, backend)
    backend.items['volume'] = volumes(8)
    job = run(storage, backend)
    assert job['progress']['volume']['written']['deleted'] == 4
    backend.items['volume'] = volumes(12)
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 4, 'updated': 0, 'deleted': 0}
    assert sorted(stored('volume', storage)) == [
        'vol-%05d' % n for n in range(12)]


def test_a_duplicate_in_an_unchanged_chunk_is_found(storage, backend):
    backend.items['volume'] = volumes(12)
    run(storage, backend)
    before = stored('volume', storage)
    # The first chunk changes and repeats vol-00005 of the second, which
    # is unchanged (and stored as it is): the second one's is the last.
    items = volumes(12)
    items[3] = dict(items[5], name='first of two')
    backend.items['volume'] = items
    job = run(storage, backend)
    volume = job['progress']['volume']
    assert volume['state'] == 'succeeded'
    assert volume['warnings']['duplicate'] == 1
    assert volume['warnings']['examples'][0]['native_id'] == 'vol-00005'
    # Streamed chunk by chunk, the row is written as the first chunk says,
    # then as the last one does.
    assert volume['written'] == {'inserted': 0, 'updated': 2, 'deleted': 1}
    after = stored('volume', storage)
    assert after['vol-00005']['name'] == 'volume 5'
    assert after['vol-00005']['id'] == before['vol-00005']['id']
    assert set(after) == set(before) - {'vol-00003'}


def test_rows_left_by_a_failed_sync_go_when_the_chunks_are_unchanged(
        storage, backend):
    backend.items['volume'] = volumes(8)
    run(storage, backend)
    # A sync that inserts two new volumes in its first chunk, then fails.
    items = volumes(2, start=100) + volumes(8)[2:]
    backend.items['volume'] = items[:8] + [items[0]]
    backend.hooks['volume'] = fail_at(8)
    assert run(storage, backend)['progress']['volume']['state'] == 'failed'
    assert len(stored('volume', storage)) == 10
    backend.items['volume'] = volumes(8)
    del backend.hooks['volume']
    job = run(storage, backend)
    assert job['progress']['volume']['written'] == {
        'inserted': 0, 'updated': 0, 'deleted': 2}
    assert sorted(stored('volume', storage)) == [
        'vol-%05d' % n for n in range(8)]


def test_statistics_are_refreshed_beside_the_next_kinds(pg_database,
                                                        make_storage,
                                                        monkeypatch):
    # PostgreSQL's ANALYZE of a much changed table runs while the job goes
    # on with the next kinds, and the job ends after it.
    storage = make_storage(serial_number='SN-1')
    next_kind_listed = threading.Event()
    analyzed = []
    real = sync.KindSync._analyze

    def analyze(self):
        analyzed.append(next_kind_listed.wait(5))
        real(self)
        time.sleep(0.3)     # longer than the rest of the job
        analyzed.append(self.kind.name)
    monkeypatch.setattr(sync.KindSync, '_analyze', analyze)
    backend = Backend(items={
        'volume': volumes(sync.ANALYZE_MIN_ROWS),
        'controller': [{'native_controller_id': 'ctl-a', 'name': 'SP A',
                        'status': 'normal'}]})
    backend.hooks['controller'] = lambda index: next_kind_listed.set()

    def analyses():
        with pg_database.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT analyze_count FROM pg_stat_user_tables "
                "WHERE relname = 'volumes'").scalar()
    before = analyses()
    job_id = jobs.create_sync_job(storage['id'])['id']
    assert sync.run_sync_job(None, job_id, driver_api=backend,
                             chunk_size=1000) == 'succeeded'
    assert analyzed == [True, 'volume']
    assert analyses() == before + 1
    assert len(stored('controller', storage)) == 1
