"""The SQLAlchemy engine of this process, and transactions on it.

SQLite (the embedded default) is set up so that the API and the workers can
write concurrently without "database is locked" errors: WAL journal, a busy
timeout, ``BEGIN IMMEDIATE`` for write transactions (a writer waits for the
lock up front instead of failing when it upgrades a read lock), and short
transactions everywhere.  Foreign keys are enforced on every backend, so a
row can never outlive its storage.
"""
import contextlib
import os
import sqlite3
import threading
import time

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

_lock = threading.Lock()
_engine = None


def _use_wal(cur, busy_timeout_ms):
    """Put the database in WAL mode (a setting kept in the file).

    Changing the journal mode needs the database to itself and SQLite
    does not wait for that on its own: while another connection holds a
    lock (a process creating the schema, say), the change fails at once
    with "database is locked". It is retried until the busy timeout.
    """
    if cur.execute('PRAGMA journal_mode').fetchone()[0].lower() == 'wal':
        return
    deadline = time.monotonic() + busy_timeout_ms / 1000.0
    delay = 0.005
    while True:
        try:
            cur.execute('PRAGMA journal_mode=WAL')
            return
        except sqlite3.OperationalError as e:
            if 'locked' not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


# Page size of new SQLite databases.  8 KiB pages split half as often as
# the default 4 KiB ones and make fewer, larger log writes per commit:
# storing a batch of new alerts takes about 15% less time, bulk inserts of
# inventory rows the same (16 KiB pages make those slower).
PAGE_SIZE = 8192


def _sqlite_setup(engine, busy_timeout_ms):
    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute('PRAGMA busy_timeout=%d' % busy_timeout_ms)
        # Only takes effect while the file is still empty (a new database).
        cur.execute('PRAGMA page_size=%d' % PAGE_SIZE)
        _use_wal(cur, busy_timeout_ms)
        cur.execute('PRAGMA synchronous=NORMAL')
        cur.execute('PRAGMA foreign_keys=ON')
        cur.close()

    @sa.event.listens_for(engine, 'begin')
    def _on_begin(conn):
        mode = conn.get_execution_options().get('sqlite_begin', 'DEFERRED')
        conn.exec_driver_sql('BEGIN %s' % mode)


# The driver of a URL that names none (``postgresql://``, ``mysql://``, as
# users write them): the one this service installs, where SQLAlchemy's
# own default (psycopg 3, mysqlclient) may be missing.
DEFAULT_DRIVERS = {
    'postgresql': 'postgresql+psycopg2',
    'postgres': 'postgresql+psycopg2',
    'mysql': 'mysql+pymysql',
    'mariadb': 'mysql+pymysql',
}


def database_url(url):
    """``url`` (text or URL) as a SQLAlchemy URL, with the installed driver
    when it names none."""
    url = sa.engine.make_url(url)
    driver = DEFAULT_DRIVERS.get(url.drivername)
    if driver is not None:
        url = url.set(drivername=driver)
    return url


def create_engine(url=None):
    """Build an engine for ``url`` (default: ``[database] connection``)."""
    url = database_url(url or CONF.database.connection)
    kwargs = {'future': True}
    if url.get_backend_name() == 'sqlite':
        database = url.database
        if database and database != ':memory:':
            directory = os.path.dirname(os.path.abspath(database))
            os.makedirs(directory, exist_ok=True)
        kwargs['connect_args'] = {'check_same_thread': False,
                                  'timeout': CONF.database.sqlite_busy_timeout
                                  / 1000.0}
        if not database or database == ':memory:':
            kwargs['poolclass'] = sa.pool.StaticPool
    else:
        kwargs.update(pool_size=CONF.database.max_pool_size,
                      max_overflow=CONF.database.max_pool_size,
                      pool_pre_ping=True, pool_recycle=3600)
        if url.get_backend_name() == 'mysql':
            kwargs['isolation_level'] = 'READ COMMITTED'
            url = url.update_query_dict({'charset': 'utf8mb4'})
    engine = sa.create_engine(url, **kwargs)
    if url.get_backend_name() == 'sqlite':
        _sqlite_setup(engine, CONF.database.sqlite_busy_timeout)
    return engine


