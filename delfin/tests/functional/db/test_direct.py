"""Reads through `delfin.db.direct` give what SQLAlchemy's execution gives,
on SQLite, PostgreSQL and MariaDB, and fail the way it fails."""
import datetime

import pytest
import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.db import direct
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.tests.functional.db import test_list_bodies
from delfin.resources import registry


def test_pages_are_the_pages_of_list_raw(database, make_storage):
    kind = registry.by_name('volume')
    storage = make_storage()
    test_list_bodies._fill(kind, storage['id'], 9)
    columns = ('id', 'name', 'created_at', 'updated_at', 'total_capacity')
    queries = [
        dict(filters={'storage_id': [storage['id'], 'other']}, limit=4),
        dict(filters={'storage_id': (storage['id'],)}, limit=4, offset=2),
        dict(filters={'storage_id': storage['id'], 'wwn': None}, limit=9),
        dict(filters={'storage_id': storage['id'], 'status': []}),
        dict(sort=[('total_capacity', db_api.DESC), ('name', db_api.ASC)],
             limit=5, offset=1),
        dict(sort=[('updated_at', db_api.ASC)]),
    ]
    for query in queries:
        first = db_api.list_raw(kind.name, columns, **query)
        # Every page, and the pages after each of the first rows.
        for marker in [None] + [r[0] for r in first.rows[:3]]:
            expected = db_api.list_raw(kind.name, columns, marker=marker,
                                       **query)
            page = db_api.direct_page(kind.name, columns, marker=marker,
                                      **query)
            assert [tuple(r) for r in page.rows] == \
                [tuple(r) for r in expected.rows], (query, marker)
            assert page.dicts() == expected.dicts(), (query, marker)
    with pytest.raises(db_api.exception.InvalidInput):
        db_api.direct_page(kind.name, columns, filters={'nope': 1})
    with pytest.raises(db_api.exception.VolumeNotFound):
        db_api.direct_page(kind.name, columns, marker='no-such-volume')


def test_decoded_rows_are_sqlalchemys_values(database, make_storage):
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    storage = make_storage(deleted=True, deleted_at=when,
                           total_capacity=2 ** 62)
    table = schema.storages
    stmt = sa.select(table.c.id, table.c.deleted, table.c.deleted_at,
                     table.c.total_capacity, table.c.name).where(
        table.c.id == sa.bindparam('id'))
    query = direct.Query(stmt)
    with direct.reader() as conn:
        rows = query.rows(conn, {'id': storage['id']})
        raw = query.rows(conn, {'id': storage['id']}, decode=False)
    with db_engine.reader() as conn:
        expected = conn.execute(stmt, {'id': storage['id']}).all()
    assert rows == [tuple(expected[0])]
    assert rows[0][1] is True and rows[0][2] == when
    # Undecoded values decode to the same with the column decoders.
    with direct.reader() as conn:
        decoders = query.decoders(conn)
    assert tuple(v if d is None or v is None else d(v)
                 for v, d in zip(raw[0], decoders)) == rows[0]
    assert query.keys() == ['id', 'deleted', 'deleted_at',
                            'total_capacity', 'name']


def test_bound_datetimes_and_literals(database, make_storage):
    early = make_storage()
    table = schema.storages
    later = datetime.datetime.utcnow() + datetime.timedelta(days=1)
    query = direct.Query(sa.select(table.c.id).where(
        table.c.created_at < sa.bindparam('before'),
        table.c.vendor == 'fake_storage'))
    with direct.reader() as conn:
        assert query.rows(conn, {'before': later}) == [(early['id'],)]
        assert query.rows(conn, {'before': datetime.datetime(2000, 1, 1)}) \
            == []


def test_errors_are_sqlalchemys(database):
    query = direct.Query(sa.select(sa.text('*')).select_from(
        sa.table('no_such_table')))
    with pytest.raises(sa.exc.DBAPIError) as caught:
        with direct.reader() as conn:
            query.rows(conn)
    assert not caught.value.connection_invalidated
    # The connection went back to the pool usable.
    with direct.reader() as conn:
        assert direct.Query(sa.select(sa.literal(1))).rows(conn) == [(1,)]


