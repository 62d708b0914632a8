"""A list's ``total`` comes from the stored per-storage row counts and stays
equal to a count of the rows, through syncs that insert and delete, generic
writes, and the deletion of a storage, on SQLite, PostgreSQL and MariaDB."""
import pytest
import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.task_manager import jobs
from delfin.task_manager import sync
from delfin.tests.functional.task_manager.backend import Backend
from delfin.tests.functional.task_manager.backend import pools
from delfin.tests.functional.task_manager.backend import volumes

CHUNK = 4


def run(storage, backend):
    job = jobs.create_sync_job(storage['id'])
    assert sync.run_sync_job(None, job['id'], driver_api=backend,
                             chunk_size=CHUNK) == 'succeeded'


def counted(kind, filters=None):
    """count(*) of the rows, straight from the table."""
    table = schema.INVENTORY[kind]
    stmt = sa.select(sa.func.count()).select_from(table)
    for key, value in (filters or {}).items():
        stmt = stmt.where(table.c[key] == value)
    with db_engine.reader() as conn:
        return conn.execute(stmt).scalar_one()


def stored(kind, storage_id):
    with db_engine.reader() as conn:
        return db_api.stored_count(conn, kind, storage_id)


def total(kind, filters=None):
    # Lists (and the API's pages, which count separately) get the same.
    listed = db_api.list_rows(kind, filters, limit=1, with_total=True)[1]
    assert db_api.count(kind, filters) == listed
    return listed


def assert_exact(*storages):
    for kind in ('volume', 'storage_pool'):
        assert total(kind) == counted(kind)
        for s in storages:
            f = {'storage_id': s['id']}
            assert total(kind, f) == counted(kind, f)


@pytest.fixture
def two(database, make_storage):
    return (make_storage(serial_number='SN-1'),
            make_storage(serial_number='SN-1'))


def test_sync_keeps_the_stored_count_exact(two):
    a, b = two
    backend = Backend(items={'storage_pool': pools(2),
                             'volume': volumes(10)})
    run(a, backend)
    assert stored('volume', a['id']) == 10
    assert stored('storage_pool', a['id']) == 2
    run(b, Backend(items={'storage_pool': pools(1), 'volume': volumes(3)}))
    assert_exact(a, b)
    assert total('volume') == 13

    # Some gone, some new, across chunk boundaries.
    backend.items['volume'] = volumes(5, start=7)
    run(a, backend)
    assert stored('volume', a['id']) == 5
    assert_exact(a, b)

    backend.items['volume'] = []
    run(a, backend)
    assert stored('volume', a['id']) == 0
    assert_exact(a, b)


def test_unchanged_sync_writes_no_count(two):
    a, _b = two
    backend = Backend(items={'storage_pool': pools(2),
                             'volume': volumes(6)})
    run(a, backend)
    run(a, backend)
    assert stored('volume', a['id']) == 6
    assert_exact(a)


def test_generic_writes_fall_back_to_counting(two):
    a, b = two
    backend = Backend(items={'storage_pool': pools(1), 'volume': volumes(4)})
    run(a, backend)
    run(b, backend)
    extra = db_api.create('volume', {'storage_id': a['id'],
                                     'native_volume_id': 'extra'})
    assert stored('volume', a['id']) is None
    assert_exact(a, b)
    assert total('volume', {'storage_id': a['id']}) == 5
    db_api.delete('volume', extra['id'])
    assert_exact(a, b)
    db_api.delete_where('volume', storage_id=b['id'])
    assert total('volume', {'storage_id': b['id']}) == 0
    assert_exact(a, b)

    # The next sync counts again, exactly.
    run(a, backend)
    run(b, backend)
    assert stored('volume', a['id']) == 4
    assert stored('volume', b['id']) == 4
    assert_exact(a, b)


def test_deleting_a_storage_drops_its_counts(two):
    a, b = two
    run(a, Backend(items={'storage_pool': pools(2), 'volume': volumes(7)}))
    run(b, Backend(items={'storage_pool': pools(1), 'volume': volumes(2)}))
    db_api.delete('storage', a['id'])
    assert stored('volume', a['id']) is None
    assert total('volume') == counted('volume') == 2
    assert_exact(b)


def test_unsynced_storage_makes_the_table_total_count(two):
    a, b = two
    run(a, Backend(items={'storage_pool': pools(1), 'volume': volumes(3)}))
    # b has no stored counts yet, and a row written outside a sync.
    with db_engine.writer() as conn:
        conn.execute(sa.insert(schema.INVENTORY['volume']).values(
            id=db_api.new_id(), storage_id=b['id'], native_volume_id='x',
            created_at=db_api.utcnow()))
    assert total('volume') == counted('volume') == 4
