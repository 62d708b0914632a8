"""The sync engine: make a storage's inventory in the database match its
backend, writing only what changed.

One sync job (`delfin.task_manager.jobs`) covers one storage: the storage
row itself from the driver's ``get_storage``, then every inventory kind of
the resource registry in sync order.  For each kind the driver's items are
streamed in chunks of ``[sync] chunk_size``; each chunk is validated, looked
up in the database by identity (the native id, or the pair of native ids of
a membership row) and split into rows to insert, rows whose changed columns
need an update, and rows left alone.  After the last chunk the rows the
driver no longer reported are deleted.  Each chunk is written in one short
transaction with bulk statements (one INSERT for many rows, one UPDATE per
set of changed columns), so an unchanged backend costs reads only, and
neither memory nor lock time grows with the size of the inventory beyond
the set of identities seen so far.  A chunk identical to the one at its
position in the last complete sync (see "chunk digests" below) is not even
read back: an unchanged backend costs little more than its listing.

Driver items are checked against the registry before anything is written:
keys that are not fields of the kind are dropped (the driver facade logs
each once per driver and kind); a value of the wrong type (that cannot be
read as the field's type), outside the field's enumeration, longer than its
column, a required field that is missing, or an identity reported twice in
one listing fails that kind, naming the kind and the offending native id.
``storage_id`` always comes from the job, never from the driver.  A kind
that fails keeps the rows already written by earlier chunks and deletes
nothing: deletions only follow a complete, valid listing.

Deleting a storage during a sync never brings its rows back: every inventory
row references its storage with a cascading foreign key, so an insert for a
deleted storage fails inside the database and updates find no rows; the job
is gone with its storage and the worker stops at its next checkpoint.

When the backend cannot be reached the storage is marked ``offline``, when
it refuses the credentials ``abnormal``; the inventory of the last good sync
is kept, and the job records the error.
"""
import datetime
import hashlib
import io
import itertools
import json
import operator
import pickle
import queue
import socket
import threading
import time

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.common import constants
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.db import sqlite_batch
from delfin.resources import registry
from delfin.task_manager import jobs

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

State = constants.SyncJobState

# Kind states in a job's progress, beside the job states.
UNSUPPORTED = 'unsupported'
SKIPPED = 'skipped'

# How often a running job refreshes its progress (its heartbeat), seconds.
PROGRESS_INTERVAL = 2.0

# Backend failures that say the backend is unreachable, or that it refuses
# the credentials.  Matched by class, or by class name for libraries the
# core does not import.
_OFFLINE = (exception.ConnectTimeout, exception.SSHConnectTimeout,
            exception.HTTPConnectionTimeout, exception.InvalidIpOrPort,
            exception.SSLHandshakeFailed, exception.SSLCertificateFailed,
            exception.StorageBackendNotFound, ConnectionError, TimeoutError,
            socket.timeout, socket.gaierror)
_ABNORMAL = (exception.InvalidUsernameOrPassword, exception.InvalidCredential,
             exception.InvalidPrivateKey, exception.NotAuthorized)
_ABNORMAL_NAMES = ('AuthenticationException', 'BadAuthenticationType',
                   'PasswordRequiredException')


def backend_status(error):
    """The storage status an error of its backend implies, or None."""
    if isinstance(error, _ABNORMAL) or \
            type(error).__name__ in _ABNORMAL_NAMES:
        return constants.StorageStatus.ABNORMAL
    if isinstance(error, _OFFLINE) or (
            isinstance(error, OSError)
            and not isinstance(error, FileNotFoundError)):
        return constants.StorageStatus.OFFLINE
    return None


class InvalidItems(exception.InvalidResults):
    """A driver reported items that cannot be stored."""
    msg_fmt = "{0}"


class JobStopped(Exception):
    """The job was cancelled, given up, or deleted with its storage."""


# -- validation -----------------------------------------------------------

_INT_RANGE = {registry.INTEGER: (-2 ** 31, 2 ** 31 - 1),
              registry.BIGINT: (-2 ** 63, 2 ** 63 - 1)}
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


def _to_int(value, field):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise ValueError('not a number')
        result = int(round(value))
    elif isinstance(value, str):
        text = value.strip()
        try:
            result = int(text)
        except ValueError:
            result = int(round(float(text)))
    else:
        raise ValueError('expected an integer, got %s' % type(value).__name__)
    low, high = _INT_RANGE[field.type]
    if not low <= result <= high:
        raise ValueError('%d is out of range' % result)
    return result


def _to_bool(value, field):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError('expected a boolean, got %r' % (value,))


def _to_str(value, field):
    if isinstance(value, str):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = str(value)
    else:
        raise ValueError('expected a string, got %s' % type(value).__name__)
    if field.type == registry.STRING and len(result) > field.length:
        raise ValueError('longer than %d characters' % field.length)
    return result


def _to_datetime(value, field):
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # Seconds, or milliseconds (Delfin's drivers use both).
        seconds = value / 1000.0 if value > 1e11 else value
        dt = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    elif isinstance(value, str):
        dt = datetime.datetime.fromisoformat(value.strip().replace('Z',
                                                                   '+00:00'))
    else:
        raise ValueError('expected a date and time, got %s'
                         % type(value).__name__)
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt


def _to_json(value, field):
    # Stored values must survive a round trip unchanged, or every sync
    # would see them as changed.
    return json.loads(json.dumps(value))


_CONVERT = {registry.STRING: _to_str, registry.TEXT: _to_str,
            registry.INTEGER: _to_int, registry.BIGINT: _to_int,
            registry.BOOLEAN: _to_bool, registry.DATETIME: _to_datetime,
            registry.JSON: _to_json}
