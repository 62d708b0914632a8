"""Schema migrations on SQLite, PostgreSQL and MariaDB."""
import threading

import pytest
import sqlalchemy as sa

from delfin.db import engine as db_engine
from delfin.db import migration
from delfin.db import schema
from delfin.tests.fixtures.db import BACKENDS
from delfin.tests.fixtures.db import empty_database_url


def test_upgrade_builds_exactly_the_declared_schema(database):
    # Fails when delfin/db/schema.py changed without a new revision in
    # delfin/db/migrations/versions/ (revision 0001 is frozen).
    assert migration.check(database) == []
    assert migration.current(database) == migration.head() == '0004'


def test_upgrade_of_an_up_to_date_database_changes_nothing(database):
    before = sa.inspect(database).get_table_names()
    assert migration.upgrade(database) == migration.head()
    assert sorted(sa.inspect(database).get_table_names()) == sorted(before)


def test_every_declared_table_exists(database):
    names = set(sa.inspect(database).get_table_names())
    assert set(schema.metadata.tables) <= names
    assert 'alembic_version' in names


@pytest.mark.parametrize('backend', BACKENDS)
def test_processes_upgrading_at_once_both_succeed(backend, db_servers,
                                                  tmp_path):
    url = empty_database_url(backend, db_servers, tmp_path, '_race')
    engines = [db_engine.create_engine(url) for _ in range(2)]
    barrier = threading.Barrier(len(engines))
    results, errors = [], []

    def run(engine):
        barrier.wait()
        try:
            results.append(migration.upgrade(engine))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert errors == []
        assert results == [migration.head()] * len(engines)
        assert migration.check(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


def test_current_of_an_empty_database_is_none(tmp_path):
    engine = db_engine.create_engine('sqlite:///%s' % (tmp_path / 'e.db'))
    try:
        assert migration.current(engine) is None
        assert migration.check(engine) != []
    finally:
        engine.dispose()


def test_new_sqlite_files_opened_by_racing_processes_never_fail(tmp_path):
    # Switching a new SQLite file to WAL needs it to itself: connections
    # opened while another one creates the schema must wait, not fail
    # with "database is locked".  The race is short, so it is run often.
    errors = []
    for round_no in range(8):
        url = 'sqlite:///%s' % (tmp_path / ('race%d.db' % round_no))
        engines = [db_engine.create_engine(url) for _ in range(3)]
        barrier = threading.Barrier(len(engines))

        def run(engine):
            barrier.wait()
            try:
                migration.upgrade(engine)
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for engine in engines:
            engine.dispose()
    assert errors == []
