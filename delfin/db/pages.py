"""Pages of a table as the database driver returns them: the list path of
the API.

`list_raw` reads a page of chosen columns as the driver's tuples (a
`RawPage`), its statements built once per shape of request (`_RawQuery`).
`direct_page` reads the same page through `delfin.db.direct`, one statement
on a pooled driver connection, for the lists polled most.  Both are
reached through `delfin.db.api` too.
"""
import threading

import sqlalchemy as sa

from delfin import exception
from delfin.db import api as db_api
from delfin.db import direct


class RawPage(object):
    """A page of rows as the database driver returns them.

    ``rows`` (a sequence) are tuples of the values of ``columns``, in order,
    without SQLAlchemy's type processing: on SQLite a datetime is the text
    stored for it and a boolean is 0 or 1.  ``decoders`` has, for each
    column, SQLAlchemy's function that turns such a value (or None) into
    the one `list_rows` gives, or None when the driver's value is already
    that one.
    """

    def __init__(self, columns, rows, decoders):
        self.columns = columns
        self.rows = rows
        self.decoders = decoders

    def dicts(self):
        """The rows as `list_rows` gives them (dicts of decoded values)."""
        columns, decoders = self.columns, self.decoders
        return [{c: v if d is None or v is None else d(v)
                 for c, v, d in zip(columns, values, decoders)}
                for values in self.rows]


def _checked(name, sort, filters):
    """(table, sort keys, filters) of a page request; `InvalidInput` for
    a filter on no column."""
    t = db_api._t(name)
    keys = db_api._normalise_sort(t, sort)
    filters = dict(filters or {})
    for key in filters:
        if key not in t.table.c:
            raise exception.InvalidInput('Invalid filter key: %s' % key)
    return t, keys, filters


def list_raw(name, columns, filters=None, sort=None, limit=None, offset=0,
             marker=None, conn=None):
    """The page of `list_rows` limited to ``columns``, as a `RawPage`.

    This is the list path of the API: reading the driver's tuples directly
    skips building a Python object (datetime, bool, dict) for every value
    of a page that is only going to be rendered as text; and the page's
    statements are built once per shape of request (see `_RawQuery`).
    """
    t, keys, filters = _checked(name, sort, filters)

    def run(c):
        query = _RawQuery.get(t, tuple(columns), keys, filters, marker,
                              limit, offset, c.dialect.name)
        params = query.params(filters, limit, offset)
        if marker is not None:
            mrow = c.execute(query.marker_row, {'marker': marker}).first()
            params.update(_after_marker(t, keys, marker, mrow and
                                        mrow._mapping))
        result = c.execute(query.stmt, params)
        try:
            cursor = result.cursor
            rows = cursor.fetchall()
            codes = [d[1] for d in cursor.description]
        finally:
            result.close()
        dialect = c.dialect
        decoders = [col.type._cached_result_processor(dialect, code)
                    for col, code in zip(query.columns, codes)]
        return RawPage(tuple(columns), rows, decoders)

    return db_api._execute(conn, run)


def _after_marker(t, keys, marker, marker_row):
    """The parameters of a page that starts after the row ``marker``
    (``marker_row``, a mapping of its columns, or None: its NotFound)."""
    if marker_row is None:
        raise t.not_found(marker)
    return {'marker_%d' % i: db_api._marker_value(t.table.c[key],
                                                  marker_row)
            for i, (key, _dir) in enumerate(keys)}


