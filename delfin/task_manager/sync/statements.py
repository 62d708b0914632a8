"""Bulk statements of the sync: multi-row inserts (COPY on PostgreSQL) and
batched updates, on the DB driver's own cursor.

The sync writes and reads many rows of one shape, so it talks to the DB
driver with plain SQL text and tuples: SQLAlchemy's per-row parameter and
result processing would cost more than the database work itself.  Values
are converted once per column where the column type needs it (dates on
SQLite, JSON everywhere); booleans, numbers and strings pass as they are.
"""
import datetime
import io

import sqlalchemy as sa

from delfin.db import sqlite_batch

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


def placeholder(dialect):
    return '?' if dialect.paramstyle == 'qmark' else '%s'


def quoted(dialect, names):
    q = dialect.identifier_preparer
    return ', '.join(q.quote(n) for n in names)


def bulk_insert(conn, table, columns, rows):
    """Insert ``rows`` (tuples in ``columns`` order, values as the DB
    driver takes them) with the backend's fastest multi-row form."""
    if not rows:
        return
    dialect = conn.dialect
    name = dialect.identifier_preparer.format_table(table)
    cols = quoted(dialect, columns)
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
    marks = ', '.join([placeholder(dialect)] * len(columns))
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
    mark = placeholder(dialect)
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