# Python types that need no conversion (checked by `type(v) is t`).
_EXACT = {registry.STRING: str, registry.TEXT: str, registry.INTEGER: int,
          registry.BIGINT: int, registry.BOOLEAN: bool}


class Validator(object):
    """Turns a driver's item of one kind into a tuple of column values in
    ``kind.field_names`` order, or raises `InvalidItems`.

    Most items are already exactly what the columns hold (a str within the
    column's length, a member of the field's enumeration, an int in range,
    a bool); a fast check generated for the kind accepts those at the cost
    of a few comparisons per field.  Anything else takes the general path,
    which converts what can be read as the field's type and explains what
    cannot.  At hundreds of thousands of items per sync the difference is
    most of the sync's CPU time.
    """

    def __init__(self, kind):
        self.kind = kind
        self.names = kind.field_names
        self._id_field = kind.native_id or (
            kind.identity[0] if kind.identity else 'serial_number')
        self._fields = []
        for f in kind.fields:
            exact = _EXACT.get(f.type)
            length = f.length if f.type == registry.STRING else None
            enum = frozenset(f.enum) if f.enum else None
            self._fields.append((f.name, exact, length, enum, f.required,
                                 _CONVERT[f.type], f))
        self._fast = self._compile()

    def _compile(self):
        lines = ['def fast(item):', '    get = item.get']
        scope = {'datetime': datetime.datetime}
        for i, (name, exact, length, enum, required, _convert, f) in \
                enumerate(self._fields):
            v = 'v%d' % i
            lines.append('    %s = get(%r)' % (v, name))
            if f.type in (registry.STRING, registry.TEXT):
                bad = '%s.__class__ is not str' % v
                if enum is not None:
                    scope['E%d' % i] = enum
                    bad += ' or %s not in E%d' % (v, i)
                elif length is not None:
                    bad += ' or len(%s) > %d' % (v, length)
                if required:
                    bad += ' or not %s' % v
            elif f.type in _INT_RANGE:
                low, high = _INT_RANGE[f.type]
                bad = ('%s.__class__ is not int or %s < %d or %s > %d'
                       % (v, v, low, v, high))
            elif f.type == registry.BOOLEAN:
                bad = '%s.__class__ is not bool' % v
            elif f.type == registry.DATETIME:
                bad = ('%s.__class__ is not datetime or %s.tzinfo is not '
                       'None' % (v, v))
            else:
                bad = 'True'
            if not required:
                bad = '%s is not None and (%s)' % (v, bad)
            lines.append('    if %s:' % bad)
            lines.append('        return None')
        lines.append('    return (%s,)' % ', '.join(
            'v%d' % i for i in range(len(self._fields))))
        exec(compile('\n'.join(lines), '<validator %s>' % self.kind.name,
                     'exec'), scope)
        return scope['fast']

    def _error(self, item, message):
        ident = item.get(self._id_field) if isinstance(item, dict) else None
        return InvalidItems('Invalid %s %r from the driver: %s'
                            % (self.kind.name, ident, message))

    def __call__(self, item):
        try:
            values = self._fast(item)
        except AttributeError:
            values = None   # not a dict
        if values is not None:
            return values
        return self._check(item)

    def _check(self, item):
        if not isinstance(item, dict):
            raise self._error({}, 'expected a dict, got %s'
                              % type(item).__name__)
        get = item.get
        out = []
        append = out.append
        for name, exact, length, enum, required, convert, field in \
                self._fields:
            value = get(name)
            if value is None or (required and value == ''):
                if required:
                    raise self._error(item, "'%s' is required" % name)
                append(None)
                continue
            if type(value) is not exact or exact is int or (
                    length is not None and len(value) > length):
                try:
                    value = convert(value, field)
                except (ValueError, TypeError, OverflowError) as e:
                    raise self._error(item, "'%s': %s" % (name, e))
            if enum is not None and value not in enum:
                raise self._error(item, "'%s' is %r, not one of %s"
                                  % (name, value, ', '.join(sorted(enum))))
            append(value)
        return tuple(out)


_VALIDATORS = {}


def validator(kind):
    """The (cached) `Validator` of ``kind``."""
    v = _VALIDATORS.get(kind.name)
    if v is None:
        v = _VALIDATORS[kind.name] = Validator(kind)
    return v


# -- bulk statements -------------------------------------------------------
#
# The sync writes and reads many rows of one shape, so it talks to the DB
# driver with plain SQL text and tuples: SQLAlchemy's per-row parameter and
# result processing would cost more than the database work itself.  Values
# are converted once per column where the column type needs it (dates on
# SQLite, JSON everywhere); booleans, numbers and strings pass as they are.

# Rows inserted or deleted by one sync of a kind (and at least a fifth of
# what was stored) after which PostgreSQL's planner statistics of the table
# are refreshed.
ANALYZE_MIN_ROWS = 5000

# Identities per lookup statement: far below every backend's limit on bound
# parameters (SQLite: 32766).
_LOOKUP_BATCH = 5000
# PostgreSQL plans an IN list as a scan of the whole table once the list's
# estimated index probes (about 6 cost units a key) cost more than the scan
# (about 5000 units at 100k rows): a thousand keys get a scan up to about
# 150k rows, 250 keys only below about 35k rows, where a scan is cheap too.
# Through the index a key costs about 20 us here, through a 100k-row scan
# a batch of a thousand about 36 us a key, and the scan grows with the
# table.
_PG_LOOKUP_BATCH = 250
# Rows per batched UPDATE round trip on PostgreSQL.
_PG_PAGE = 1000


