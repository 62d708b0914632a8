"""Keep what the sync tolerated in a chunk beside the chunk's digest.

A re-sync that skips an unchanged chunk by its digest still reports the
chunk's values outside the vocabulary, duplicates and skipped items, from
``sync_digests.warnings``.  Digests stored before this revision are of
chunks in which nothing was tolerated: NULL.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('sync_digests', sa.Column(
        'warnings', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'),
        nullable=True))


def downgrade():
    with op.batch_alter_table('sync_digests') as batch:
        batch.drop_column('warnings')
