"""Performance collection: per-storage collection state and recent samples.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql')


def _storage_id(**kw):
    return sa.Column('storage_id', sa.String(36),
                     sa.ForeignKey('storages.id', ondelete='CASCADE'),
                     nullable=False, **kw)


def _counter(name):
    return sa.Column(name, sa.BigInteger(), nullable=False,
                     server_default='0')


def upgrade():
    op.create_table(
        'perf_collections',
        _storage_id(primary_key=True),
        sa.Column('interval', sa.Integer()),
        sa.Column('enabled', sa.Boolean(), nullable=False,
                  server_default=sa.true()),
        sa.Column('collected_until', sa.BigInteger()),
        _counter('windows_collected'),
        _counter('windows_failed'),
        _counter('windows_lost'),
        _counter('samples_collected'),
        sa.Column('last_error', _TEXT),
        sa.Column('last_success_at', _DATETIME),
        sa.Column('created_at', _DATETIME, nullable=False),
        sa.Column('updated_at', _DATETIME),
    )
    op.create_table(
        'perf_samples',
        _storage_id(primary_key=True),
        sa.Column('resource_type', sa.String(32), primary_key=True),
        sa.Column('resource_id', sa.String(255), primary_key=True),
        sa.Column('metric', sa.String(64), primary_key=True),
        sa.Column('timestamp', sa.BigInteger(), primary_key=True,
                  autoincrement=False),
        sa.Column('value', sa.Double(), nullable=False),
    )
    op.create_index('ix_perf_samples_timestamp', 'perf_samples',
                    ['timestamp'])


def downgrade():
    op.drop_index('ix_perf_samples_timestamp', table_name='perf_samples')
    op.drop_table('perf_samples')
    op.drop_table('perf_collections')