def _needs_processing(column, dialect):
    impl = column.type.dialect_impl(dialect)
    return not isinstance(impl, sa.Boolean)


def bind_processors(table, columns, dialect):
    """Per column, the function turning a value into what the DB driver
    takes, or None when the value passes as it is."""
    out = []
    for name in columns:
        col = table.c[name]
        proc = col.type._cached_bind_processor(dialect)
        out.append(proc if proc and _needs_processing(col, dialect)
                   else None)
    return out


def result_processors(table, columns, dialect):
    """Per column, the function turning what the DB driver returns into the
    Python value, or None."""
    out = []
    for name in columns:
        col = table.c[name]
        proc = col.type._cached_result_processor(dialect, None)
        out.append(proc if proc and _needs_processing(col, dialect)
                   else None)
    return out


def _placeholder(dialect):
    return '?' if dialect.paramstyle == 'qmark' else '%s'


def _quoted(dialect, names):
    q = dialect.identifier_preparer
    return ', '.join(q.quote(n) for n in names)


def bulk_insert(conn, table, columns, rows):
    """Insert ``rows`` (tuples in ``columns`` order, values as the DB
    driver takes them) with the backend's fastest multi-row form."""
    if not rows:
        return
    dialect = conn.dialect
    name = dialect.identifier_preparer.format_table(table)
    cols = _quoted(dialect, columns)
    if dialect.name == 'postgresql' and dialect.driver == 'psycopg2':
        # COPY: about twice as fast as multi-row INSERTs, most of it on the
        # server (no statement to parse).
        text = rows.text if isinstance(rows, CopyRows) else _copy_text(rows)
        cursor = conn.connection.cursor()
        try:
            cursor.copy_expert('COPY %s (%s) FROM STDIN' % (name, cols),
                               io.StringIO(text))
        finally:
            cursor.close()
        return
    if dialect.name == 'sqlite':
        sqlite_batch.insert(conn.connection.dbapi_connection, name, [
            dialect.identifier_preparer.quote(c) for c in columns], rows)
        return
    # pymysql turns executemany of an INSERT into multi-row statements.
    marks = ', '.join([_placeholder(dialect)] * len(columns))
    conn.exec_driver_sql('INSERT INTO %s (%s) VALUES (%s)'
                         % (name, cols, marks), rows)


_COPY_ESCAPES = str.maketrans({'\\': '\\\\', '\t': '\\t', '\n': '\\n',
                               '\r': '\\r'})


def _copy_value(value):
    """``value`` in PostgreSQL's COPY text format."""
    cls = value.__class__
    if cls is str:
        if '\\' in value or '\t' in value or '\n' in value or \
                '\r' in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if value is None:
        return '\\N'
    if cls is bool:
        return 't' if value else 'f'
    if cls is int:
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(' ')
    return _copy_value(str(value))


def _copy_text(rows):
    return ''.join(['\t'.join(map(_copy_value, row)) + '\n'
                    for row in rows])


class CopyRows(object):
    """Rows for `bulk_insert` on PostgreSQL already in COPY's text format,
    so that a thread other than the one sending them can format them."""

    __slots__ = ('text', 'count')

    def __init__(self, rows):
        self.text = _copy_text(rows)
        self.count = len(rows)

    def __len__(self):
        return self.count


def bulk_update(conn, table, columns, rows):
    """``UPDATE table SET columns... WHERE id = ?`` for each of ``rows``
    (tuples: the new values in ``columns`` order, then the id)."""
    if not rows:
        return
    dialect = conn.dialect
    q = dialect.identifier_preparer
    if dialect.name == 'sqlite':
        sqlite_batch.update(conn.connection.dbapi_connection,
                            q.format_table(table),
                            [q.quote(c) for c in columns], q.quote('id'),
                            rows)
        return
    mark = _placeholder(dialect)
    sql = 'UPDATE %s SET %s WHERE %s = %s' % (
        q.format_table(table),
        ', '.join('%s = %s' % (q.quote(c), mark) for c in columns),
        q.quote('id'), mark)
    if dialect.name == 'postgresql' and dialect.driver == 'psycopg2':
        from psycopg2 import extras
        cursor = conn.connection.cursor()
        try:
            extras.execute_batch(cursor, sql, rows, page_size=_PG_PAGE)
        finally:
            cursor.close()
        return
    conn.exec_driver_sql(sql, rows)


# -- chunk digests --------------------------------------------------------
#
# Most syncs find what the last one stored.  Each chunk of a kind's listing
# is digested as the driver returned it, and the digests of a complete sync
# are stored per position (``sync_digests``).  A later chunk with the digest
# stored at its position holds exactly the items that sync checked and
# stored, so it is neither checked nor looked up again: only its identities
# are taken, for the duplicate check and the deletion of what the backend
# no longer reports.  The stored digests of a kind stay true because every
# write of its rows drops them first, in the write's own transaction (the
# sync's first write of the kind, and the generic writes of
# `delfin.db.api`), and a sync stores new ones only once the kind has synced
# completely.

# Bump when the way driver items become rows changes without a change of
# the registry, so that digests taken under the old rules are never trusted.
DIGEST_VERSION = 1


def kind_signature(kind):
    """32 bytes naming how items of ``kind`` become rows: its fields
    (names, types, lengths, enumerations, requirements), its identity and
    `DIGEST_VERSION`."""
    parts = ['%d' % DIGEST_VERSION, kind.name, repr(kind.identity)]
    parts += [repr((f.name, f.type, f.length, f.enum, f.required))
              for f in kind.fields]
    return hashlib.sha256('\n'.join(parts).encode('utf-8')).digest()


