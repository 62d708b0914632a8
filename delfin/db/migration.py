"""Schema migrations: bring a database to the schema this code expects.

The migration scripts live in ``delfin/db/migrations`` (Alembic).  Services
call `upgrade` when they start (``[database] auto_upgrade``), and
``delfin-manage db upgrade`` calls it on demand, so several processes may
call it at the same moment on the same database: each upgrade holds a
database-wide lock (an IMMEDIATE transaction on SQLite, an advisory lock on
PostgreSQL, a named lock on MariaDB/MySQL), so the second one waits and then
finds nothing left to do.
"""
import os

from alembic import command
from alembic import config as alembic_config
from alembic import script as alembic_script
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from oslo_log import log as logging

from delfin.db import engine as db_engine
from delfin.db import schema

LOG = logging.getLogger(__name__)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'migrations')
# Arbitrary constant naming the schema-migration advisory lock (PostgreSQL).
_PG_LOCK_KEY = 0x64656c66
_MYSQL_LOCK_NAME = 'delfin_schema_migration'
_LOCK_TIMEOUT = 600


def _config(connection=None):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', MIGRATIONS_DIR)
    if connection is not None:
        cfg.attributes['connection'] = connection
    return cfg


def head():
    """The newest revision of the migration scripts."""
    return alembic_script.ScriptDirectory.from_config(
        _config()).get_current_head()


def current(engine=None):
    """The revision of the database's schema, or None when it has none."""
    engine = engine or db_engine.get_engine()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine=None, revision='head'):
    """Migrate the database to ``revision`` (the newest by default).

    Safe to call from several processes at once; returns the revision the
    database is at afterwards.
    """
    engine = engine or db_engine.get_engine()
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == 'sqlite':
            # The whole upgrade is one write transaction (SQLite DDL is
            # transactional); a concurrent upgrade waits on BEGIN.
            conn = conn.execution_options(sqlite_begin='IMMEDIATE')
        if dialect == 'mysql':
            # A session lock: MariaDB commits implicitly around DDL.
            got = conn.exec_driver_sql(
                "SELECT GET_LOCK('%s', %d)"
                % (_MYSQL_LOCK_NAME, _LOCK_TIMEOUT)).scalar()
            conn.commit()
            if got != 1:
                raise RuntimeError('Timed out waiting for the schema '
                                   'migration lock')
        try:
            with conn.begin():
                if dialect == 'postgresql':
                    conn.exec_driver_sql('SELECT pg_advisory_xact_lock(%d)'
                                         % _PG_LOCK_KEY)
                before = MigrationContext.configure(
                    conn).get_current_revision()
                command.upgrade(_config(conn), revision)
                after = MigrationContext.configure(
                    conn).get_current_revision()
        finally:
            if dialect == 'mysql':
                conn.exec_driver_sql("SELECT RELEASE_LOCK('%s')"
                                     % _MYSQL_LOCK_NAME)
                conn.commit()
    if before != after:
        LOG.info("Database schema upgraded from %s to %s",
                 before or 'empty', after)
    return after


def check(engine=None):
    """Differences between the database and `delfin.db.schema.metadata`.

    An empty list means the database has exactly the tables, columns,
    types, indexes and constraints the code declares.  Items are Alembic's
    autogenerate diff tuples.
    """
    engine = engine or db_engine.get_engine()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            'compare_type': True, 'target_metadata': schema.metadata})
        return compare_metadata(ctx, schema.metadata)