def get_engine():
    """The process-wide engine, created on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = create_engine()
    return _engine


def set_engine(engine):
    """Use ``engine`` for this process (tests, tools). Returns the old one."""
    global _engine
    with _lock:
        old, _engine = _engine, engine
    return old


def dispose():
    """Close every pooled connection and forget the engine."""
    old = set_engine(None)
    if old is not None:
        old.dispose()


@contextlib.contextmanager
def writer(conn=None):
    """A short write transaction; commits on success, rolls back on error.

    On SQLite it takes the write lock when it starts (``BEGIN IMMEDIATE``)
    so that it never fails half-way on a lock upgrade.  ``conn``, from
    `bulk_writer`, runs it on that connection instead of a pooled one, as
    a savepoint when a transaction is open on it.
    """
    if conn is not None:
        # Inside a transaction already open on ``conn``: a savepoint.
        begin = conn.begin_nested if conn.in_transaction() else conn.begin
        with begin():
            yield conn
        return
    engine = get_engine()
    with engine.connect() as conn:
        if engine.dialect.name == 'sqlite':
            conn = conn.execution_options(sqlite_begin='IMMEDIATE')
        with conn.begin():
            yield conn


# Pages the write-ahead log of a bulk writer may hold before a commit copies
# them into the database (SQLite's default: 1000).  Every checkpoint copies
# each page the log holds, and bulk writes into indexes keyed by random
# values touch most of those indexes' pages in every transaction.
BULK_CHECKPOINT_PAGES = 16384

# Page cache of a connection that writes many rows, KiB.  SQLite's default
# (2 MiB) holds a small part of a large table's indexes: every row then
# reads the index pages it goes into again, and dirty pages spill to the
# log before the commit.
BULK_CACHE_KIB = 65536


@contextlib.contextmanager
def bulk_writer():
    """A connection for a series of `writer` transactions writing many rows.

    Keeping one connection keeps its page cache warm from one transaction
    to the next (a pooled connection may be another one each time).  On
    SQLite the cache is larger and the write-ahead log is checkpointed less
    often for the while, and once when it ends.
    """
    engine = get_engine()
    with engine.connect() as conn:
        sqlite = engine.dialect.name == 'sqlite'
        if sqlite:
            conn = conn.execution_options(sqlite_begin='IMMEDIATE')
            conn.exec_driver_sql('PRAGMA cache_size=-%d' % BULK_CACHE_KIB)
            conn.exec_driver_sql('PRAGMA wal_autocheckpoint=%d'
                                 % BULK_CHECKPOINT_PAGES)
            conn.commit()
        try:
            yield conn
        finally:
            if sqlite:
                try:
                    conn.rollback()
                    conn.exec_driver_sql('PRAGMA cache_size=-2000')
                    conn.exec_driver_sql('PRAGMA wal_autocheckpoint=1000')
                    conn.commit()
                    # Copy what the writes added to the log into the
                    # database now, not in whichever short transaction next
                    # crosses the default threshold.  Outside a transaction
                    # (the driver connection is in autocommit mode); PASSIVE
                    # waits for nobody.
                    conn.connection.dbapi_connection.execute(
                        'PRAGMA wal_checkpoint(PASSIVE)').fetchall()
                except Exception:
                    conn.invalidate()


class LogCheckpointer(object):
    """Copies SQLite's write-ahead log into the database from a thread of
    its own, every ``interval`` seconds.

    Otherwise the commit that takes the log past the connection's
    ``wal_autocheckpoint`` pages copies all of them and waits for them to
    reach the disk: the alert writer stops for half a second every few
    seconds under a stream of new alerts, and a short API write that comes
    along pays for the others.  A PASSIVE checkpoint runs beside the
    writers without blocking them; once it has copied every frame, the next
    write transaction starts the log over, so the log stays small and the
    writers' own checkpoints, if any, short.  A no-op on other databases.
    """

    def __init__(self, interval=0.25):
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        engine = get_engine()
        if engine.dialect.name != 'sqlite' or self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, args=(engine,),
                                        daemon=True, name='sqlite-checkpoint')
        self._thread.start()
        return self

    def stop(self, timeout=None):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, engine):
        conn = None
        failures = 0
        while not self._stop.wait(self.interval):
            try:
                if conn is None:
                    conn = engine.raw_connection()
                # The driver connection is in autocommit mode: the pragma
                # runs outside any transaction.
                conn.driver_connection.execute(
                    'PRAGMA wal_checkpoint(PASSIVE)').fetchall()
                self.checkpoints += 1
                failures = 0
            except Exception:
                failures += 1
                if failures == 1:
                    LOG.warning('Checkpointing the SQLite log failed; the '
                                'writers checkpoint it meanwhile',
                                exc_info=True)
                if conn is not None:
                    conn.invalidate()
                    conn = None
        if conn is not None:
            conn.close()


_checkpoints_lock = threading.Lock()
_checkpoints = None
_checkpoint_users = 0


def start_log_checkpoints():
    """Start this process's `LogCheckpointer` (one thread for all its
    users); pair each call with `stop_log_checkpoints`."""
    global _checkpoints, _checkpoint_users
    with _checkpoints_lock:
        _checkpoint_users += 1
        if _checkpoints is None:
            _checkpoints = LogCheckpointer().start()
        return _checkpoints


def stop_log_checkpoints(timeout=None):
    """One user of `start_log_checkpoints` is done; the last one stops the
    thread."""
    global _checkpoints, _checkpoint_users
    with _checkpoints_lock:
        if _checkpoint_users == 0:
            return
        _checkpoint_users -= 1
        if _checkpoint_users:
            return
        checkpointer, _checkpoints = _checkpoints, None
    checkpointer.stop(timeout)


def unavailable(error):
    """True when ``error`` (a SQLAlchemy DBAPIError) says the database
    could not be reached or dropped the connection, rather than refused a
    statement: what is worth trying again once it is back."""
    if getattr(error, 'connection_invalidated', False):
        return True
    return isinstance(error, (sa.exc.OperationalError,
                              sa.exc.InterfaceError))


@contextlib.contextmanager
def reader():
    """A read-only transaction."""
    with get_engine().connect() as conn:
        with conn.begin():
            yield conn
