"""The migrations build the schema's metadata; the first one is frozen."""
from delfin.db import engine as db_engine
from delfin.db import migration
from delfin.db.migrations import regenerate


def test_the_migrations_build_exactly_the_current_schema(tmp_path):
    # Revision 0001 is released and frozen; each later change of
    # delfin/db/schema.py comes with a revision of its own.
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
