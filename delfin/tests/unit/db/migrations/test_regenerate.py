"""The first migration: released and frozen, and what it was rendered
from."""
import os

from delfin.db.migrations import regenerate


# Revision 0001 is released: it never changes again (a schema change is a
# new revision), so its text is pinned.
RELEASED_0001_SHA256 = (
    '50bc2473a439d1abcb1a90ed2cccf5d5d64e7944'
    '8423f8d7ae50d9978fb0e616')


def test_first_migration_is_frozen():
    import hashlib
    with open(regenerate.TARGET, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert digest == RELEASED_0001_SHA256, (
        '%s changed: migration 0001 is released; add a new revision '
        'instead' % os.path.relpath(regenerate.TARGET))


def test_first_migration_creates_every_table():
    text = regenerate.render()
    from delfin.db import schema
    for name in schema.metadata.tables:
        assert "op.create_table('%s'," % name in text
