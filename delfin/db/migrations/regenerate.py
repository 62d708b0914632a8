"""Rewrite the first migration from `delfin.db.schema.metadata`.

Until the schema was released, revision 0001 was kept equal to the metadata
instead of stacking new revisions on it, by running, from the repository
root::

    .venv/bin/python -m delfin.db.migrations.regenerate

Revision 0001 is now released and frozen: a change of delfin/db/schema.py
comes with a new revision in ``versions/``, and once one exists this tool
refuses to rewrite 0001.  The tests check that the revisions together build
exactly the metadata.
"""
import os
import sys

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.autogenerate import render_python_code
from alembic.migration import MigrationContext

from delfin.db import schema

TARGET = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'versions', '0001_initial.py')

_HEADER = '''"""The initial schema: every table of the service.

Generated from delfin.db.schema.metadata by
``python -m delfin.db.migrations.regenerate``; edit the schema, not this file.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
'''


def _render_item(type_, obj, autogen_context):
    # The column type is what the DDL needs; JSONText binds and loads JSON
    # at run time but is a LONGTEXT column.
    if type_ == 'type' and isinstance(obj, schema.JSONText):
        return 'mysql.LONGTEXT()'
    return False


def _body(ops):
    code = render_python_code(ops, render_item=_render_item,
                              migration_context=None)
    lines = [line for line in code.splitlines()
             if not line.strip().startswith('# ###')]
    return '\n'.join(lines).rstrip() + '\n'


def render():
    """The text of ``versions/0001_initial.py`` for the current metadata."""
    engine = sa.create_engine('sqlite://')
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            'target_metadata': schema.metadata,
            'render_item': _render_item})
        script = produce_migrations(ctx, schema.metadata)
    upgrade = _body(script.upgrade_ops)
    # Dropping a table drops its indexes; dropping an index first fails on
    # MariaDB when a foreign key uses it.
    downgrade = ''.join(line + '\n' for line in _body(
        script.downgrade_ops).splitlines()
        if not line.strip().startswith('op.drop_index'))
    return (_HEADER + upgrade + '\n\ndef downgrade():\n' + downgrade)


def _later_revisions():
    versions = os.path.dirname(TARGET)
    return sorted(name for name in os.listdir(versions)
                  if name.endswith('.py') and name[:4].isdigit()
                  and name != os.path.basename(TARGET))


def main(argv=None):
    later = _later_revisions()
    if later:
        print('%s is released and frozen (later revisions: %s); add a new '
              'revision instead' % (os.path.relpath(TARGET),
                                    ', '.join(later)))
        return 1
    text = render()
    old = None
    if os.path.exists(TARGET):
        with open(TARGET) as f:
            old = f.read()
    if old == text:
        print('%s is up to date' % os.path.relpath(TARGET))
        return 0
    with open(TARGET, 'w') as f:
        f.write(text)
    print('wrote %s' % os.path.relpath(TARGET))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
