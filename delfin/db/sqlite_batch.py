"""Batch writes to SQLite in a few statements instead of one per row.

Python's ``sqlite3`` runs an ``executemany`` one row at a time and lets go
of the global interpreter lock around each row's step.  Taking the lock back
after a step waits until the thread that took it meanwhile lets go: at once
if that thread is waiting for I/O, after the interpreter's switch interval
(5 ms) if it is running Python.  So while any other thread of the process
is busy (the trap dispatcher beside the alert writer, a sync's reader beside
its writer, API requests beside both), an 8000-row ``executemany`` that
takes 0.2 s alone can take minutes.

The statements here carry many rows each (``INSERT ... VALUES (...),
(...)``; ``UPDATE ... FROM (VALUES ...)``), up to the connection's limit of
bound parameters, so a batch lets go of the lock a handful of times.  They
are also faster alone: one statement per few thousand rows instead of a
reset and a step per row.
"""
import functools
import itertools
import sqlite3

# Rows per statement at most, whatever the parameter limit: a statement's
# text and its parse grow with its rows.
_MAX_ROWS = 2000
# UPDATE ... FROM came with SQLite 3.33.
_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)
_chain = itertools.chain.from_iterable


def rows_per_statement(dbapi_conn, width):
    """How many rows of ``width`` values one statement may bind on
    ``dbapi_conn``."""
    limit = dbapi_conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(_MAX_ROWS, limit // max(1, width)))


@functools.lru_cache(maxsize=256)
def _insert_sql(head, width, count):
    row = '(%s)' % ','.join('?' * width)
    return '%s VALUES %s' % (head, ','.join([row] * count))


def _chunks(rows, per):
    for start in range(0, len(rows), per):
        yield rows[start:start + per]


def insert(dbapi_conn, table, columns, rows):
    """``INSERT INTO table (columns) VALUES`` each of ``rows``.

    :param dbapi_conn: a ``sqlite3`` connection (the statements run in its
        current transaction, if any).
    :param table: the table's name, quoted as SQL needs it.
    :param columns: the column names, quoted, in the order of the rows.
    :param rows: sequences of values as ``sqlite3`` binds them.
    """
    if not rows:
        return
    width = len(columns)
    head = 'INSERT INTO %s (%s)' % (table, ', '.join(columns))
    per = rows_per_statement(dbapi_conn, width)
    for chunk in _chunks(rows, per):
        dbapi_conn.execute(_insert_sql(head, width, len(chunk)),
                           tuple(_chain(chunk)))


@functools.lru_cache(maxsize=256)
def _update_sql(table, columns, key, count):
    width = len(columns) + 1
    row = '(%s)' % ','.join('?' * width)
    sets = ', '.join('%s = v.column%d' % (c, i + 1)
                     for i, c in enumerate(columns))
    return ('UPDATE %s SET %s FROM (VALUES %s) AS v '
            'WHERE %s.%s = v.column%d' % (table, sets, ','.join([row] * count),
                                          table, key, width))


def update(dbapi_conn, table, columns, key, rows):
    """``UPDATE table SET columns... WHERE key = ?`` for each of ``rows``
    (see `insert` for ``dbapi_conn`` and ``table``).

    :param columns: quoted names of the columns to set.
    :param key: quoted name of the column that picks the row (unique).
    :param rows: sequences of the new values in ``columns`` order, then
        the key's value.
    """
    if not rows:
        return
    columns = tuple(columns)
    if not _UPDATE_FROM:
        dbapi_conn.executemany('UPDATE %s SET %s WHERE %s = ?' % (
            table, ', '.join('%s = ?' % c for c in columns), key), rows)
        return
    per = rows_per_statement(dbapi_conn, len(columns) + 1)
    for chunk in _chunks(rows, per):
        dbapi_conn.execute(_update_sql(table, columns, key, len(chunk)),
                           tuple(_chain(chunk)))
