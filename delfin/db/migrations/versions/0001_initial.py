"""The initial schema: every table of the service.

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
    op.create_table('storages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('location', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('vendor', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('model', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('serial_number', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('firmware_version', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('total_capacity', sa.BigInteger(), nullable=True),
    sa.Column('used_capacity', sa.BigInteger(), nullable=True),
    sa.Column('free_capacity', sa.BigInteger(), nullable=True),
    sa.Column('raw_capacity', sa.BigInteger(), nullable=True),
    sa.Column('subscribed_capacity', sa.BigInteger(), nullable=True),
    sa.Column('sync_status', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storages'))
    )
    op.create_index(op.f('ix_storages_created_at_id'), 'storages', ['created_at', 'id'], unique=False)
    op.create_index('ix_storages_model', 'storages', ['model', 'created_at', 'id'], unique=False)
    op.create_index('ix_storages_name', 'storages', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_storages_serial_number', 'storages', ['serial_number', 'created_at', 'id'], unique=False)
    op.create_index('ix_storages_status', 'storages', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_storages_vendor', 'storages', ['vendor', 'created_at', 'id'], unique=False)
    op.create_table('access_info',
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('storage_name', sa.String(length=255), nullable=True),
    sa.Column('vendor', sa.String(length=255), nullable=False),
    sa.Column('model', sa.String(length=255), nullable=False),
    sa.Column('rest', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('ssh', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('cli', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('smis', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('extra_attributes', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_access_info_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('storage_id', name=op.f('pk_access_info'))
    )
    op.create_table('alert_sources',
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('community_string', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('security_level', sa.String(length=32), nullable=True),
    sa.Column('auth_key', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('auth_protocol', sa.String(length=32), nullable=True),
    sa.Column('privacy_protocol', sa.String(length=32), nullable=True),
    sa.Column('privacy_key', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('engine_id', sa.String(length=64), nullable=True),
    sa.Column('context_name', sa.String(length=255), nullable=True),
    sa.Column('port', sa.Integer(), nullable=True),
    sa.Column('retry_num', sa.Integer(), nullable=True),
    sa.Column('expiration', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_alert_sources_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('storage_id', name=op.f('pk_alert_sources'))
    )
    op.create_index(op.f('ix_alert_sources_host'), 'alert_sources', ['host'], unique=False)
    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('fingerprint', sa.BigInteger(), nullable=False),
    sa.Column('alert_id', sa.String(length=255), nullable=True),
    sa.Column('alert_name', sa.String(length=255), nullable=True),
    sa.Column('severity', sa.String(length=32), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('sequence_number', sa.String(length=255), nullable=True),
    sa.Column('occur_time', sa.BigInteger(), nullable=True),
    sa.Column('description', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('recovery_advice', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('resource_type', sa.String(length=255), nullable=True),
    sa.Column('location', sa.String(length=1024), nullable=True),
    sa.Column('match_key', sa.String(length=255), nullable=True),
    sa.Column('clear_key', sa.BigInteger(), nullable=True),
    sa.Column('clear_category', sa.String(length=32), nullable=True),
    sa.Column('occurrence_count', sa.Integer(), nullable=False),
    sa.Column('first_occur_time', sa.BigInteger(), nullable=True),
    sa.Column('last_occur_time', sa.BigInteger(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('cleared_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_alerts_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_alerts_fingerprint'))
    )
    op.create_index(op.f('ix_alerts_clear_key'), 'alerts', ['clear_key'], unique=False)
    op.create_index(op.f('ix_alerts_occur_time_id'), 'alerts', ['occur_time', 'id'], unique=False)
    op.create_index(op.f('ix_alerts_storage_id_occur_time_id'), 'alerts', ['storage_id', 'occur_time', 'id'], unique=False)
    op.create_table('controllers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_controller_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('location', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('soft_version', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('cpu_info', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('cpu_count', sa.Integer(), nullable=True),
    sa.Column('memory_size', sa.BigInteger(), nullable=True),
    sa.Column('mgmt_ip', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_controllers_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_controllers')),
    sa.UniqueConstraint('native_controller_id', 'storage_id', name='uq_controllers_identity')
    )
    op.create_index('ix_controllers_created_at', 'controllers', ['created_at', 'id'], unique=False)
    op.create_index('ix_controllers_name', 'controllers', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_controllers_status', 'controllers', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_controllers_storage_id', 'controllers', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('disks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_disk_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('physical_type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('logical_type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('location', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_disk_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('serial_number', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('manufacturer', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('model', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('firmware', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('speed', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.BigInteger(), nullable=True),
    sa.Column('health_score', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_disks_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disks')),
    sa.UniqueConstraint('native_disk_id', 'storage_id', name='uq_disks_identity')
    )
    op.create_index('ix_disks_created_at', 'disks', ['created_at', 'id'], unique=False)
    op.create_index('ix_disks_name', 'disks', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_disks_native_disk_group_id', 'disks', ['native_disk_group_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_disks_status', 'disks', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_disks_storage_id', 'disks', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('filesystems',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_filesystem_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_pool_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('security_mode', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('total_capacity', sa.BigInteger(), nullable=True),
    sa.Column('used_capacity', sa.BigInteger(), nullable=True),
    sa.Column('free_capacity', sa.BigInteger(), nullable=True),
    sa.Column('compressed', sa.Boolean(), nullable=True),
    sa.Column('deduplicated', sa.Boolean(), nullable=True),
    sa.Column('worm', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_filesystems_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filesystems')),
    sa.UniqueConstraint('native_filesystem_id', 'storage_id', name='uq_filesystems_identity')
    )
    op.create_index('ix_filesystems_created_at', 'filesystems', ['created_at', 'id'], unique=False)
    op.create_index('ix_filesystems_name', 'filesystems', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_filesystems_native_pool_id', 'filesystems', ['native_pool_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_filesystems_status', 'filesystems', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_filesystems_storage_id', 'filesystems', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('inventory_counts',
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_inventory_counts_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('storage_id', 'kind', name=op.f('pk_inventory_counts'))
    )
    op.create_index('ix_inventory_counts_kind', 'inventory_counts', ['kind', 'row_count'], unique=False)
    op.create_table('masking_views',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_masking_view_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_storage_host_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_volume_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_port_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_storage_host_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_volume_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_masking_views_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_masking_views')),
    sa.UniqueConstraint('native_masking_view_id', 'storage_id', name='uq_masking_views_identity')
    )
    op.create_index('ix_masking_views_created_at', 'masking_views', ['created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_name', 'masking_views', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_native_port_group_id', 'masking_views', ['native_port_group_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_native_storage_host_group_id', 'masking_views', ['native_storage_host_group_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_native_storage_host_id', 'masking_views', ['native_storage_host_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_native_volume_group_id', 'masking_views', ['native_volume_group_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_native_volume_id', 'masking_views', ['native_volume_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_masking_views_storage_id', 'masking_views', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('port_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_port_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_port_groups_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_groups')),
    sa.UniqueConstraint('native_port_group_id', 'storage_id', name='uq_port_groups_identity')
    )
    op.create_index('ix_port_groups_created_at', 'port_groups', ['created_at', 'id'], unique=False)
    op.create_index('ix_port_groups_name', 'port_groups', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_port_groups_storage_id', 'port_groups', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('port_grp_port_rels',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_port_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_port_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_port_grp_port_rels_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_grp_port_rels')),
    sa.UniqueConstraint('native_port_group_id', 'native_port_id', 'storage_id', name='uq_port_grp_port_rels_identity')
    )
    op.create_index('ix_port_grp_port_rels_created_at', 'port_grp_port_rels', ['created_at', 'id'], unique=False)
    op.create_index('ix_port_grp_port_rels_storage_id', 'port_grp_port_rels', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('ports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_port_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('location', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('logical_type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('connection_status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('health_status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_parent_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('speed', sa.BigInteger(), nullable=True),
    sa.Column('max_speed', sa.BigInteger(), nullable=True),
    sa.Column('wwn', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('mac_address', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('ipv4', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('ipv4_mask', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('ipv6', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('ipv6_mask', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_ports_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('native_port_id', 'storage_id', name='uq_ports_identity')
    )
    op.create_index('ix_ports_connection_status', 'ports', ['connection_status', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_created_at', 'ports', ['created_at', 'id'], unique=False)
    op.create_index('ix_ports_health_status', 'ports', ['health_status', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_name', 'ports', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_native_parent_id', 'ports', ['native_parent_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_storage_id', 'ports', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_type', 'ports', ['type', 'created_at', 'id'], unique=False)
    op.create_index('ix_ports_wwn', 'ports', ['wwn', 'created_at', 'id'], unique=False)
    op.create_table('qtrees',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_qtree_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('path', sa.String(length=1024).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=1024), 'mysql'), nullable=True),
    sa.Column('native_filesystem_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('security_mode', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_qtrees_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qtrees')),
    sa.UniqueConstraint('native_qtree_id', 'storage_id', name='uq_qtrees_identity')
    )
    op.create_index('ix_qtrees_created_at', 'qtrees', ['created_at', 'id'], unique=False)
    op.create_index('ix_qtrees_name', 'qtrees', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_qtrees_native_filesystem_id', 'qtrees', ['native_filesystem_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_qtrees_storage_id', 'qtrees', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('quotas',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_quota_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_filesystem_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_qtree_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('capacity_hard_limit', sa.BigInteger(), nullable=True),
    sa.Column('capacity_soft_limit', sa.BigInteger(), nullable=True),
    sa.Column('file_hard_limit', sa.BigInteger(), nullable=True),
    sa.Column('file_soft_limit', sa.BigInteger(), nullable=True),
    sa.Column('file_count', sa.BigInteger(), nullable=True),
    sa.Column('used_capacity', sa.BigInteger(), nullable=True),
    sa.Column('user_group_name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_quotas_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotas')),
    sa.UniqueConstraint('native_quota_id', 'storage_id', name='uq_quotas_identity')
    )
    op.create_index('ix_quotas_created_at', 'quotas', ['created_at', 'id'], unique=False)
    op.create_index('ix_quotas_native_filesystem_id', 'quotas', ['native_filesystem_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_quotas_native_qtree_id', 'quotas', ['native_qtree_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_quotas_storage_id', 'quotas', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_quotas_type', 'quotas', ['type', 'created_at', 'id'], unique=False)
    op.create_index('ix_quotas_user_group_name', 'quotas', ['user_group_name', 'created_at', 'id'], unique=False)
    op.create_table('shares',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_share_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('path', sa.String(length=1024).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=1024), 'mysql'), nullable=True),
    sa.Column('native_filesystem_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_qtree_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('protocol', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_shares_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shares')),
    sa.UniqueConstraint('native_share_id', 'storage_id', name='uq_shares_identity')
    )
    op.create_index('ix_shares_created_at', 'shares', ['created_at', 'id'], unique=False)
    op.create_index('ix_shares_name', 'shares', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_shares_native_filesystem_id', 'shares', ['native_filesystem_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_shares_native_qtree_id', 'shares', ['native_qtree_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_shares_protocol', 'shares', ['protocol', 'created_at', 'id'], unique=False)
    op.create_index('ix_shares_storage_id', 'shares', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('storage_host_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_storage_host_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_storage_host_groups_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_host_groups')),
    sa.UniqueConstraint('native_storage_host_group_id', 'storage_id', name='uq_storage_host_groups_identity')
    )
    op.create_index('ix_storage_host_groups_created_at', 'storage_host_groups', ['created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_groups_name', 'storage_host_groups', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_groups_storage_id', 'storage_host_groups', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('storage_host_grp_host_rels',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_storage_host_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_storage_host_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_storage_host_grp_host_rels_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_host_grp_host_rels')),
    sa.UniqueConstraint('native_storage_host_group_id', 'native_storage_host_id', 'storage_id', name='uq_storage_host_grp_host_rels_identity')
    )
    op.create_index('ix_storage_host_grp_host_rels_created_at', 'storage_host_grp_host_rels', ['created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_grp_host_rels_storage_id', 'storage_host_grp_host_rels', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('storage_host_initiators',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_storage_host_initiator_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_storage_host_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('alias', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('wwn', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_storage_host_initiators_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_host_initiators')),
    sa.UniqueConstraint('native_storage_host_initiator_id', 'storage_id', name='uq_storage_host_initiators_identity')
    )
    op.create_index('ix_storage_host_initiators_created_at', 'storage_host_initiators', ['created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_name', 'storage_host_initiators', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_native_storage_host_id', 'storage_host_initiators', ['native_storage_host_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_status', 'storage_host_initiators', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_storage_id', 'storage_host_initiators', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_type', 'storage_host_initiators', ['type', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_host_initiators_wwn', 'storage_host_initiators', ['wwn', 'created_at', 'id'], unique=False)
    op.create_table('storage_hosts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_storage_host_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('os_type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('ip_address', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_storage_hosts_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_hosts')),
    sa.UniqueConstraint('native_storage_host_id', 'storage_id', name='uq_storage_hosts_identity')
    )
    op.create_index('ix_storage_hosts_created_at', 'storage_hosts', ['created_at', 'id'], unique=False)
    op.create_index('ix_storage_hosts_ip_address', 'storage_hosts', ['ip_address', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_hosts_name', 'storage_hosts', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_hosts_os_type', 'storage_hosts', ['os_type', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_hosts_status', 'storage_hosts', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_hosts_storage_id', 'storage_hosts', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('storage_pools',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_storage_pool_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('storage_type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('total_capacity', sa.BigInteger(), nullable=True),
    sa.Column('used_capacity', sa.BigInteger(), nullable=True),
    sa.Column('free_capacity', sa.BigInteger(), nullable=True),
    sa.Column('subscribed_capacity', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_storage_pools_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_pools')),
    sa.UniqueConstraint('native_storage_pool_id', 'storage_id', name='uq_storage_pools_identity')
    )
    op.create_index('ix_storage_pools_created_at', 'storage_pools', ['created_at', 'id'], unique=False)
    op.create_index('ix_storage_pools_name', 'storage_pools', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_pools_status', 'storage_pools', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_storage_pools_storage_id', 'storage_pools', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('sync_digests',
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('chunk', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_sync_digests_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('storage_id', 'kind', 'chunk', name=op.f('pk_sync_digests'))
    )
    op.create_table('sync_freshness',
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('last_success_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('last_duration', sa.Double(), nullable=True),
    sa.Column('item_count', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('last_job_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_sync_freshness_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('storage_id', 'kind', name=op.f('pk_sync_freshness'))
    )
    op.create_table('sync_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('active_storage_id', sa.String(length=36), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('progress', sa.JSON().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('error', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('finished_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_sync_jobs_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_jobs')),
    sa.UniqueConstraint('active_storage_id', name='uq_sync_jobs_active_storage_id')
    )
    op.create_index('ix_sync_jobs_created_at', 'sync_jobs', ['created_at', 'id'], unique=False)
    op.create_index('ix_sync_jobs_state', 'sync_jobs', ['state', 'created_at', 'id'], unique=False)
    op.create_index('ix_sync_jobs_storage_id', 'sync_jobs', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('vol_grp_vol_rels',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_volume_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_volume_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_vol_grp_vol_rels_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vol_grp_vol_rels')),
    sa.UniqueConstraint('native_volume_group_id', 'native_volume_id', 'storage_id', name='uq_vol_grp_vol_rels_identity')
    )
    op.create_index('ix_vol_grp_vol_rels_created_at', 'vol_grp_vol_rels', ['created_at', 'id'], unique=False)
    op.create_index('ix_vol_grp_vol_rels_storage_id', 'vol_grp_vol_rels', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('volume_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_volume_group_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_volume_groups_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_groups')),
    sa.UniqueConstraint('native_volume_group_id', 'storage_id', name='uq_volume_groups_identity')
    )
    op.create_index('ix_volume_groups_created_at', 'volume_groups', ['created_at', 'id'], unique=False)
    op.create_index('ix_volume_groups_name', 'volume_groups', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_volume_groups_storage_id', 'volume_groups', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_table('volumes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('storage_id', sa.String(length=36), nullable=False),
    sa.Column('native_volume_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('name', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('description', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('type', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('status', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('native_storage_pool_id', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('wwn', sa.String(length=255).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=255), 'mysql'), nullable=True),
    sa.Column('total_capacity', sa.BigInteger(), nullable=True),
    sa.Column('used_capacity', sa.BigInteger(), nullable=True),
    sa.Column('free_capacity', sa.BigInteger(), nullable=True),
    sa.Column('compressed', sa.Boolean(), nullable=True),
    sa.Column('deduplicated', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['storage_id'], ['storages.id'], name=op.f('fk_volumes_storage_id_storages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volumes')),
    sa.UniqueConstraint('native_volume_id', 'storage_id', name='uq_volumes_identity')
    )
    op.create_index('ix_volumes_created_at', 'volumes', ['created_at', 'id'], unique=False)
    op.create_index('ix_volumes_name', 'volumes', ['name', 'created_at', 'id'], unique=False)
    op.create_index('ix_volumes_native_storage_pool_id', 'volumes', ['native_storage_pool_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_volumes_status', 'volumes', ['status', 'created_at', 'id'], unique=False)
    op.create_index('ix_volumes_storage_id', 'volumes', ['storage_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_volumes_wwn', 'volumes', ['wwn', 'created_at', 'id'], unique=False)


def downgrade():
    op.drop_table('volumes')
    op.drop_table('volume_groups')
    op.drop_table('vol_grp_vol_rels')
    op.drop_table('sync_jobs')
    op.drop_table('sync_freshness')
    op.drop_table('sync_digests')
    op.drop_table('storage_pools')
    op.drop_table('storage_hosts')
    op.drop_table('storage_host_initiators')
    op.drop_table('storage_host_grp_host_rels')
    op.drop_table('storage_host_groups')
    op.drop_table('shares')
    op.drop_table('quotas')
    op.drop_table('qtrees')
    op.drop_table('ports')
    op.drop_table('port_grp_port_rels')
    op.drop_table('port_groups')
    op.drop_table('masking_views')
    op.drop_table('inventory_counts')
    op.drop_table('filesystems')
    op.drop_table('disks')
    op.drop_table('controllers')
    op.drop_table('alerts')
    op.drop_table('alert_sources')
    op.drop_table('access_info')
    op.drop_table('storages')
