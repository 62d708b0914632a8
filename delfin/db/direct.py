"""Reads that go straight to the database driver: the API's hot paths.

A request that polls one storage, or the list of storages, needs one
SELECT.  Run through a SQLAlchemy ``Connection`` it also pays for a
transaction of its own (on SQLite a ``BEGIN`` and a ``COMMIT``, two more
statements), an execution context, events and a result object: several
times the cost of the statement itself, and, since the SQLite driver lets
other threads run during each call, several more hand-overs of the
interpreter lock between the API's threads under load.

`Query` is a Core ``select`` compiled once per database kind.  `rows` runs
it as one statement on a DBAPI connection checked out of the engine's pool
(one statement reads one consistent state on every supported database: on
SQLite it runs in autocommit, on PostgreSQL and MariaDB in the transaction
the driver opens and the pool ends on check-in) and returns the driver's
tuples, decoded by the column types' result processors when asked.  Errors
come out as SQLAlchemy's (`sqlalchemy.exc.DBAPIError` and its kinds), and a
connection the database dropped is discarded from the pool, as with
SQLAlchemy's own execution, so the API's handling of an unavailable
database is the same on both paths.
"""
import contextlib
import threading

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


class Connection(object):
    """A pooled DBAPI connection, checked out for one `reader` block."""

    def __init__(self, fairy, dialect):
        self.fairy = fairy
        self.dialect = dialect

    def execute(self, sql, params):
        cursor = None
        try:
            cursor = self.fairy.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if type(rows) is not list:      # PyMySQL: a tuple
                rows = list(rows)
            return rows, [d[1] for d in cursor.description or ()]
        except self.dialect.loaded_dbapi.Error as e:
            invalidated = self.dialect.is_disconnect(
                e, self.fairy.dbapi_connection, cursor)
            if invalidated:
                self.fairy.invalidate(e)
            raise sa.exc.DBAPIError.instance(
                sql, params, e, self.dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated,
                dialect=self.dialect) from e
        finally:
            if cursor is not None:
                try:
                    cursor.close()
                except Exception:  # noqa: BLE001  the answer is already read
                    pass


@contextlib.contextmanager
def reader():
    """A `Connection` of the process's engine for the block; it returns
    to the pool at the end (where PostgreSQL's and MariaDB's implicit
    transaction is rolled back)."""
    engine = db_engine.get_engine()
    try:
        fairy = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as e:
        raise sa.exc.DBAPIError.instance(
            None, None, e, engine.dialect.loaded_dbapi.Error,
            connection_invalidated=False, dialect=engine.dialect) from e
    try:
        yield Connection(fairy, engine.dialect)
    finally:
        fairy.close()
