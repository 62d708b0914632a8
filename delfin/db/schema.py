"""The database schema, built from the resource registry.

Every inventory kind of `delfin.resources.registry` becomes a table with an
``id`` (UUID), its ``storage_id`` (a foreign key that cascades, so deleting a
storage deletes its rows and a late write for a deleted storage fails), the
kind's fields, ``created_at``/``updated_at``, and a unique key on
(storage_id, identity) that also serves lookups by native id.  Tables that
are not inventory (access info, alert sources, alerts, sync jobs) are
declared explicitly below.

Migrations (delfin/db/migrations) are the source of truth of a deployed
schema; a test checks that they produce exactly this metadata.
"""
import json

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from delfin import resources
from delfin.resources import registry

metadata = sa.MetaData(naming_convention={
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
})

# Naive UTC datetimes with microseconds on every backend.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
# Long text (MariaDB's TEXT stops at 64 KiB).
Text = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql')


class JSONText(sa.types.TypeDecorator):
    """A JSON document kept in a LONGTEXT column (MariaDB/MySQL).

    MariaDB's own JSON type is LONGTEXT with a CHECK constraint and is
    reflected as LONGTEXT; storing serialised text keeps the schema the same
    whichever way it was created.
    """
    impl = mysql.LONGTEXT
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


JSON = sa.JSON().with_variant(JSONText(), 'mysql')

_TYPES = {
    # Binary collation on MariaDB: identities and filters compare exactly
    # (case and trailing spaces), as they do on the other backends.
    registry.STRING: lambda f: sa.String(f.length).with_variant(
        mysql.VARCHAR(f.length, charset='utf8mb4', collation='utf8mb4_bin'),
        'mysql'),
    registry.TEXT: lambda f: Text,
    registry.INTEGER: lambda f: sa.Integer(),
    registry.BIGINT: lambda f: sa.BigInteger(),
    registry.BOOLEAN: lambda f: sa.Boolean(create_constraint=False),
    registry.DATETIME: lambda f: DateTime,
    registry.JSON: lambda f: JSON,
}


def column_type(field):
    """The SQL type of a registry field."""
    return _TYPES[field.type](field)


def _timestamps():
    return [sa.Column('created_at', DateTime, nullable=False),
            sa.Column('updated_at', DateTime, nullable=True)]


def _storage_fk(index=True, primary_key=False):
    """``storage_id``, referencing a storage: deleting the storage deletes
    the row."""
    return sa.Column('storage_id', sa.String(36),
                     sa.ForeignKey('storages.id', ondelete='CASCADE'),
                     nullable=False, primary_key=primary_key,
                     index=index and not primary_key)


def _field_columns(kind):
    return [sa.Column(f.name, column_type(f), nullable=True)
            for f in kind.fields]


storages = sa.Table(
    'storages', metadata,
    sa.Column('id', sa.String(36), primary_key=True),
    *_field_columns(resources.STORAGE),
    sa.Column('sync_status', sa.Integer, nullable=False, default=0),
    sa.Column('deleted', sa.Boolean(create_constraint=False),
              nullable=False, default=False),
    sa.Column('deleted_at', DateTime, nullable=True),
    *_timestamps(),
    sa.Index(None, 'created_at', 'id'),
    # List filters, each in the default order (see _inventory_table).
    *[sa.Index('ix_storages_%s' % f, f, 'created_at', 'id')
      for f in resources.STORAGE.filters if f != 'id'],
)


def _inventory_table(kind):
    # Index choices, each serving a query the service runs:
    # - unique (identity..., storage_id): the sync engine's lookups by
    #   native id within a storage, and list filters on the native id alone;
    # - (storage_id, created_at, id): per-storage lists in the default order,
    #   keyset pages within a storage, and cascading deletes of a storage;
    # - (created_at, id): global lists in the default order;
    # - (filter, created_at, id) per other filter field: a filtered list is
    #   an index range already in the default order and its total is
    #   counted from the index.
    # Names are explicit and short: PostgreSQL truncates names longer than
    # 63 characters.
    name = kind.table
    filters = [f for f in kind.filters
               if f not in ('id', 'storage_id', kind.identity[0])]
    return sa.Table(
        name, metadata,
        sa.Column('id', sa.String(36), primary_key=True),
        _storage_fk(index=False),
        *_field_columns(kind),
        *_timestamps(),
        sa.UniqueConstraint(*kind.identity, 'storage_id',
                            name='uq_%s_identity' % name),
        sa.Index('ix_%s_storage_id' % name, 'storage_id', 'created_at', 'id'),
        sa.Index('ix_%s_created_at' % name, 'created_at', 'id'),
        *[sa.Index('ix_%s_%s' % (name, f), f, 'created_at', 'id')
          for f in filters],
    )


