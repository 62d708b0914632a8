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
