"""The repository: one generic set of operations for every table.

Rows travel as plain dicts keyed by column name.  Every kind of the resource
registry is reached by its name (``'volume'``, ``'storage'``...), and so are
the other tables (``'access_info'``, ``'alert_source'``).  A missing row
raises the kind's own `NotFound` subclass (``VolumeNotFound``...).

The Delfin-compatible functions at the bottom (``storage_get(context, id)``
and friends) are what drivers written for Delfin call through ``delfin.db``.
"""
import datetime
import os
import threading
import time

import sqlalchemy as sa

from delfin import exception
from delfin import resources
from delfin.db import engine as db_engine
from delfin.db import schema

ASC, DESC = 'asc', 'desc'
DEFAULT_SORT = (('created_at', DESC),)


class _Table(object):
    """How the repository reaches one table."""

    def __init__(self, name, table, key, not_found):
        self.name = name
        self.table = table
        self.key = key
        self.not_found = getattr(exception, not_found)
        self.get_stmt = None


_TABLES = {kind.name: _Table(kind.name, schema.TABLES[kind.name], 'id',
                             kind.not_found)
           for kind in resources.ALL_KINDS}
_TABLES['access_info'] = _Table('access_info', schema.access_info,
                                'storage_id', 'AccessInfoNotFound')
_TABLES['alert_source'] = _Table('alert_source', schema.alert_sources,
                                 'storage_id', 'AlertSourceNotFound')


def register_table(name, table, key='id', not_found='NotFound'):
    """Make ``table`` reachable by the generic operations as ``name``."""
    _TABLES[name] = _Table(name, table, key, not_found)


def _t(name):
    try:
        return _TABLES[name]
    except KeyError:
        raise ValueError('unknown table %r' % name)


# -- inventory row counts ----------------------------------------------------
#
# ``inventory_counts`` holds the exact number of rows of each inventory kind
# per storage.  The sync engine adjusts it in the transaction that inserts or
# deletes the rows; the generic writes below drop the affected entries
# instead (they are rare: tools and tests), which makes readers count the
# table until the next sync rebuilds the entry.  They drop the sync's chunk
# digests of the kind too (``sync_digests``), so that the next sync reads
# and compares every row again.


def _counted(name):
    return name in schema.INVENTORY


def adjust_count(conn, name, storage_id, delta):
    """Add ``delta`` to the stored row count of ``name`` of ``storage_id``
    inside the caller's write transaction ``conn``, after the rows were
    written; an absent entry is created from the table's own count."""
    c = schema.inventory_counts.c
    if delta and conn.execute(sa.update(schema.inventory_counts).where(
            c.storage_id == storage_id, c.kind == name).values(
            row_count=c.row_count + delta)).rowcount:
        return
    if not delta and conn.execute(sa.select(c.row_count).where(
            c.storage_id == storage_id, c.kind == name)).first() is not None:
        return
    table = schema.INVENTORY[name]
    conn.execute(sa.insert(schema.inventory_counts).from_select(
        ['storage_id', 'kind', 'row_count'],
        sa.select(sa.literal(storage_id, sa.String(36)),
                  sa.literal(name, sa.String(64)),
                  sa.func.count()).select_from(table).where(
            table.c.storage_id == storage_id)))


def stored_count(conn, name, storage_id):
    """The row count of ``name`` of ``storage_id`` from
    ``inventory_counts``, or None when it holds none."""
    return conn.execute(_STORED_COUNT, {'storage_id': storage_id,
                                        'kind': name}).scalar()


_STORED_COUNT = sa.select(schema.inventory_counts.c.row_count).where(
    schema.inventory_counts.c.storage_id == sa.bindparam('storage_id'),
    schema.inventory_counts.c.kind == sa.bindparam('kind'))


def _forget_counts(conn, name, storage_id=None):
    if not _counted(name):
        return
    c = schema.inventory_counts.c
    where = [c.kind == name]
    if isinstance(storage_id, str):
        where.append(c.storage_id == storage_id)
    conn.execute(sa.delete(schema.inventory_counts).where(*where))
    forget_digests(conn, name, storage_id)


