"""List parameters: filters, sort, limit, offset and marker of a list request.

Every paged collection of the API takes the same query parameters:

* filters: ``<column>=<value>`` for the columns the collection allows (a
  kind's ``filters`` in the resource registry); repeating a parameter
  matches any of its values.  A parameter the collection does not know is
  ignored (logged at debug level), as Delfin ignores it: the SODA
  dashboard sends such parameters.  A known parameter with a bad value is
  a 400 ``InvalidInput``.
* ``sort=key[:asc|desc],...`` or Delfin's older ``sort_key``/``sort_dir``;
  default ``created_at`` descending, and ``created_at`` always closes the
  order (with the first key's direction), as in Delfin.
* ``limit``: 0 up to ``[DEFAULT] api_max_limit``, which is also the default.
* ``offset``: 0 to 2147483647, applied after ``marker``.
* ``marker``: id of the last row of the previous page (keyset pagination);
  an unknown marker is a 404 of the collection's kind.

`list_page` runs the query and returns the rows of the page with the total
number of rows matching the filters.
"""
import dataclasses
import functools
import re

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.db import api as db
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.resources import registry

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

MAX_OFFSET = 2147483647
INT32 = (-2 ** 31, 2 ** 31 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
# An integer in a query string: ASCII digits with an optional minus sign;
# no blanks, plus sign or underscores (which Python's int() would take).
_INTEGER = re.compile(r'-?[0-9]+\Z')
# At most this many sort keys: more than every column of the widest table,
# fewer than any database accepts in one ORDER BY.
MAX_SORT_KEYS = 64
PAGING_KEYS = ('limit', 'offset', 'marker', 'sort', 'sort_key', 'sort_dir')
DEFAULT_SORT_KEY = 'created_at'
DEFAULT_SORT_DIR = db.DESC
SORT_DIRS = (db.ASC, db.DESC)


@dataclasses.dataclass
class ListParams:
    """The parsed list parameters of one request."""
    filters: dict
    sort: list
    limit: int
    offset: int = 0
    marker: str = None


def _items(query):
    """(key, [values]) pairs of a webob MultiDict or a plain dict."""
    if hasattr(query, 'getall'):
        keys = list(dict.fromkeys(query.keys()))
        return [(k, query.getall(k)) for k in keys]
    return [(k, v if isinstance(v, list) else [v])
            for k, v in query.items()]


def _single(name, values):
    if len(values) != 1:
        raise exception.InvalidInput(
            "Parameter %s must be given at most once" % name)
    return values[0]


def parse_int(name, value, low=INT64[0], high=INT64[1]):
    """``value`` (a query-string text) as an integer of ``low``..``high``.

    :raises InvalidInput: naming ``name``, when ``value`` is not written
        as digits with an optional minus sign, or is out of range.
    """
    text = value if isinstance(value, str) else str(value)
    if not _INTEGER.match(text):
        raise exception.InvalidInput(
            "%s must be an integer, not '%s'" % (name, text[:40]))
    # Digits past any bound are not converted (int() of a huge text is
    # slow, and refused past 4,300 digits).
    number = int(text) if len(text) <= 40 else None
    if number is None or number < low or number > high:
        raise exception.InvalidInput(
            '%s must be between %d and %d' % (name, low, high))
    return number


def _int_param(name, value, low, high=INT64[1]):
    return parse_int(name, value, low, high)


def parse_limit(value, max_limit=None):
    max_limit = max_limit or CONF.api_max_limit
    if value is None:
        return max_limit
    return min(_int_param('limit', value, 0), max_limit)


def parse_offset(value):
    if value is None:
        return 0
    return _int_param('offset', value, 0, MAX_OFFSET)


def _sortable(table, key):
    col = table.c.get(key)
    return col is not None and not isinstance(col.type, sa.JSON)


def parse_sort(table, sort=None, sort_key=None, sort_dir=None):
    """[(column, direction), ...] from ``sort`` or the legacy pair
    ``sort_key``/``sort_dir``."""
    if sort is not None and (sort_key is not None or sort_dir is not None):
        raise exception.InvalidInput(
            "The 'sort_key' and 'sort_dir' parameters cannot be used with "
            "the 'sort' parameter")
    keys = []
    if sort is not None:
        items = sort.split(',')
        if len(items) > MAX_SORT_KEYS:
            raise exception.InvalidInput(
                'sort takes at most %d keys, not %d'
                % (MAX_SORT_KEYS, len(items)))
        for item in items:
            key, _sep, direction = item.partition(':')
            key = key.strip()
            direction = direction.strip() if _sep else DEFAULT_SORT_DIR
            keys.append((key, direction))
    else:
        keys.append((
            DEFAULT_SORT_KEY if sort_key is None else sort_key.strip(),
            DEFAULT_SORT_DIR if sort_dir is None else sort_dir.strip()))
    seen = set()
    for key, direction in keys:
        if key in seen:
            raise exception.InvalidInput("Sort key %s is repeated" % key)
        seen.add(key)
        if not _sortable(table, key):
            raise exception.InvalidInput("Invalid sort key: %s" % key)
        if direction not in SORT_DIRS:
            raise exception.InvalidInput(
                "Invalid sort direction: %s (use asc or desc)" % direction)
    if DEFAULT_SORT_KEY in table.c and \
            DEFAULT_SORT_KEY not in [k for k, _ in keys]:
        keys.append((DEFAULT_SORT_KEY, keys[0][1]))
    return keys


def _convert(table, name, value):
    """A query-string value as the column's Python type."""
    try:
        pytype = table.c[name].type.python_type
    except NotImplementedError:
        return value
    if pytype is bool:
        lowered = value.strip().lower()
        if lowered in ('true', '1', 'yes', 'on'):
            return True
        if lowered in ('false', '0', 'no', 'off'):
            return False
        raise exception.InvalidInput(
            "Filter %s must be a boolean, not '%s'" % (name, value))
    if pytype is int:
        low, high = INT64 if isinstance(table.c[name].type, sa.BigInteger) \
            else INT32
        return parse_int('Filter %s' % name, value, low, high)
    if pytype is float:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or number != number or number in (
                float('inf'), float('-inf')):
            raise exception.InvalidInput(
                "Filter %s must be a number, not '%s'" % (name, value))
        return number
    return value


@functools.lru_cache(maxsize=None)
def _fields(table):
    """The names of the fields the API shows as the table's columns are."""
    for kind in registry.ALL_KINDS:
        if schema.TABLES.get(kind.name) is table:
            return frozenset(kind.field_names)
    return frozenset()


def _ignore(name, table, allowed_filters):
    # Delfin ignores the query parameters it does not filter on, and its
    # clients (the SODA dashboard among them) send some.
    LOG.debug("Ignoring the list parameter %r of %s (accepted filters: "
              "%s)", name, table.name, ', '.join(sorted(allowed_filters)))


def parse(query, table, allowed_filters, fixed=None, ignored=(),
          max_limit=None):
    """Parse ``query`` for a list of ``table``.

    ``allowed_filters`` are the filterable columns; ``fixed`` filters are
    imposed by the route (e.g. the storage of a per-storage list) and win
    over the query string (which may repeat them when they are allowed
    filters); ``ignored`` parameters are accepted and dropped.
    """
    fixed = dict(fixed or {})
    paging = {}
    filters = {}
    for name, values in _items(query):
        if name in PAGING_KEYS:
            paging[name] = _single(name, values)
        elif name in ignored:
            continue
        elif name in table.c and (name in allowed_filters
                                  or name in _fields(table)):
            # A field of the collection: its values must have the field's
            # type (400 otherwise), whether or not it filters the list.
            converted = [_convert(table, name, v) for v in values]
            if name not in allowed_filters:
                _ignore(name, table, allowed_filters)
            elif name not in fixed:
                filters[name] = converted[0] if len(converted) == 1 \
                    else converted
        else:
            _ignore(name, table, allowed_filters)
    filters.update(fixed)
    marker = paging.get('marker')
    return ListParams(
        filters=filters,
        sort=parse_sort(table, paging.get('sort'), paging.get('sort_key'),
                        paging.get('sort_dir')),
        limit=parse_limit(paging.get('limit'), max_limit),
        offset=parse_offset(paging.get('offset')),
        marker=marker if marker else None)


def list_page(name, params, conn=None):
    """(rows, total) of the repository table ``name`` for ``params``.

    Counting is the costly part of a page on a large table; when the first
    page holds every matching row its length is the total, and the count is
    skipped.  Rows and count come from one transaction.
    """
    def fetch(conn):
        return db.list_rows(name, filters=params.filters, sort=params.sort,
                            limit=params.limit, offset=params.offset,
                            marker=params.marker, conn=conn)
    return _page(name, params, fetch, len, conn)


def list_page_raw(name, params, columns, conn=None):
    """(page, total) as `list_page`, the page a `delfin.db.api.RawPage` of
    ``columns`` (see `delfin.db.api.list_raw`)."""
    def fetch(conn):
        return db.list_raw(name, columns, filters=params.filters,
                           sort=params.sort, limit=params.limit,
                           offset=params.offset, marker=params.marker,
                           conn=conn)
    return _page(name, params, fetch, lambda page: len(page.rows), conn)


def _page(name, params, fetch, size, conn):
    if conn is None:
        with db_engine.reader() as conn:
            return _page(name, params, fetch, size, conn)
    page = fetch(conn)
    if params.marker is None and params.offset == 0 and \
            size(page) < params.limit:
        return page, size(page)
    return page, db.count(name, filters=params.filters, conn=conn)