class _ExactPickler(pickle.Pickler):
    """Pickles the built-in values alone, each in full: no memo (so equal
    values give equal bytes whichever objects they share), and no object
    whose pickle its own class decides."""

    def reducer_override(self, obj):
        # Not called for exact instances of the built-in types.
        raise TypeError('%s has no exact form' % type(obj).__name__)


def chunk_digest(signature, chunk):
    """The digest (hex) of a list of driver items, keyed by the kind's
    signature; None when an item holds a value without an exact
    serialisation (anything but dicts, lists, tuples, sets, strings, bytes,
    numbers, booleans and None: a datetime, a str or int subclass...) or
    a cycle."""
    buffer = io.BytesIO()
    pickler = _ExactPickler(buffer, 5)
    pickler.fast = True
    try:
        pickler.dump(chunk)
    except (TypeError, ValueError, pickle.PicklingError, RecursionError):
        return None
    digest = hashlib.sha256(signature)
    digest.update(buffer.getbuffer())
    return digest.hexdigest()[:32]


# -- one kind --------------------------------------------------------------

# How long a sync's writer keeps one transaction open while chunks keep
# coming (other writers of the database wait meanwhile on SQLite).
_TRANSACTION_SECONDS = 1.0


class _Writer(object):
    """Runs a kind's chunk writes in a thread of their own, one chunk
    behind the reading and checking of the next.

    The database does most of a write (index maintenance, the server's
    work) without holding Python's global lock, so the next chunk's driver
    items, validation and lookups proceed meanwhile.  At most one chunk
    waits, so memory stays at a few chunks.  The first error of a write
    stops the writes and is raised to the caller at its next `put` or at
    `close`.  The writes share one connection (see
    `db_engine.bulk_writer`).
    """

    def __init__(self, write):
        self._write = write
        self._queue = queue.Queue(maxsize=1)
        self.error = None
        self._thread = threading.Thread(target=self._run,
                                        name='sync-writer', daemon=True)
        self._thread.start()

    def _run(self):
        done = False
        try:
            with db_engine.bulk_writer() as conn:
                done = self._loop(conn)
        except BaseException as e:
            if self.error is None:
                self.error = e
        # Take what is still queued so that `put` and `close` never block.
        while not done:
            done = self._queue.get() is None

    def _loop(self, conn):
        # While the next chunk is already waiting, its write joins the open
        # transaction (as a savepoint, so that a failed chunk leaves the
        # ones before it), for up to _TRANSACTION_SECONDS: fewer commits
        # write each index page that many chunks touch fewer times.
        transaction = None
        opened = 0.0
        try:
            while True:
                item = self._queue.get()
                if item is not None and self.error is None:
                    if transaction is None:
                        transaction = conn.begin()
                        opened = time.monotonic()
                    try:
                        self._write(*item, conn=conn)
                    except BaseException as e:
                        self.error = e
                if transaction is not None and (
                        item is None or self.error is not None
                        or self._queue.empty()
                        or time.monotonic() - opened >= _TRANSACTION_SECONDS):
                    transaction, done = None, transaction
                    done.commit()
                if item is None:
                    return True
        except BaseException:
            if transaction is not None:
                transaction.rollback()
            raise

    def put(self, *args):
        if self.error is not None:
            raise self.error
        self._queue.put(args)

    def close(self, raise_error=True):
        """Wait for the queued writes; raise the first error of a write."""
        self._queue.put(None)
        self._thread.join()
        if raise_error and self.error is not None:
            raise self.error