def forget_digests(conn, name, storage_id=None):
    """Drop the sync's chunk digests of kind ``name`` (of ``storage_id``,
    or of every storage), inside the caller's write transaction ``conn``:
    rows of the kind are about to change other than by the sync that
    stored them."""
    c = schema.sync_digests.c
    where = [c.kind == name]
    if isinstance(storage_id, str):
        where.append(c.storage_id == storage_id)
    conn.execute(sa.delete(schema.sync_digests).where(*where))


def _stored_total(c, name, filters):
    """The exact number of rows of ``name`` matching ``filters`` from
    ``inventory_counts``, or None when it cannot answer."""
    if not _counted(name) or set(filters or ()) - {'storage_id'}:
        return None
    counts = schema.inventory_counts
    storage_id = (filters or {}).get('storage_id')
    if storage_id is None and filters:
        return None
    if isinstance(storage_id, str):
        return stored_count(c, name, storage_id)
    if storage_id is not None:
        return None
    # The whole table: exact when every storage has an entry (rows always
    # belong to a storage).
    storages = sa.select(sa.func.count()).select_from(
        schema.storages).scalar_subquery()
    entries, total, storages = c.execute(sa.select(
        sa.func.count(), sa.func.sum(counts.c.row_count), storages).where(
        counts.c.kind == name)).one()
    if entries != storages:
        return None
    return int(total or 0)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


_id_lock = threading.Lock()
# First hex digit of the UUID variant field (binary 10xx).
_VARIANT = dict(zip('0123456789abcdef', '89ab89ab89ab89ab'))
_id_last = 0


def new_ids(count):
    """``count`` new row ids, in increasing order.

    They are version 7 UUIDs: the first 48 bits are the time in
    milliseconds, the next 12 a counter, the rest random.  Ids created later
    sort after earlier ones, so inserting a batch of rows appends to the end
    of every index that ends with ``id`` instead of scattering writes over
    the whole B-tree (several times faster on every backend).
    """
    global _id_last
    if count <= 0:
        return []
    now = time.time_ns() // 1000000 << 12
    with _id_lock:
        first = max(now, _id_last + 1)
        _id_last = first + count - 1
    rand = os.urandom(8 * count).hex()
    ids = []
    append = ids.append
    for i in range(count):
        head = '%015x' % (first + i)
        tail = rand[16 * i:16 * i + 16]
        append('%s-%s-7%s-%s%s-%s' % (head[:8], head[8:12], head[12:],
                                      _VARIANT[tail[0]], tail[1:4],
                                      tail[4:]))
    return ids


def new_id():
    """A new row id (see `new_ids`)."""
    return new_ids(1)[0]


def _row(row):
    return dict(row._mapping) if row is not None else None


def _clean(t, values):
    """Keep only the table's columns; unknown keys are an error."""
    cols = t.table.c
    unknown = [k for k in values if k not in cols]
    if unknown:
        raise exception.InvalidInput('Unknown attribute(s) for %s: %s'
                                     % (t.name, ', '.join(sorted(unknown))))
    return dict(values)


def _where(t, filters):
    clauses = []
    for key, value in (filters or {}).items():
        if key not in t.table.c:
            raise exception.InvalidInput('Invalid filter key: %s' % key)
        col = t.table.c[key]
        if isinstance(value, (list, tuple, set, frozenset)):
            clauses.append(col.in_(list(value)))
        elif value is None:
            clauses.append(col.is_(None))
        else:
            clauses.append(col == value)
    return clauses


def _null_default(col):
    """Value standing in for NULL when ordering and paging on ``col``."""
    pytype = col.type.python_type
    if pytype is datetime.datetime:
        return datetime.datetime(1, 1, 1)
    if pytype in (int, float, bool):
        return 0
    return ''


def _sort_expr(col):
    if col.nullable and not col.primary_key:
        return sa.func.coalesce(col, _null_default(col))
    return col


def _normalise_sort(t, sort):
    keys = list(sort or DEFAULT_SORT)
    for key, direction in keys:
        if key not in t.table.c:
            raise exception.InvalidInput('Invalid sort key: %s' % key)
        if direction not in (ASC, DESC):
            raise exception.InvalidInput('Invalid sort direction: %s'
                                         % direction)
    names = [k for k, _ in keys]
    if t.key not in names:
        keys.append((t.key, keys[0][1]))
    return keys


