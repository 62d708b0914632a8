"""Sync jobs record the heartbeat of the node running them and how many
times they were started.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_jobs') as batch:
        batch.add_column(sa.Column(
            'heartbeat_at',
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'),
            nullable=True))
        batch.add_column(sa.Column(
            'attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('sync_jobs') as batch:
        batch.drop_column('attempts')
        batch.drop_column('heartbeat_at')
