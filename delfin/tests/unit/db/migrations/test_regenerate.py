"""The migrations build the schema's metadata; the first one is released
and frozen."""
import hashlib
import os

from delfin.db import engine as db_engine
from delfin.db import migration
from delfin.db.migrations import regenerate


# Revision 0001 is released: it never changes again (a schema change is a
# new revision), so its text is pinned.
RELEASED_0001_SHA256 = (
    '50bc2473a439d1abcb1a90ed2cccf5d5d64e7944'
    '8423f8d7ae50d9978fb0e616')


def test_first_migration_is_frozen():
    with open(regenerate.TARGET, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert digest == RELEASED_0001_SHA256, (
        '%s changed: migration 0001 is released; add a new revision '
        'instead' % os.path.relpath(regenerate.TARGET))


def test_the_migrations_build_exactly_the_current_schema(tmp_path):
    # Each change of delfin/db/schema.py comes with a revision of its own.
    engine = db_engine.create_engine('sqlite:///%s' % (tmp_path / 'm.db'))
    try:
        assert migration.upgrade(engine) == migration.head()
        assert migration.check(engine) == []
    finally:
        engine.dispose()


def test_regenerating_the_frozen_first_migration_is_refused(capsys):
    with open(regenerate.TARGET) as f:
        before = f.read()
    assert regenerate.main([]) == 1
    assert 'frozen' in capsys.readouterr().out
    with open(regenerate.TARGET) as f:
        assert f.read() == before


def test_first_migration_creates_every_table():
    text = regenerate.render()
    from delfin.db import schema
    for name in schema.metadata.tables:
        assert "op.create_table('%s'," % name in text