def _after_marker(t, keys, marker_row, dialect=None):
    """Keyset condition: rows strictly after ``marker_row`` in ``keys``."""
    values = [_marker_value(t.table.c[key], marker_row) for key, _ in keys]
    return _after(t, keys, values, dialect)


def _after(t, keys, values, dialect=None):
    """Keyset condition: rows strictly after the sort ``values`` (values
    or bound parameters, one per key) in ``keys``."""
    exprs = [_sort_expr(t.table.c[key]) for key, _ in keys]
    directions = {direction for _, direction in keys}
    plain = all(e is t.table.c[k] for e, (k, _) in zip(exprs, keys))
    same_direction = len(directions) == 1
    if plain and same_direction and dialect in ('sqlite', 'postgresql'):
        # A row-value comparison is one index range on these backends.
        left, right = sa.tuple_(*exprs), sa.tuple_(*values)
        return left > right if ASC in directions else left < right
    # (k1 > m1) OR (k1 = m1 AND ((k2 > m2) OR (k2 = m2 AND ...))), with a
    # leading k1 >= m1 so that an index on k1 bounds the scan.
    cond = None
    for (key, direction), expr, value in reversed(list(
            zip(keys, exprs, values))):
        strict = expr > value if direction == ASC else expr < value
        cond = strict if cond is None else sa.or_(
            strict, sa.and_(expr == value, cond))
    (_, first_dir), first, first_value = keys[0], exprs[0], values[0]
    bound = first >= first_value if first_dir == ASC else first <= first_value
    return sa.and_(bound, cond)


def _marker_value(col, marker_row):
    value = marker_row[col.name]
    if value is None and col.nullable and not col.primary_key:
        return _null_default(col)
    return value


def _get_stmt(t):
    """The select of one row of ``t`` by key, built once per table (and
    so is its cache key)."""
    stmt = t.get_stmt
    if stmt is None:
        stmt = t.get_stmt = sa.select(t.table).where(
            t.table.c[t.key] == sa.bindparam('key'))
    return stmt


def get(name, key, conn=None):
    """The row of ``name`` whose key is ``key``; raises its NotFound."""
    t = _t(name)
    stmt = _get_stmt(t)
    row = _execute(conn, lambda c: c.execute(stmt, {'key': key}).first())
    if row is None:
        raise t.not_found(key)
    return _row(row)


def find(name, conn=None, **filters):
    """The first row matching ``filters`` exactly, or None."""
    t = _t(name)
    stmt = sa.select(t.table).where(*_where(t, filters)).limit(1)
    return _row(_execute(conn, lambda c: c.execute(stmt).first()))


def list_rows(name, filters=None, sort=None, limit=None, offset=0,
              marker=None, with_total=False, conn=None):
    """Rows of ``name`` matching ``filters`` (exact values, or lists).

    ``sort`` is a list of (column, 'asc'|'desc'), default created_at desc;
    the key column is always appended so the order is total. ``marker`` is
    the key of the last row of the previous page (keyset pagination);
    ``offset`` applies after it. Returns a list, or (list, total) when
    ``with_total`` is set; ``total`` counts every row matching ``filters``.
    """
    t = _t(name)
    keys = _normalise_sort(t, sort)
    where = _where(t, filters)

    def run(c):
        result = c.execute(_page_query(c, t, keys, where, limit, offset,
                                       marker, sa.select(t.table)))
        names = list(result.keys())
        rows = [dict(zip(names, r)) for r in result.all()]
        if not with_total:
            return rows
        return rows, _count(c, t, filters, where)

    return _execute(conn, run)


def _page_query(c, t, keys, where, limit, offset, marker, stmt):
    """``stmt`` (a select from ``t``) limited to one page of the rows
    matching ``where`` in the order ``keys``."""
    stmt = stmt.where(*where)
    if marker is not None:
        mrow = c.execute(sa.select(t.table).where(
            t.table.c[t.key] == marker)).first()
        if mrow is None:
            raise t.not_found(marker)
        stmt = stmt.where(_after_marker(
            t, keys, mrow._mapping, c.dialect.name))
    order = []
    for key, direction in keys:
        expr = _sort_expr(t.table.c[key])
        order.append(expr.asc() if direction == ASC else expr.desc())
    stmt = stmt.order_by(*order)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return stmt


