"""Reads that go straight to the database driver: the API's hot paths.

A request that polls one storage, or the list of storages, needs one
SELECT.  Run through a SQLAlchemy ``Connection`` it also pays for a
transaction of its own (on SQLite a ``BEGIN`` and a ``COMMIT``, two more
statements), an execution context, events and a result object: several
times the cost of the statement itself, and, since the SQLite driver lets
other threads run during each call, several more hand-overs of the
interpreter lock between the API's threads under load.

`Query` is a Core ``select`` compiled once per database kind.  `rows` runs
it as one statement on a DBAPI connection (one statement reads one
consistent state on every supported database: on SQLite it runs in
autocommit, on PostgreSQL and MariaDB in the transaction the driver opens
and the pool ends on check-in) and returns the driver's
tuples, decoded by the column types' result processors when asked.  Errors
come out as SQLAlchemy's (`sqlalchemy.exc.DBAPIError` and its kinds), and a
connection the database dropped is discarded from the pool, as with
SQLAlchemy's own execution, so the API's handling of an unavailable
database is the same on both paths.

The connection is checked out of the engine's pool, except on a SQLite
file: there each thread keeps one for its reads, and its `Connection.memo`
holds what a caller chooses to keep for as long as nothing is committed
to the database (the storage list and detail views, which dashboards
poll, are answered from it while the storages do not change).
"""
import contextlib
import threading
import time

import sqlalchemy as sa

from delfin.db import engine as db_engine


class _Compiled(object):
    """One statement compiled for one dialect."""

    __slots__ = ('compiled', 'sql', 'names', 'positional', 'processors',
                 'expanding', 'defaults', 'columns', 'decoders')

    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = compiled.positional
        self.names = tuple(compiled.positiontup or ()) \
            if compiled.positional else None
        self.processors = dict(compiled._bind_processors)
        self.expanding = any(b.expanding for b in compiled.binds.values())
        # Values the statement fixes itself (literals in its clauses).
        self.defaults = compiled.construct_params(_check=False)
        self.columns = list(stmt.selected_columns)
        # The result processors, from the driver's type codes of the
        # first execution (they depend on the statement only).
        self.decoders = None


class Query(object):
    """A select compiled once per dialect; see the module documentation.

    :param stmt: a Core ``select``; its bound parameters are given by name
        to `rows`.
    """

    def __init__(self, stmt):
        self.stmt = stmt
        self._by_dialect = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect):
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            with self._lock:
                compiled = self._by_dialect.get(dialect.name)
                if compiled is None:
                    compiled = _Compiled(self.stmt, dialect)
                    self._by_dialect[dialect.name] = compiled
        return compiled

    def _statement(self, compiled, params):
        """(SQL text, driver parameters) for ``params``."""
        if compiled.expanding:
            state = compiled.compiled.construct_expanded_state(params)
            # The state has the processors of the expanded values only.
            processors = dict(compiled.processors)
            processors.update(state.processors)
            sql, values = state.statement, state.parameters
            names = state.positiontup
        else:
            sql, processors = compiled.sql, compiled.processors
            values = {n: params[n] if n in params else v
                      for n, v in compiled.defaults.items()}
            names = compiled.names
        bound = {}
        for name, value in values.items():
            proc = processors.get(name)
            bound[name] = value if proc is None or value is None \
                else proc(value)
        if compiled.positional:
            return sql, tuple([bound[n] for n in names])
        return sql, bound

    def rows(self, conn, params=None, decode=True):
        """The rows of the statement for ``params`` (a dict), as tuples;
        ``decode`` applies the column types' result processors (datetimes,
        booleans, JSON), else the driver's values are returned as they
        are."""
        compiled = self._compiled(conn.dialect)
        sql, values = self._statement(compiled, params or {})
        raw, codes = conn.execute(sql, values)
        if compiled.decoders is None:
            dialect = conn.dialect
            compiled.decoders = [
                col.type._cached_result_processor(dialect, code)
                for col, code in zip(compiled.columns,
                                     codes or [None] * len(compiled.columns))]
        if not decode or not raw:
            return raw
        decoders = compiled.decoders
        if not any(decoders):
            return raw
        return [tuple(v if d is None or v is None else d(v)
                      for v, d in zip(row, decoders)) for row in raw]

    def decoders(self, conn):
        """For each column, the function that decodes the driver's value
        (not None) as SQLAlchemy would, or None; known once the statement
        ran on ``conn``'s kind of database."""
        return self._compiled(conn.dialect).decoders

    def keys(self):
        """The names of the selected columns, in order."""
        return [c.key for c in self.stmt.selected_columns]


class Memo(dict):
    """Results read on one connection, valid while the database is
    unchanged (see `Connection.memo`); at most `MEMO_LIMIT` of them."""

    __slots__ = ()

    def keep(self, key, value):
        if len(self) >= MEMO_LIMIT and key not in self:
            # The oldest entry goes.
            del self[next(iter(self))]
        self[key] = value


# Entries a memo holds: the results polled are few (a list or two, the
# storages); a client varying its queries must not make it grow without
# end.
MEMO_LIMIT = 256


