"""Every schema revision upgrades to the newest without losing rows.

For each revision of the migration scripts and each database (SQLite,
PostgreSQL, MariaDB), a database is built at that revision, a row is put
in each of its tables (values made from the reflected column types,
foreign keys pointing at the rows of the referenced tables), the database
is upgraded to the newest revision, and every row must still be there
with the values of the columns both schemas have.  New revisions are
picked up by themselves.
"""
import datetime
import decimal
import json

import pytest
import sqlalchemy as sa
from alembic import script as alembic_script

from delfin.db import engine as db_engine
from delfin.db import migration
from delfin.tests.fixtures.db import BACKENDS
from delfin.tests.fixtures.db import empty_database_url

WHEN = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)


def revisions():
    """Every revision, oldest first."""
    scripts = alembic_script.ScriptDirectory(migration.MIGRATIONS_DIR)
    return [r.revision for r in reversed(list(scripts.walk_revisions()))]


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _value(table, column, number):
    """A value fitting the reflected ``column`` of ``table``."""
    python_type = _python_type(column)
    if python_type is bool:
        return True
    if python_type is int and type(column.type).__name__ in (
            'TINYINT', 'SMALLINT'):
        # MariaDB's BOOLEAN is TINYINT(1).
        return 1
    if python_type is int:
        big = isinstance(column.type, sa.BigInteger)
        return (2 ** 40 + number) if big else 1000 + number
    if python_type in (float, decimal.Decimal):
        return 1.5
    if python_type is datetime.datetime:
        return WHEN
    if python_type in (dict, list):
        return {'kept': number}
    length = getattr(column.type, 'length', None)
    if length is None:
        # Unbounded text; JSON, in case a revision reads it as such.
        return json.dumps(['kept', table.name, column.name])
    return ('%d-%s.%s' % (number, table.name, column.name))[:length]


def _fill(conn, metadata):
    """Insert one row in every table; returns {table name: row}."""
    rows = {}
    for number, table in enumerate(metadata.sorted_tables):
        if table.name == 'alembic_version':
            continue
        row = {}
        for column in table.columns:
            references = list(column.foreign_keys)
            if references:
                target = references[0].column
                row[column.name] = rows[target.table.name][target.name]
            else:
                row[column.name] = _value(table, column, number)
        conn.execute(table.insert().values(**row))
        rows[table.name] = row
    return rows


def _same(before, after):
    if isinstance(before, datetime.datetime) and \
            isinstance(after, datetime.datetime):
        return before.replace(tzinfo=None) == after.replace(tzinfo=None)
    if isinstance(before, bool) or isinstance(after, bool):
        return bool(before) == bool(after)
    if isinstance(after, str) and not isinstance(before, str):
        return json.loads(after) == before
    return before == after


@pytest.mark.parametrize('revision', revisions())
@pytest.mark.parametrize('backend', BACKENDS)
def test_rows_survive_the_upgrade_to_the_newest_revision(
        backend, revision, db_servers, tmp_path):
    url = empty_database_url(backend, db_servers, tmp_path,
                             '_keep_%s' % revision)
    engine = db_engine.create_engine(url)
    try:
        migration.upgrade(engine, revision)
        old = sa.MetaData()
        old.reflect(engine)
        with engine.begin() as conn:
            rows = _fill(conn, old)
        assert rows, 'revision %s has no tables' % revision
        assert migration.upgrade(engine) == migration.head()
        new = sa.MetaData()
        new.reflect(engine)
        with engine.connect() as conn:
            for name, row in rows.items():
                assert name in new.tables, 'table %s was dropped' % name
                table = new.tables[name]
                key = [c for c in old.tables[name].primary_key.columns]
                where = [table.c[c.name] == row[c.name] for c in key]
                found = conn.execute(sa.select(table).where(*where)).all()
                assert len(found) == 1, 'the row of %s is gone' % name
                kept = found[0]._mapping
                for column, value in row.items():
                    if column in table.c:
                        assert _same(value, kept[column]), (
                            name, column, value, kept[column])
    finally:
        engine.dispose()
