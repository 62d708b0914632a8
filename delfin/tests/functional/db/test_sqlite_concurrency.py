"""SQLite under concurrent writers: API requests and a bulk sync at once
never fail with "database is locked"."""
import shutil
import sqlite3
import threading
import time

from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.task_manager import jobs
from delfin.task_manager import sync

VOLUMES = 6000


def _volumes(count, name='volume'):
    for n in range(count):
        yield {'native_volume_id': 'vol-%06d' % n, 'name': '%s %d' % (name, n),
               'status': 'available', 'total_capacity': n}


def test_api_writers_beside_a_bulk_sync(sqlite_database, make_storage):
    synced = make_storage()
    errors = []
    stop = threading.Event()
    counts = {'api': 0, 'reads': 0}

    def guard(fn):
        def run():
            try:
                fn()
            except Exception as e:  # reported by the assertion below
                errors.append(e)
                stop.set()
        return run

    def sync_writer():
        try:
            sync.sync_kind('volume', synced['id'], _volumes(VOLUMES),
                           chunk_size=500)
            sync.sync_kind('volume', synced['id'],
                           _volumes(VOLUMES - 1000, name='renamed'),
                           chunk_size=500)
        finally:
            stop.set()

    def api_writer():
        # What registration, access-info updates, sync requests and
        # deletion do, each in its own short transaction.
        while not stop.is_set():
            storage = make_storage()
            db_api.create('access_info', {'storage_id': storage['id'],
                                          'vendor': 'v', 'model': 'm',
                                          'rest': {'host': 'h'}})
            db_api.update('storage', storage['id'], {'status': 'offline'})
            jobs.create_sync_job(storage['id'])
            jobs.cancel_jobs(storage['id'])
            db_api.delete('storage', storage['id'])
            counts['api'] += 1

    def reader():
        while not stop.is_set():
            db_api.list_rows('volume', {'storage_id': synced['id']},
                             limit=100, with_total=True)
            counts['reads'] += 1

    threads = [threading.Thread(target=guard(sync_writer))]
    threads += [threading.Thread(target=guard(api_writer)) for _ in range(3)]
    threads += [threading.Thread(target=guard(reader)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert counts['api'] > 0 and counts['reads'] > 0
    rows = db_api.list_rows('volume', {'storage_id': synced['id']})
    assert len(rows) == VOLUMES - 1000
    assert {r['name'].split()[0] for r in rows} == {'renamed'}
    assert db_api.count('storage') == 1


def _file_alone(path, tmp_path):
    """A copy of the database file without its write-ahead log: what a
    checkpoint has copied into the database so far."""
    copy = tmp_path / 'alone.sqlite'
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(str(copy))
    try:
        return {row[0] for row in conn.execute('SELECT name FROM storages')}
    except sqlite3.OperationalError:
        return set()   # not even the schema yet
    finally:
        conn.close()


def test_the_log_is_copied_into_the_database_beside_the_writers(
        sqlite_database, make_storage, tmp_path):
    path = sqlite_database.url.database
    names = {make_storage(name=db_api.new_id())['name'] for _ in range(3)}
    # Committed, in the log, not yet in the database file.
    assert not names & _file_alone(path, tmp_path)
    checkpointer = db_engine.LogCheckpointer(interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while not names <= _file_alone(path, tmp_path):
            assert time.monotonic() < deadline, 'log never checkpointed'
            time.sleep(0.05)
        while checkpointer.checkpoints < 1:   # counted after the copy
            assert time.monotonic() < deadline
            time.sleep(0.01)
        # Writes go on beside it.
        more = {make_storage(name=db_api.new_id())['name']
                for _ in range(3)}
        while not more <= _file_alone(path, tmp_path):
            assert time.monotonic() < deadline, 'log never checkpointed'
            time.sleep(0.05)
    finally:
        checkpointer.stop(5)
    assert {r['name'] for r in db_api.list_rows('storage', {})} == \
        names | more


def _checkpoint_threads():
    return [t for t in threading.enumerate() if t.name == 'sqlite-checkpoint']


def test_one_checkpoint_thread_serves_every_user_of_the_process(
        sqlite_database):
    assert _checkpoint_threads() == []
    first = db_engine.start_log_checkpoints()
    second = db_engine.start_log_checkpoints()
    try:
        assert first is second
        assert len(_checkpoint_threads()) == 1
        db_engine.stop_log_checkpoints(5)
        # The other user still has it.
        assert len(_checkpoint_threads()) == 1
    finally:
        db_engine.stop_log_checkpoints(5)
    assert _checkpoint_threads() == []
    # Unbalanced stops do nothing; a new start gets a new thread.
    db_engine.stop_log_checkpoints(5)
    third = db_engine.start_log_checkpoints()
    try:
        assert third is not first and len(_checkpoint_threads()) == 1
    finally:
        db_engine.stop_log_checkpoints(5)
    assert _checkpoint_threads() == []


def test_no_checkpoint_thread_on_server_databases(pg_database):
    checkpointer = db_engine.start_log_checkpoints()
    try:
        assert _checkpoint_threads() == []
        assert checkpointer.checkpoints == 0
    finally:
        db_engine.stop_log_checkpoints(5)