class Connection(object):
    """A DBAPI connection for one `reader` block: checked out of the pool,
    or the thread's own (`_Kept`)."""

    __slots__ = ('dbapi', 'dialect', 'kept', '_fairy')

    def __init__(self, dbapi, dialect, fairy=None, kept=None):
        self.dbapi = dbapi
        self.dialect = dialect
        self._fairy = fairy
        self.kept = kept

    def execute(self, sql, params):
        cursor = None
        try:
            cursor = self.dbapi.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if type(rows) is not list:      # PyMySQL: a tuple
                rows = list(rows)
            return rows, [d[1] for d in cursor.description or ()]
        except self.dialect.loaded_dbapi.Error as e:
            raise self._failed(e, sql, params, cursor) from e
        finally:
            if cursor is not None:
                try:
                    cursor.close()
                except Exception:  # noqa: BLE001  the answer is already read
                    pass

    def _failed(self, error, sql, params, cursor):
        """SQLAlchemy's exception for the driver's ``error``; a connection
        the database dropped is discarded."""
        invalidated = self.dialect.is_disconnect(error, self.dbapi, cursor)
        if invalidated:
            if self.kept is not None:
                self.kept.discard()
            else:
                self._fairy.invalidate(error)
        return sa.exc.DBAPIError.instance(
            sql, params, error, self.dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated, dialect=self.dialect)

    def memo(self, since=None):
        """A `Memo` of results read on this connection that stay valid
        while nothing is committed to the database, emptied first when
        something has been since its entries were read; None where the
        database cannot tell that cheaply (PostgreSQL, MariaDB, an
        in-memory SQLite).

        ``since`` (a `time.monotonic` time, such as when a request
        arrived): the memo must reflect every commit made before then.  The
        database is asked unless it was last asked after that time: the
        requests that arrived while one was being answered are answered
        after a single question (asking costs little, but the SQLite
        driver gives up the interpreter lock for it, and getting it back
        behind a busy thread costs a switch interval).  Default: now.

        Ask before reading what is to be kept: a change committed between
        the question and the read is then seen by the next question, so an
        entry is never older than the state it is kept for.  Keep only
        what depends on the database alone (not on the time of the read).
        """
        if self.kept is None:
            return None
        try:
            return self.kept.current_memo(since)
        except self.dialect.loaded_dbapi.Error as e:
            raise self._failed(e, 'PRAGMA data_version', (), None) from e


class _Kept(object):
    """A SQLite connection a thread keeps for its reads: it never writes,
    so SQLite's ``data_version`` (which changes when another connection,
    in any process, commits) tells it whether anything changed since its
    last look.  Reading on it also skips the pool's check-out and
    check-in, a good part of a polled request's time.

    It runs in autocommit (the engine's own setting of its SQLite
    connections), so it holds no snapshot between statements and never
    keeps the log from being checkpointed.
    """

    __slots__ = ('engine', 'dbapi', 'version', 'memo', 'checked_at')

    def __init__(self, engine):
        self.engine = engine
        fairy = engine.raw_connection()
        # The connection leaves the pool (set up by the engine's connect
        # hooks like every other) and is the thread's until it ends.
        fairy.detach()
        self.dbapi = fairy.dbapi_connection
        self.version = None
        self.memo = Memo()
        # When the database was last asked whether it changed.
        self.checked_at = float('-inf')

    def current_memo(self, since):
        if since is not None and since <= self.checked_at:
            return self.memo
        # Taken before the question: what was committed by then is seen
        # (once the question is answered).
        asked = time.monotonic()
        cursor = self.dbapi.execute('PRAGMA data_version')
        version = cursor.fetchone()[0]
        if version != self.version:
            self.memo.clear()
            self.version = version
        self.checked_at = asked
        return self.memo

    def discard(self):
        if getattr(_local, 'kept', None) is self:
            _local.kept = None
        self.memo.clear()
        self.checked_at = float('-inf')
        try:
            self.dbapi.close()
        except Exception:  # noqa: BLE001  it is dropped either way
            pass


_local = threading.local()


def _keeps(engine):
    """Whether reads of ``engine`` run on a connection kept by thread: a
    SQLite file (an in-memory database exists on its one connection)."""
    return engine.dialect.name == 'sqlite' and \
        not isinstance(engine.pool, sa.pool.StaticPool)


def _kept(engine):
    kept = getattr(_local, 'kept', None)
    if kept is not None:
        if kept.engine is engine:
            return kept
        # The process changed engines (a test, a tool): the old database
        # is not read again.
        kept.discard()
    kept = _Kept(engine)
    _local.kept = kept
    return kept


def _unavailable(engine, error):
    return sa.exc.DBAPIError.instance(
        None, None, error, engine.dialect.loaded_dbapi.Error,
        connection_invalidated=False, dialect=engine.dialect)


@contextlib.contextmanager
def reader():
    """A `Connection` of the process's engine for the block, for reads
    only.  On a SQLite file it is the thread's own (see `_Kept`), else it
    is checked out of the pool and returns to it at the end (where
    PostgreSQL's and MariaDB's implicit transaction is rolled back)."""
    engine = db_engine.get_engine()
    if _keeps(engine):
        try:
            kept = _kept(engine)
        except engine.dialect.loaded_dbapi.Error as e:
            raise _unavailable(engine, e) from e
        yield Connection(kept.dbapi, engine.dialect, kept=kept)
        return
    try:
        fairy = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as e:
        raise _unavailable(engine, e) from e
    try:
        yield Connection(fairy.dbapi_connection, engine.dialect,
                         fairy=fairy)
    finally:
        fairy.close()