class KindSync(object):
    """Syncs the rows of one kind of one storage from a stream of items.

    :param checkpoint: called after each chunk with this object; raises
        `JobStopped` to abort (the job is no longer running).
    :param defer: called with work that may run after `run` returns
        (refreshing PostgreSQL's statistics of the table); by default the
        work runs at once.
    """

    def __init__(self, kind, storage_id, chunk_size=None, checkpoint=None,
                 defer=None):
        self.kind = kind
        self.storage_id = storage_id
        self.table = schema.INVENTORY[kind.name]
        self.chunk_size = chunk_size or CONF.sync.chunk_size
        self.checkpoint = checkpoint or (lambda _sync: None)
        self._defer = defer or (lambda work: work())
        self.validate = validator(kind)
        self.names = kind.field_names
        self.identity = kind.identity
        self._id_pos = [self.names.index(n) for n in self.identity]
        self._identity_of = operator.itemgetter(*self.identity)
        self._signature = kind_signature(kind)
        # Digests of the last complete sync, {position: digest}, and of
        # this one's chunks in order (see `chunk_digest`).
        self._stored_digests = {}
        self._digests = []
        self._digests_dropped = False
        self._counted = False
        self.items = 0
        self.inserted = self.updated = self.deleted = 0
        dialect = db_engine.get_engine().dialect
        self._dialect = dialect
        self._copy_rows = (dialect.name == 'postgresql'
                           and dialect.driver == 'psycopg2')
        self._lookup_batch = (_PG_LOOKUP_BATCH
                              if dialect.name == 'postgresql'
                              else _LOOKUP_BATCH)
        # Set by the first full chunk (see `_chunks`).
        self._writer = None
        self._insert_columns = ('id', 'storage_id') + self.names + (
            'created_at',)
        procs = bind_processors(self.table, self.names, dialect)
        self._value_procs = [(i, p) for i, p in enumerate(procs) if p]
        self._time_proc = bind_processors(self.table, ('created_at',),
                                          dialect)[0] or (lambda v: v)
        procs = result_processors(self.table, self.names, dialect)
        self._result_procs = [(i, p) for i, p in enumerate(procs) if p]
        mark = _placeholder(dialect)
        if len(self.identity) == 1:
            self._key_sql = _quoted(dialect, self.identity)
            self._key_mark = mark
        else:
            self._key_sql = '(%s)' % _quoted(dialect, self.identity)
            self._key_mark = '(%s)' % ', '.join([mark] * len(self.identity))
        self._select_sql = 'SELECT %s FROM %s WHERE %s = %s AND %s IN (' \
            % (_quoted(dialect, ('id',) + self.names),
               dialect.identifier_preparer.format_table(self.table),
               dialect.identifier_preparer.quote('storage_id'), mark,
               self._key_sql)

    @property
    def written(self):
        return {'inserted': self.inserted, 'updated': self.updated,
                'deleted': self.deleted}

    def _key(self, values):
        if len(self._id_pos) == 1:
            return values[self._id_pos[0]]
        return tuple(values[i] for i in self._id_pos)

    def _count(self):
        """The number of stored rows, and whether ``inventory_counts``
        holds it; loads the stored chunk digests."""
        with db_engine.reader() as conn:
            d = schema.sync_digests.c
            self._stored_digests = dict(conn.execute(
                sa.select(d.chunk, d.digest).where(
                    d.storage_id == self.storage_id,
                    d.kind == self.kind.name)).all())
            stored = db_api.stored_count(conn, self.kind.name,
                                         self.storage_id)
            if stored is not None:
                return stored, True
            return conn.execute(sa.select(sa.func.count()).select_from(
                self.table).where(self.table.c.storage_id
                                  == self.storage_id)).scalar_one(), False

    def _existing(self, keys):
        """{key: (id, values)} of the chunk's rows already stored."""
        found = {}
        procs = self._result_procs
        single = len(self.identity) == 1
        pos = [1 + i for i in self._id_pos]
        with db_engine.reader() as conn:
            cursor = conn.connection.cursor()
            try:
                step = self._lookup_batch
                for lo in range(0, len(keys), step):
                    batch = keys[lo:lo + step]
                    if single:
                        params = [self.storage_id] + batch
                    else:
                        params = [self.storage_id] + [
                            v for key in batch for v in key]
                    cursor.execute(self._select_sql + ', '.join(
                        [self._key_mark] * len(batch)) + ')', tuple(params))
                    rows = cursor.fetchall()
                    if procs:
                        rows = [self._process(row) for row in rows]
                    if single:
                        p = pos[0]
                        found.update((row[p], (row[0], tuple(row[1:])))
                                     for row in rows)
                    else:
                        found.update((tuple(row[i] for i in pos),
                                      (row[0], tuple(row[1:])))
                                     for row in rows)
            finally:
                cursor.close()
        return found

    def _process(self, row):
        row = list(row)
        for i, proc in self._result_procs:
            row[1 + i] = proc(row[1 + i])
        return row

    def run(self, items):
        """Sync from ``items`` (any iterable of dicts); returns self."""
        before, counted = self._count()
        self._counted = counted
        seen = set()
        try:
            matched = self._chunks(iter(items), before, seen)
        except BaseException:
            if self._writer is not None:
                self._writer.close(raise_error=False)
            raise
        if self._writer is not None:
            self._writer.close()
            self.checkpoint(self)
        gone = before - matched
        if gone > 0:
            self._delete_unseen(seen)
        if not counted and not self.inserted and not self.deleted:
            # Nothing was written, so nothing created the count entry.
            with db_engine.writer() as conn:
                db_api.adjust_count(conn, self.kind.name, self.storage_id, 0)
        self._store_digests()
        if self.inserted + self.deleted >= max(ANALYZE_MIN_ROWS, before // 5) \
                and self._dialect.name == 'postgresql':
            self._defer(self._analyze)
        return self

    def _store_digests(self):
        """Make the stored digests those of this (complete) sync."""
        digests = {i: d for i, d in enumerate(self._digests) if d}
        if digests == self._stored_digests and not self._digests_dropped:
            return
        try:
            with db_engine.writer() as conn:
                db_api.forget_digests(conn, self.kind.name, self.storage_id)
                if digests:
                    conn.execute(sa.insert(schema.sync_digests), [
                        {'storage_id': self.storage_id,
                         'kind': self.kind.name, 'chunk': i, 'digest': d}
                        for i, d in sorted(digests.items())])
        except sa.exc.IntegrityError:
            if not _storage_exists(self.storage_id):
                raise JobStopped('storage %s was deleted' % self.storage_id)
            raise

    def _drop_digests(self, conn):
        """Before the first write of this sync's rows, in its transaction:
        the stored digests no longer describe the rows."""
        if self._stored_digests and not self._digests_dropped:
            db_api.forget_digests(conn, self.kind.name, self.storage_id)
            return True
        return False

    def _known_keys(self, chunk, position, digest):
        """The identities of a chunk stored as it is by the last complete
        sync, or None when the chunk must be checked and looked up."""
        if digest is None or self._stored_digests.get(position) != digest:
            return None
        try:
            keys = list(map(self._identity_of, chunk))
        except (KeyError, TypeError, AttributeError):
            return None
        # The stored identities are the driver's strings as they are;
        # anything else is converted by the validator.
        if len(self.identity) == 1:
            if any(k.__class__ is not str for k in keys):
                return None
        elif any(v.__class__ is not str for key in keys for v in key):
            return None
        return keys

    def _chunks(self, iterator, before, seen):
        """Read, check and write the items chunk by chunk; returns how
        many were already stored.  From the first full chunk on, writes go
        through a `_Writer` (``self._writer``, for the caller to close)."""
        matched = 0
        # Digests are trusted only beside a maintained row count: both are
        # dropped together by writes other than the sync's.
        use_digests = before > 0 and self._counted
        while True:
            chunk = list(itertools.islice(iterator, self.chunk_size))
            if not chunk:
                return matched
            self.items += len(chunk)
            full = len(chunk) == self.chunk_size
            digest = chunk_digest(self._signature, chunk)
            position = len(self._digests)
            self._digests.append(digest)
            keys = self._known_keys(chunk, position, digest) \
                if use_digests else None
            if keys is not None:
                if not seen.isdisjoint(keys):
                    key = next(k for k in keys if k in seen)
                    raise InvalidItems(
                        'Duplicate %s %r from the driver: the same %s was '
                        'reported twice' % (self.kind.name, key,
                                            ', '.join(self.identity)))
                seen.update(keys)
                matched += len(keys)
                self.checkpoint(self)
                continue
            rows = self._validate(chunk)
            del chunk
            for key, _values in rows:
                if key in seen:
                    raise InvalidItems(
                        'Duplicate %s %r from the driver: the same %s was '
                        'reported twice' % (self.kind.name, key,
                                            ', '.join(self.identity)))
                seen.add(key)
            found = self._existing([k for k, _ in rows]) if before else {}
            matched += len(found)
            inserts, updates = self._diff(rows, found)
            del rows, found
            if self._writer is None and full:
                # More chunks are likely: overlap their writes.
                self._writer = _Writer(self._write)
            if self._writer is not None:
                self._writer.put(inserts, updates)
            else:
                self._write(inserts, updates)
            self.checkpoint(self)

    def _analyze(self):
        # PostgreSQL plans a new or much changed table from stale
        # statistics until autovacuum gets to it (up to a minute or more),
        # and meanwhile sorts whole storages to serve one list page.
        with db_engine.writer() as conn:
            conn.exec_driver_sql('ANALYZE %s' % self._dialect.
                                 identifier_preparer.format_table(
                                     self.table))

    def _validate(self, chunk):
        validate, key_of = self.validate, self._key
        rows = []
        for item in chunk:
            values = validate(item)
            rows.append((key_of(values), values))
        return rows

    def _prepare(self, values):
        if not self._value_procs:
            return values
        values = list(values)
        for i, proc in self._value_procs:
            if values[i] is not None:
                values[i] = proc(values[i])
        return tuple(values)

    def _diff(self, rows, existing):
        """What a checked chunk changes: the rows to insert, ready for
        `bulk_insert`, and {changed column positions: parameters} of the
        rows to update.  Made here, in the thread that reads the driver,
        so that the writer's thread only runs the statements."""
        now = db_api.utcnow()
        stamp = self._time_proc(now)
        head = (self.storage_id,)
        tail = (stamp,)
        prepare = self._prepare
        if existing:
            new = [values for key, values in rows if key not in existing]
        else:
            new = [values for _key, values in rows]
        ids = db_api.new_ids(len(new))
        inserts = [(row_id,) + head + prepare(values) + tail
                   for row_id, values in zip(ids, new)]
        updates = {}
        for key, values in rows:
            old = existing.get(key)
            if old is None or old[1] == values:
                continue
            row_id, old_values = old
            changed = tuple(i for i, (a, b) in enumerate(
                zip(old_values, values)) if a != b)
            new_values = prepare(values)
            updates.setdefault(changed, []).append(
                tuple(new_values[i] for i in changed) + (stamp, row_id))
        if inserts and self._copy_rows:
            inserts = CopyRows(inserts)
        return inserts, updates

    def _write(self, inserts, updates, conn=None):
        if not inserts and not updates:
            return
        try:
            with db_engine.writer(conn) as conn:
                dropped = self._drop_digests(conn)
                bulk_insert(conn, self.table, self._insert_columns, inserts)
                if inserts:
                    db_api.adjust_count(conn, self.kind.name,
                                        self.storage_id, len(inserts))
                for changed, params in updates.items():
                    bulk_update(conn, self.table,
                                [self.names[i] for i in changed]
                                + ['updated_at'], params)
            self._digests_dropped |= dropped
        except (sa.exc.IntegrityError,
                self._dialect.loaded_dbapi.IntegrityError) as e:
            # (The batch helpers run on the DB driver's own cursor, whose
            # errors SQLAlchemy does not wrap.)
            if not _storage_exists(self.storage_id):
                raise JobStopped('storage %s was deleted' % self.storage_id)
            raise InvalidItems('Could not store %s rows: %s'
                               % (self.kind.name, getattr(e, 'orig', e)))
        self.inserted += len(inserts)
        self.updated += sum(len(p) for p in updates.values())

    def _delete_unseen(self, seen):
        """Delete the storage's rows whose identity was not reported.

        Walks the storage's rows in (created_at, id) order, the order of
        the storage's own index, a page at a time.
        """
        t = self.table
        key_cols = [t.c[n] for n in self.identity]
        last = None
        gone = []
        while True:
            stmt = sa.select(t.c.id, t.c.created_at, *key_cols).where(
                t.c.storage_id == self.storage_id)
            if last is not None:
                created, row_id = last
                stmt = stmt.where(t.c.created_at >= created, sa.or_(
                    t.c.created_at > created,
                    sa.and_(t.c.created_at == created, t.c.id > row_id)))
            stmt = stmt.order_by(t.c.created_at, t.c.id).limit(
                self.chunk_size)
            with db_engine.reader() as conn:
                page = conn.execute(stmt).all()
            if not page:
                break
            last = (page[-1][1], page[-1][0])
            for row in page:
                key = row[2] if len(key_cols) == 1 else tuple(row[2:])
                if key not in seen:
                    gone.append(row[0])
            while len(gone) >= 1000:
                self._delete(gone[:1000])
                del gone[:1000]
        if gone:
            self._delete(gone)

    def _delete(self, ids):
        t = self.table
        with db_engine.writer() as conn:
            dropped = self._drop_digests(conn)
            count = conn.execute(sa.delete(t).where(
                t.c.id.in_(ids), t.c.storage_id == self.storage_id)).rowcount
            if count:
                db_api.adjust_count(conn, self.kind.name, self.storage_id,
                                    -count)
        self._digests_dropped |= dropped
        self.deleted += count


def _storage_exists(storage_id):
    with db_engine.reader() as conn:
        return conn.execute(sa.select(schema.storages.c.id).where(
            schema.storages.c.id == storage_id)).first() is not None


def sync_kind(kind, storage_id, items, chunk_size=None, checkpoint=None):
    """Make the stored rows of ``kind`` of ``storage_id`` match ``items``.

    :param kind: a registry kind or its name.
    :returns: the finished `KindSync` (``items``, ``inserted``,
        ``updated``, ``deleted``).
    :raises InvalidItems: an item cannot be stored, or an identity repeats.
    :raises JobStopped: ``checkpoint`` said so, or the storage is gone.
    """
    if isinstance(kind, str):
        kind = registry.by_name(kind)
    return KindSync(kind, storage_id, chunk_size, checkpoint).run(items)


# -- the storage row --------------------------------------------------------

def update_storage(storage_id, reported):
    """Update the storage row from ``get_storage``'s dict, writing only the
    columns that changed; returns the names of those columns.

    :raises InvalidItems: a value cannot be stored.
    :raises StorageSerialNumberMismatch: another device answered.
    :raises JobStopped: the storage is gone.
    """
    kind = registry.STORAGE
    values = dict(zip(kind.field_names, validator(kind)(reported)))
    t = schema.storages
    with db_engine.reader() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == storage_id)).first()
    if row is None:
        raise JobStopped('storage %s was deleted' % storage_id)
    row = row._mapping
    if row['serial_number'] and values['serial_number'] and \
            values['serial_number'] != row['serial_number']:
        raise exception.StorageSerialNumberMismatch(
            'The backend reports serial number %s, not %s.'
            % (values['serial_number'], row['serial_number']))
    changed = {k: v for k, v in values.items()
               if k in reported and v != row[k]}
    if changed:
        with db_engine.writer() as conn:
            count = conn.execute(t.update().where(t.c.id == storage_id).values(
                updated_at=db_api.utcnow(), **changed)).rowcount
        if not count:
            raise JobStopped('storage %s was deleted' % storage_id)
    return sorted(changed)


