"""The first migration is the schema's metadata, rendered."""
import os

from delfin.db.migrations import regenerate


def test_first_migration_is_rendered_from_the_current_schema():
    with open(regenerate.TARGET) as f:
        stored = f.read()
    assert stored == regenerate.render(), (
        'delfin/db/schema.py changed: run '
        '"python -m delfin.db.migrations.regenerate" and commit %s'
        % os.path.relpath(regenerate.TARGET))


def test_first_migration_creates_every_table():
    text = regenerate.render()
    from delfin.db import schema
    for name in schema.metadata.tables:
        assert "op.create_table('%s'," % name in text