def test_reads_go_on_after_the_database_drops_connections(pg_database):
    query = direct.Query(sa.select(sa.literal(7)))
    with direct.reader() as conn:
        assert query.rows(conn) == [(7,)]
    with pg_database.connect() as admin:
        admin.execute(sa.text(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = current_database() AND pid <> pg_backend_pid()'))
        admin.commit()
    # The pool finds the dead connections and replaces them.
    for _ in range(3):
        with direct.reader() as conn:
            assert query.rows(conn) == [(7,)]


def test_unreachable_database_is_an_operational_error(tmp_path):
    bad = db_engine.create_engine('sqlite:///%s' % tmp_path)  # a folder
    previous = db_engine.set_engine(bad)
    try:
        with pytest.raises(sa.exc.OperationalError):
            with direct.reader() as conn:
                direct.Query(sa.select(sa.literal(1))).rows(conn)
    finally:
        db_engine.set_engine(previous)


def test_pages_with_more_columns(database, make_storage):
    first, second = make_storage(name='a'), make_storage(name='b')
    table = schema.storages
    named = (table.c.name == sa.bindparam('wanted')).label('is_wanted')
    page = db_api.direct_page('storage', ('id',), sort=[('name', 'asc')],
                              extra=(named,), params={'wanted': 'b'})
    assert [tuple(r[:1]) + (bool(r[1]),) for r in page.rows] == [
        (first['id'], False), (second['id'], True)]


def _memo():
    with direct.reader() as conn:
        return conn.memo()


def test_the_memo_lasts_while_nothing_is_committed(database, make_storage):
    if database.dialect.name != 'sqlite':
        # No cheap way to tell a change: nothing is kept.
        assert _memo() is None
        return
    memo = _memo()
    memo.keep('answer', 42)
    assert _memo().get('answer') == 42
    assert _memo() is memo
    # A commit by another connection (of this process or another) empties
    # it before anything is read from it.
    make_storage()
    assert _memo().get('answer') is None
    memo.keep('answer', 43)
    with db_engine.writer() as conn:
        conn.execute(schema.storages.update().values(location='x'))
    assert 'answer' not in _memo()
    # A transaction that changes nothing leaves it.
    memo.keep('answer', 44)
    with db_engine.writer() as conn:
        conn.execute(sa.select(schema.storages.c.id)).all()
    assert _memo().get('answer') == 44


def test_the_memo_is_bounded_and_by_thread(sqlite_database):
    import threading
    memo = _memo()
    for i in range(direct.MEMO_LIMIT + 10):
        memo.keep(i, i)
    # The oldest entries made room for the newest.
    assert sorted(memo) == list(range(10, direct.MEMO_LIMIT + 10))
    other = {}
    thread = threading.Thread(target=lambda: other.update(memo=_memo()))
    thread.start()
    thread.join()
    assert other['memo'] is not memo and not other['memo']


def test_a_thread_reads_on_after_its_connection_is_closed(sqlite_database,
                                                          make_storage):
    storage = make_storage()
    query = direct.Query(sa.select(schema.storages.c.id))
    with direct.reader() as conn:
        assert query.rows(conn) == [(storage['id'],)]
        conn.kept.dbapi.close()
        with pytest.raises(sa.exc.DBAPIError) as caught:
            query.rows(conn)
    assert caught.value.connection_invalidated
    with direct.reader() as conn:
        assert query.rows(conn) == [(storage['id'],)]


def test_reads_follow_the_engine_of_the_process(sqlite_database, tmp_path,
                                                make_storage):
    storage = make_storage()
    query = direct.Query(sa.select(schema.storages.c.id))
    other = db_engine.create_engine('sqlite:///%s' % (tmp_path / 'o.db'))
    db_schema_engine = db_engine.set_engine(other)
    try:
        schema.metadata.create_all(other)
        with direct.reader() as conn:
            assert query.rows(conn) == []
            assert conn.memo() is not None
    finally:
        db_engine.set_engine(db_schema_engine)
        other.dispose()
    with direct.reader() as conn:
        assert query.rows(conn) == [(storage['id'],)]


def test_an_in_memory_database_is_read_on_its_one_connection():
    memory = db_engine.create_engine('sqlite://')
    schema.metadata.create_all(memory)
    previous = db_engine.set_engine(memory)
    try:
        with db_engine.writer() as conn:
            conn.execute(schema.storages.insert().values(
                id='s1', name='n', vendor='v', model='m', status='normal',
                serial_number='1', sync_status=0, deleted=False,
                created_at=datetime.datetime(2024, 1, 1)))
        with direct.reader() as conn:
            assert direct.Query(sa.select(schema.storages.c.id)).rows(
                conn) == [('s1',)]
            assert conn.memo() is None
    finally:
        db_engine.set_engine(previous)
        memory.dispose()


def test_a_memo_asked_for_an_earlier_time_is_not_checked_again(
        sqlite_database, make_storage):
    import time
    arrived = time.monotonic()
    memo = _memo()                  # asks the database (after `arrived`)
    memo.keep('answer', 1)
    make_storage()                  # committed after that question
    with direct.reader() as conn:
        # A request that arrived before the question is answered by it:
        # what it must see was committed before it arrived.
        assert conn.memo(since=arrived).get('answer') == 1
        # One that arrives now must see the commit.
        assert conn.memo(since=time.monotonic()).get('answer') is None


def test_kept_connections_never_hold_back_a_checkpoint(sqlite_database,
                                                       make_storage):
    import threading
    storage = make_storage()
    query = direct.Query(sa.select(schema.storages.c.id))

    def read():
        with direct.reader() as conn:
            conn.memo()
            assert (storage['id'],) in query.rows(conn)

    read()
    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    make_storage()
    read()
    with sqlite_database.connect() as conn:
        busy, frames, done = conn.exec_driver_sql(
            'PRAGMA wal_checkpoint(TRUNCATE)').one()
    # Nobody reads an old state of the database: the whole log went into
    # the file and was emptied.
    assert (busy, frames, done) == (0, 0, 0)


class _Failing(object):
    """A SQLite connection whose next statement fails (the database is
    busy), not a dropped one."""

    def __init__(self, real):
        self.real = real

    def execute(self, *args):
        import sqlite3
        raise sqlite3.OperationalError('database is locked')

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_question_that_failed_answers_nothing(sqlite_database,
                                                make_storage):
    import time
    memo = _memo()
    memo.keep('answer', 1)
    make_storage()
    committed = time.monotonic()
    with direct.reader() as conn:
        real = conn.kept.dbapi
        conn.kept.dbapi = _Failing(real)
        try:
            with pytest.raises(sa.exc.OperationalError):
                conn.memo()
        finally:
            conn.kept.dbapi = real
        # A request that arrived after the commit (and before the failed
        # question) is still answered after a question that succeeded.
        assert conn.memo(since=committed).get('answer') is None