def _count(c, t, filters, where):
    total = _stored_total(c, t.name, filters)
    if total is None:
        total = c.execute(sa.select(sa.func.count()).select_from(
            t.table).where(*where)).scalar_one()
    return total


def count(name, filters=None, conn=None):
    """The exact number of rows of ``name`` matching ``filters``; served
    from the stored inventory counts when they can answer."""
    t = _t(name)
    where = _where(t, filters)
    return _execute(conn, lambda c: _count(c, t, filters, where))


def create(name, values, conn=None):
    """Insert one row; fills ``id`` (when the key is ``id``) and times."""
    t = _t(name)
    values = _clean(t, values)
    if t.key == 'id' and not values.get('id'):
        values['id'] = new_id()
    values.setdefault('created_at', utcnow())

    def run(c):
        c.execute(sa.insert(t.table).values(**values))
        _forget_counts(c, name, values.get('storage_id'))

    _write(conn, run)
    return get(name, values[t.key], conn=conn) if conn is not None \
        else get(name, values[t.key])


def update(name, key, values, conn=None):
    """Update the row ``key`` with ``values``; returns the new row."""
    t = _t(name)
    values = _clean(t, values)
    values.pop(t.key, None)
    values.setdefault('updated_at', utcnow())

    def run(c):
        res = c.execute(sa.update(t.table).where(
            t.table.c[t.key] == key).values(**values))
        if res.rowcount == 0:
            raise t.not_found(key)
        if 'storage_id' in values:
            _forget_counts(c, name)
        elif _counted(name):
            forget_digests(c, name)
        return _row(c.execute(sa.select(t.table).where(
            t.table.c[t.key] == key)).first())

    return _write(conn, run)


def delete(name, key, conn=None):
    """Delete the row ``key``; raises its NotFound when absent."""
    t = _t(name)

    def run(c):
        res = c.execute(sa.delete(t.table).where(t.table.c[t.key] == key))
        if res.rowcount == 0:
            raise t.not_found(key)
        _forget_counts(c, name)

    _write(conn, run)


def delete_where(name, conn=None, **filters):
    """Delete every row matching ``filters``; returns how many."""
    t = _t(name)
    where = _where(t, filters)
    if not where:
        raise ValueError('delete_where needs a filter')

    def run(c):
        count = c.execute(sa.delete(t.table).where(*where)).rowcount
        if count:
            _forget_counts(c, name, filters.get('storage_id'))
        return count

    return _write(conn, run)


def _execute(conn, fn):
    if conn is not None:
        return fn(conn)
    with db_engine.reader() as c:
        return fn(c)


def _write(conn, fn):
    if conn is not None:
        return fn(conn)
    with db_engine.writer() as c:
        return fn(c)


# Delfin-compatible functions (drivers and Delfin-style tools call these).

def storage_get(context, storage_id):
    return get('storage', storage_id)


def storage_get_all(context, marker=None, limit=None, sort_keys=None,
                    sort_dirs=None, filters=None, offset=None):
    sort = None
    if sort_keys:
        dirs = list(sort_dirs or [])
        sort = [(k, dirs[i] if i < len(dirs) else DESC)
                for i, k in enumerate(sort_keys)]
    return list_rows('storage', filters=filters, sort=sort, limit=limit,
                     offset=offset or 0, marker=marker)


def storage_update(context, storage_id, values):
    return update('storage', storage_id, values)


def access_info_get(context, storage_id):
    return get('access_info', storage_id)


def access_info_get_all(context, marker=None, limit=None, sort_keys=None,
                        sort_dirs=None, filters=None, offset=None):
    return list_rows('access_info', filters=filters, limit=limit,
                     offset=offset or 0, marker=marker,
                     sort=[('created_at', DESC)])


# The page readers live in their own module; they are part of this API.
from delfin.db.pages import RawPage, direct_page, list_raw  # noqa: E402,F401