def direct_page(name, columns, filters=None, sort=None, limit=None,
                offset=0, marker=None, conn=None, extra=(), params=None):
    """The page of `list_raw` read through `delfin.db.direct` (``conn``, a
    `direct.Connection`, or one for the call), as a `RawPage`: one
    statement, and one more to find the ``marker`` row.

    ``extra`` are more column expressions to select after ``columns``,
    built once by the caller (the same objects each time: they name the
    statement), with the values of their bound parameters in ``params``;
    each row then ends with their values.
    """
    t, keys, filters = _checked(name, sort, filters)
    if conn is None:
        with direct.reader() as conn:
            return direct_page(name, columns, filters, sort, limit, offset,
                               marker, conn, extra, params)
    query = _RawQuery.get(t, tuple(columns), keys, filters, marker, limit,
                          offset, conn.dialect.name, tuple(extra))
    values = query.params(filters, limit, offset)
    if marker is not None:
        found = query.direct_marker.rows(conn, {'marker': marker})
        values.update(_after_marker(
            t, keys, marker,
            dict(zip(query.direct_marker.keys(), found[0])) if found
            else None))
    values.update(params or {})
    rows = query.direct.rows(conn, values, decode=False)
    return RawPage(tuple(columns), rows, query.direct.decoders(conn))


class _RawQuery(object):
    """The statements of the `list_raw` pages of one shape: table, columns,
    order, filtered columns (and which hold lists or NULL), marker or not,
    limit or not, offset or not, database.  Every value is a bound
    parameter, so building them once spares each page the construction of
    its statements (and SQLAlchemy the cache key of a new statement)."""

    _cache = {}
    _lock = threading.Lock()
    MAX_SHAPES = 512

    def __init__(self, t, columns, keys, shape, marker, limit, offset,
                 dialect, extra=()):
        table = t.table
        self.columns = [table.c[n] for n in columns]
        where = []
        for key, how in shape:
            col = table.c[key]
            if how == 'null':
                where.append(col.is_(None))
            elif how == 'list':
                where.append(col.in_(sa.bindparam(
                    'filter_' + key, expanding=True)))
            else:
                where.append(col == sa.bindparam('filter_' + key))
        stmt = sa.select(*self.columns, *extra).where(*where)
        if marker:
            values = [sa.bindparam('marker_%d' % i,
                                   type_=db_api._sort_expr(
                                       table.c[key]).type)
                      for i, (key, _dir) in enumerate(keys)]
            stmt = stmt.where(db_api._after(t, keys, values, dialect))
            self.marker_row = sa.select(table).where(
                table.c[t.key] == sa.bindparam('marker'))
            self.direct_marker = direct.Query(self.marker_row)
        order = []
        for key, direction in keys:
            expr = db_api._sort_expr(table.c[key])
            order.append(expr.asc() if direction == db_api.ASC
                         else expr.desc())
        stmt = stmt.order_by(*order)
        if limit:
            stmt = stmt.limit(sa.bindparam('page_limit'))
        if offset:
            stmt = stmt.offset(sa.bindparam('page_offset'))
        self.stmt = stmt
        self.direct = direct.Query(stmt)

    @staticmethod
    def _shape(filters):
        shape = []
        for key, value in filters.items():
            if isinstance(value, (list, tuple, set, frozenset)):
                shape.append((key, 'list'))
            elif value is None:
                shape.append((key, 'null'))
            else:
                shape.append((key, 'value'))
        return tuple(shape)

    @classmethod
    def get(cls, t, columns, keys, filters, marker, limit, offset, dialect,
            extra=()):
        shape = cls._shape(filters)
        cache_key = (t.name, columns, tuple(keys), shape, marker is not None,
                     limit is not None, bool(offset), dialect, extra)
        query = cls._cache.get(cache_key)
        if query is None:
            query = cls(t, columns, keys, shape, marker is not None,
                        limit is not None, bool(offset), dialect, extra)
            with cls._lock:
                if len(cls._cache) >= cls.MAX_SHAPES:
                    cls._cache.clear()
                cls._cache[cache_key] = query
        return query

    @staticmethod
    def params(filters, limit, offset):
        params = {'page_limit': limit, 'page_offset': offset}
        for key, value in filters.items():
            if isinstance(value, (set, frozenset, tuple)):
                value = list(value)
            if value is not None:
                params['filter_' + key] = value
        return params