INVENTORY = {kind.name: _inventory_table(kind)
             for kind in resources.inventory_kinds()}
TABLES = dict(INVENTORY, storage=storages)

# Exact row counts of each inventory kind per storage, written in the same
# transaction as the rows they count, so that a list's ``total`` is one
# primary-key read instead of a count over a whole storage's index.  A
# missing row means "unknown": readers count the table instead.
inventory_counts = sa.Table(
    'inventory_counts', metadata,
    _storage_fk(primary_key=True),
    sa.Column('kind', sa.String(64), primary_key=True),
    sa.Column('row_count', sa.BigInteger, nullable=False),
    # Whole-table totals add up one kind over every storage.
    sa.Index('ix_inventory_counts_kind', 'kind', 'row_count'),
)

# Digests of the chunks of a storage's last complete listing of each kind
# (`delfin.task_manager.sync`): a chunk whose digest is the one stored at its
# position was stored by that sync exactly as it is, so a re-sync of an
# unchanged backend neither checks nor looks up its rows.  A sync drops the
# digests of a kind before it writes any of its rows, and stores the new
# ones once the kind has synced completely.  ``warnings`` holds what the
# sync tolerated in the chunk (`delfin.task_manager.sync.tolerance`), so
# that an unchecked chunk is still counted; NULL when nothing.
sync_digests = sa.Table(
    'sync_digests', metadata,
    _storage_fk(primary_key=True),
    sa.Column('kind', sa.String(64), primary_key=True),
    sa.Column('chunk', sa.Integer, primary_key=True, autoincrement=False),
    sa.Column('digest', sa.String(64), nullable=False),
    sa.Column('warnings', JSON),
)

access_info = sa.Table(
    'access_info', metadata,
    _storage_fk(primary_key=True),
    sa.Column('storage_name', sa.String(255)),
    sa.Column('vendor', sa.String(255), nullable=False),
    sa.Column('model', sa.String(255), nullable=False),
    sa.Column('rest', JSON),
    sa.Column('ssh', JSON),
    sa.Column('cli', JSON),
    sa.Column('smis', JSON),
    sa.Column('extra_attributes', JSON),
    *_timestamps(),
)

# One SNMP alert source (snmp-config) per storage. Secrets are encrypted.
alert_sources = sa.Table(
    'alert_sources', metadata,
    _storage_fk(primary_key=True),
    sa.Column('host', sa.String(255), nullable=False, index=True),
    sa.Column('version', sa.String(16), nullable=False),
    sa.Column('community_string', Text),
    sa.Column('username', sa.String(255)),
    sa.Column('security_level', sa.String(32)),
    sa.Column('auth_key', Text),
    sa.Column('auth_protocol', sa.String(32)),
    sa.Column('privacy_protocol', sa.String(32)),
    sa.Column('privacy_key', Text),
    sa.Column('engine_id', sa.String(64)),
    sa.Column('context_name', sa.String(255)),
    sa.Column('port', sa.Integer),
    sa.Column('retry_num', sa.Integer),
    sa.Column('expiration', sa.Integer),
    *_timestamps(),
)

# Alerts received by trap or polled from a storage.  ``fingerprint`` names
# one alert condition on one storage: a repeat of it bumps
# ``occurrence_count`` and ``last_occur_time`` instead of adding a row.
# ``occur_time`` (what Delfin clients filter and sort on) is when the current
# episode began: the first occurrence, or the one that reopened a cleared
# alert; ``first_occur_time``/``last_occur_time`` bound every occurrence.
alerts = sa.Table(
    'alerts', metadata,
    sa.Column('id', sa.String(36), primary_key=True),
    _storage_fk(index=False),
    sa.Column('fingerprint', sa.BigInteger, nullable=False),
    sa.Column('alert_id', sa.String(255)),
    sa.Column('alert_name', sa.String(255)),
    sa.Column('severity', sa.String(32)),
    sa.Column('category', sa.String(32)),
    sa.Column('type', sa.String(64)),
    sa.Column('sequence_number', sa.String(255)),
    sa.Column('occur_time', sa.BigInteger),
    sa.Column('description', Text),
    sa.Column('recovery_advice', Text),
    sa.Column('resource_type', sa.String(255)),
    sa.Column('location', sa.String(1024)),
    sa.Column('match_key', sa.String(255)),
    sa.Column('clear_key', sa.BigInteger),
    sa.Column('clear_category', sa.String(32)),
    sa.Column('occurrence_count', sa.Integer, nullable=False, default=1),
    sa.Column('first_occur_time', sa.BigInteger),
    sa.Column('last_occur_time', sa.BigInteger),
    sa.Column('state', sa.String(16), nullable=False),
    sa.Column('source', sa.String(16), nullable=False),
    sa.Column('cleared_at', DateTime),
    *_timestamps(),
    sa.UniqueConstraint('fingerprint'),
    # Per-storage and global lists ordered by time; a recovery alert looks
    # up the faults it clears by ``clear_key`` (a hash of the storage and
    # the match key, or the alert id).  Every index costs each inserted
    # alert a b-tree insert, and those on hashed keys touch a random page
    # each: the two hashed keys are 8-byte integers, so that their indexes
    # stay small (and mostly cached) however many alerts there are.
    sa.Index(None, 'storage_id', 'occur_time', 'id'),
    sa.Index(None, 'occur_time', 'id'),
    sa.Index(None, 'clear_key'),
)

