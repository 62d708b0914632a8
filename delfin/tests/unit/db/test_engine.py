"""SQLite settings of the engine."""
import sqlite3

import sqlalchemy as sa

from delfin.db import engine as db_engine


def _pragmas(engine):
    with engine.connect() as conn:
        return (conn.exec_driver_sql('PRAGMA page_size').scalar(),
                conn.exec_driver_sql('PRAGMA journal_mode').scalar())


def test_new_database_gets_the_page_size_and_wal(tmp_path):
    engine = db_engine.create_engine('sqlite:///%s' % (tmp_path / 'new.db'))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (x INTEGER)')
        assert _pragmas(engine) == (db_engine.PAGE_SIZE, 'wal')
    finally:
        engine.dispose()


def test_existing_database_keeps_its_page_size(tmp_path):
    path = tmp_path / 'old.db'
    raw = sqlite3.connect(str(path))
    raw.execute('PRAGMA page_size=4096')
    raw.execute('CREATE TABLE t (x INTEGER)')
    raw.execute('INSERT INTO t VALUES (1)')
    raw.commit()
    raw.close()
    engine = db_engine.create_engine('sqlite:///%s' % path)
    try:
        assert _pragmas(engine) == (4096, 'wal')
        with engine.begin() as conn:
            conn.execute(sa.text('INSERT INTO t VALUES (2)'))
            assert conn.execute(sa.text('SELECT count(*) FROM t')).scalar() \
                == 2
    finally:
        engine.dispose()
