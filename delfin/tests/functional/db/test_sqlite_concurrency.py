"""SQLite under concurrent writers: API requests and a bulk sync at once
never fail with "database is locked"."""
import threading

from delfin.db import api as db_api
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