# Sync jobs: one row per sync of a storage (`delfin.task_manager.jobs`).
# ``active_storage_id`` holds the storage id while the job is queued or
# running and NULL afterwards; its unique key is what lets only one sync of
# a storage be active at a time, across processes (NULLs never collide).
sync_jobs = sa.Table(
    'sync_jobs', metadata,
    sa.Column('id', sa.String(36), primary_key=True),
    _storage_fk(index=False),
    sa.Column('state', sa.String(16), nullable=False),
    sa.Column('trigger', sa.String(16), nullable=False),
    sa.Column('active_storage_id', sa.String(36), nullable=True),
    sa.Column('host', sa.String(255)),
    sa.Column('progress', JSON),
    sa.Column('error', Text),
    sa.Column('started_at', DateTime),
    sa.Column('finished_at', DateTime),
    *_timestamps(),
    # Written every few seconds by the node running the job, whatever the
    # job is doing; a stale one on a job of a node that left the task
    # group is what lets another node take the job over.
    sa.Column('heartbeat_at', DateTime),
    # How many times the job was started; the run that started it last is
    # the only one whose writes to the job count.
    sa.Column('attempts', sa.Integer, nullable=False, default=0,
              server_default='0'),
    sa.UniqueConstraint('active_storage_id',
                        name='uq_sync_jobs_active_storage_id'),
    sa.Index('ix_sync_jobs_storage_id', 'storage_id', 'created_at', 'id'),
    sa.Index('ix_sync_jobs_created_at', 'created_at', 'id'),
    sa.Index('ix_sync_jobs_state', 'state', 'created_at', 'id'),
)

# Freshness of a storage's inventory, per resource kind (and 'storage' for
# the storage row itself): what the last sync attempt found.
sync_freshness = sa.Table(
    'sync_freshness', metadata,
    _storage_fk(primary_key=True),
    sa.Column('kind', sa.String(64), primary_key=True),
    sa.Column('last_success_at', DateTime),
    sa.Column('last_attempt_at', DateTime),
    sa.Column('last_duration', sa.Double()),
    sa.Column('item_count', sa.BigInteger),
    sa.Column('last_error', Text),
    sa.Column('last_job_id', sa.String(36)),
    *_timestamps(),
)

# Performance collection of a storage (`delfin.telemetry`): its own
# interval (NULL: the driver's or [telemetry]'s), and how far its samples
# were collected.  ``collected_until`` (epoch ms) only moves when a window
# was collected, so a failed window, or one lost to a restart, is asked
# for again as long as the backend keeps its history; the counters say how
# many windows were collected, failed and given up (lost) since the row
# was made.
perf_collections = sa.Table(
    'perf_collections', metadata,
    _storage_fk(primary_key=True),
    sa.Column('interval', sa.Integer),
    sa.Column('enabled', sa.Boolean, nullable=False, default=True,
              server_default=sa.true()),
    sa.Column('collected_until', sa.BigInteger),
    sa.Column('windows_collected', sa.BigInteger, nullable=False,
              default=0, server_default='0'),
    sa.Column('windows_failed', sa.BigInteger, nullable=False,
              default=0, server_default='0'),
    sa.Column('windows_lost', sa.BigInteger, nullable=False,
              default=0, server_default='0'),
    sa.Column('samples_collected', sa.BigInteger, nullable=False,
              default=0, server_default='0'),
    sa.Column('last_error', Text),
    sa.Column('last_success_at', DateTime),
    *_timestamps(),
)

# Recent performance samples (the "sql" exporter), kept for
# ``[telemetry] performance_sample_retention`` seconds.
perf_samples = sa.Table(
    'perf_samples', metadata,
    _storage_fk(primary_key=True),
    sa.Column('resource_type', sa.String(32), primary_key=True),
    sa.Column('resource_id', sa.String(255), primary_key=True),
    sa.Column('metric', sa.String(64), primary_key=True),
    sa.Column('timestamp', sa.BigInteger, primary_key=True,
              autoincrement=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Index('ix_perf_samples_timestamp', 'timestamp'),
)