def set_storage_status(storage_id, status):
    """Set the storage's status when it differs; True when written."""
    t = schema.storages
    with db_engine.writer() as conn:
        return bool(conn.execute(t.update().where(
            t.c.id == storage_id,
            sa.or_(t.c.status.is_(None), t.c.status != status)).values(
            status=status, updated_at=db_api.utcnow())).rowcount)


# -- a job ------------------------------------------------------------------

def _plan():
    """[(kind, relation kind or None)] in sync order; a group kind and its
    membership kind come from one driver call."""
    plan = []
    members = {k.relation.kind for k in registry.inventory_kinds()
               if k.relation}
    for kind in registry.inventory_kinds():
        if kind.name in members:
            continue
        relation = registry.by_name(kind.relation.kind) \
            if kind.relation else None
        plan.append((kind, relation))
    return plan


def _message(error):
    text = str(error) or type(error).__name__
    if isinstance(error, exception.DelfinException):
        return '%s: %s' % (error.error_code, text)
    return '%s: %s' % (type(error).__name__, text)


class JobRunner(object):
    """Runs one sync job; see `run_sync_job`."""

    def __init__(self, context, job_id, driver_api=None, chunk_size=None,
                 clock=time.monotonic):
        self.context = context
        self.job_id = job_id
        self.chunk_size = chunk_size
        self.clock = clock
        if driver_api is None:
            from delfin.drivers import api as drivers_api
            driver_api = drivers_api.API()
        self.api = driver_api
        self.progress = {}
        self._last_beat = clock()
        self.storage_id = None
        self._deferred = []

    # -- bookkeeping ----------------------------------------------------

    def _beat(self, force=False):
        now = self.clock()
        if not force and now - self._last_beat < PROGRESS_INTERVAL:
            return
        self._last_beat = now
        if not jobs.update_job(self.job_id, self.progress):
            raise JobStopped('job %s is no longer running' % self.job_id)

    def _checkpoint(self, kind_sync):
        entry = self.progress[kind_sync.kind.name]
        entry['items'] = kind_sync.items
        entry['written'] = kind_sync.written
        self._beat()

    def _begin(self, kind):
        self.progress[kind.name] = {'state': State.RUNNING, 'items': 0,
                                    'written': {'inserted': 0, 'updated': 0,
                                                'deleted': 0},
                                    'duration': None, 'error': None}
        self._beat()

    def _end(self, kind, started, state, items=None, written=None,
             error=None):
        duration = round(self.clock() - started, 3)
        entry = self.progress.setdefault(kind.name, {})
        entry.update(state=state, duration=duration, error=error)
        if items is not None:
            entry['items'] = items
        if written is not None:
            entry['written'] = written
        if state != UNSUPPORTED:
            jobs.record_freshness(self.storage_id, kind.name, self.job_id,
                                  duration, item_count=items,
                                  error=error)

    # -- steps ------------------------------------------------------------

    def _sync_storage(self):
        kind = registry.STORAGE
        started = self.clock()
        self._begin(kind)
        reported = self.api.get_storage(self.context, self.storage_id)
        changed = update_storage(self.storage_id, reported)
        self._end(kind, started, State.SUCCEEDED, items=1,
                  written={'inserted': 0, 'updated': 1 if changed else 0,
                           'deleted': 0})

    def _defer(self, work):
        """Run ``work`` in a thread while the job goes on with the next
        kinds; the job ends once it has finished (`_finish_deferred`)."""
        def run():
            try:
                work()
            except Exception:
                LOG.warning("Sync job %s: %s failed", self.job_id,
                            getattr(work, '__name__', work), exc_info=True)
        thread = threading.Thread(target=run, name='sync-deferred',
                                  daemon=True)
        thread.start()
        self._deferred.append(thread)

    def _finish_deferred(self):
        while self._deferred:
            self._deferred.pop().join()

    def _sync(self, kind, items):
        started = self.clock()
        self._begin(kind)
        result = KindSync(kind, self.storage_id, self.chunk_size,
                          self._checkpoint, self._defer).run(items)
        self._end(kind, started, State.SUCCEEDED, items=result.items,
                  written=result.written)

    def _listing(self, kind, relation):
        if relation is None:
            return [(kind, self.api.list_resources(
                self.context, self.storage_id, kind.name))]
        grouped = self.api.list_grouped_resources(
            self.context, self.storage_id, kind.name)
        return [(kind, grouped.get(kind.name) or []),
                (relation, grouped.get(relation.name) or [])]

    def _fail_kind(self, kind, started, error):
        if isinstance(error, exception.DelfinException) or \
                backend_status(error) is not None:
            LOG.warning("Sync of %s of storage %s failed: %s", kind.plural,
                        self.storage_id, error)
        else:
            LOG.error("Sync of %s of storage %s failed", kind.plural,
                      self.storage_id, exc_info=error)
        entry = self.progress.get(kind.name) or {}
        self._end(kind, started, State.FAILED, items=entry.get('items'),
                  written=entry.get('written'), error=_message(error))

    def _backend_down(self, error):
        status = backend_status(error)
        if status is not None:
            set_storage_status(self.storage_id, status)
            LOG.warning("Storage %s is %s: %s", self.storage_id, status,
                        error)
        return status is not None

    def run(self):
        job = jobs.start_job(self.job_id, host=CONF.host)
        if job is None:
            LOG.info("Sync job %s is not queued any more; not run",
                     self.job_id)
            return None
        self.storage_id = job['storage_id']
        LOG.info("Sync job %s of storage %s started", self.job_id,
                 self.storage_id)
        started = self.clock()
        errors = []
        try:
            try:
                self._run(errors)
            finally:
                self._finish_deferred()
        except JobStopped as e:
            LOG.info("Sync job %s of storage %s stopped: %s", self.job_id,
                     self.storage_id, e)
            return State.CANCELLED
        except Exception as e:
            LOG.exception("Sync job %s of storage %s failed", self.job_id,
                          self.storage_id)
            errors.append(_message(e))
        state = State.FAILED if errors else State.SUCCEEDED
        LOG.info("Sync job %s of storage %s %s in %.3f s", self.job_id,
                 self.storage_id, state, self.clock() - started)
        if not jobs.finish_job(self.job_id, state, self.progress,
                               '; '.join(errors) or None):
            LOG.info("Sync job %s ended after it was cancelled",
                     self.job_id)
            return State.CANCELLED
        return state

    def _run(self, errors):
        started = self.clock()
        try:
            self._sync_storage()
        except JobStopped:
            raise
        except Exception as e:
            self._fail_kind(registry.STORAGE, started, e)
            self._backend_down(e)
            errors.append('storage: %s' % _message(e))
            self._skip_rest(_plan())
            return
        plan = _plan()
        for index, (kind, relation) in enumerate(plan):
            started = self.clock()
            try:
                listing = self._listing(kind, relation)
            except exception.DriverNotSupported:
                for k in (kind, relation):
                    if k is not None:
                        self.progress[k.name] = {'state': UNSUPPORTED}
                continue
            except JobStopped:
                raise
            except Exception as e:
                self._fail_kind(kind, started, e)
                errors.append('%s: %s' % (kind.name, _message(e)))
                if self._backend_down(e):
                    self._skip_rest(plan[index + 1:])
                    return
                continue
            for k, items in listing:
                started = self.clock()
                try:
                    self._sync(k, items)
                except exception.DriverNotSupported:
                    self.progress[k.name] = {'state': UNSUPPORTED}
                except JobStopped:
                    raise
                except Exception as e:
                    self._fail_kind(k, started, e)
                    errors.append('%s: %s' % (k.name, _message(e)))
                    if self._backend_down(e):
                        self._skip_rest(plan[index + 1:])
                        return

    def _skip_rest(self, plan):
        for kind, relation in plan:
            for k in (kind, relation):
                if k is not None and k.name not in self.progress:
                    self.progress[k.name] = {'state': SKIPPED}


def run_sync_job(context, job_id, driver_api=None, chunk_size=None):
    """Run the queued sync job ``job_id``; returns its final state, or None
    when the job was not queued (already run, cancelled, or gone).

    :param driver_api: the driver facade (`delfin.drivers.api.API` by
        default); it must offer ``get_storage``, ``list_resources`` and
        ``list_grouped_resources``.
    """
    return JobRunner(context, job_id, driver_api, chunk_size).run()
