"""Views: what the API shows of a stored row.

A view is a whitelist: only the named keys leave the service, so a column
added to a table (or a secret kept beside a row) never leaks by accident.
Datetimes are rendered in Delfin's format, naive UTC
``%Y-%m-%dT%H:%M:%S.%f`` (`delfin.api.common.wsgi.DATETIME_FORMAT`).
"""
import datetime
import json
import re

from delfin.api.common import wsgi
from delfin.resources import registry

# Keys whose values are secrets; a view must never show them.
SECRET_KEYS = frozenset(('password', 'community_string', 'auth_key',
                         'privacy_key', 'secret', 'token', 'passwd'))


def format_datetime(value):
    """Delfin's rendering of a datetime (naive UTC), other values as is."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        # Same text as strftime(wsgi.DATETIME_FORMAT), several times faster.
        return value.isoformat(timespec='microseconds')
    return value


def is_secret(key):
    lowered = str(key).lower()
    return lowered in SECRET_KEYS or 'password' in lowered


def project(row, keys):
    """The view of ``row`` limited to ``keys`` (missing keys are null)."""
    return {k: format_datetime(row.get(k)) for k in keys}


class Projection(object):
    """A compiled `project` for rows whose datetime keys are known.

    Lists render up to ``api_max_limit`` rows per request, so this is on
    the hot path.  When the rows are known to hold exactly the view's keys
    (``columns``, e.g. a table whose every column is shown) the repository's
    fresh row dicts are reused and only their datetimes are rewritten; any
    other row is copied key by key.
    """

    def __init__(self, keys, datetime_keys, columns=None):
        self.keys = tuple(keys)
        self.datetime_keys = tuple(k for k in datetime_keys
                                   if k in self.keys)
        self.reuse = columns is not None and \
            frozenset(columns) == frozenset(self.keys)

    def __call__(self, row):
        if self.reuse and len(row) == len(self.keys):
            view = row
        else:
            view = {k: row.get(k) for k in self.keys}
        for key in self.datetime_keys:
            value = view[key]
            if value is not None:
                view[key] = format_datetime(value)
        return view


# -- list bodies rendered from the database driver's values ----------------
#
# A list page of an inventory kind is rendered straight from the driver's
# tuples (`delfin.db.api.RawPage`), column by column, into the text
# `wsgi.dumps` gives for ``collection(plural, [view of each row], total)``.
# Each column is rendered by the fastest means its values allow: one C call
# per value when they all have the same plain type, the generic encoder
# otherwise.

_quote = json.encoder.encode_basestring_ascii
_NONE = type(None)
# The JSON text of a value of each plain type, as json.dumps writes it.
_TEXT_OF = {
    str: _quote,
    int: int.__repr__,
    bool: {True: 'true', False: 'false'}.__getitem__,
    _NONE: lambda value: 'null',
}
# How SQLAlchemy stores a datetime on SQLite (naive, with microseconds).
_STORED_DATETIMES = re.compile(
    r'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}'
    r'(?:\n[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
    r'\.[0-9]{6})*')


def value_texts(values):
    """The JSON text of each of ``values``, as `wsgi.dumps` renders it."""
    types = set(map(type, values))
    if len(types) == 1:
        kind = types.pop()
        if kind is _NONE:
            return ['null'] * len(values)
        return list(map(_TEXT_OF.get(kind, wsgi.dumps), values))
    text_of = _TEXT_OF.get
    dumps = wsgi.dumps
    return [text_of(type(v), dumps)(v) for v in values]


def _datetime_texts(values, decode):
    """The JSON texts of the views of a datetime column's values."""
    if set(map(type, values)) <= {str, _NONE}:
        stored = [v for v in values if v is not None]
        if not stored or _STORED_DATETIMES.fullmatch('\n'.join(stored)):
            # 'YYYY-MM-DD HH:MM:SS.ffffff' is its API text with a 'T'.
            return ['null' if v is None else '"%sT%s"' % (v[:10], v[11:])
                    for v in values]
    if decode is not None:
        values = map(decode, values)
    return value_texts([None if v is None else format_datetime(v)
                        for v in values])


class PageRenderer(object):
    """Renders list bodies of a view from `delfin.db.api.RawPage` pages.

    ``render(page, total)`` is the text of ``wsgi.dumps(collection(plural,
    [Projection(keys, datetime_keys)(row) for row in rows], total))`` for
    the rows the page's values are from; a key that is not one of the
    page's columns is null, as in a projection.
    """

    def __init__(self, plural, keys, datetime_keys):
        self.keys = tuple(keys)
        self.datetime_keys = frozenset(datetime_keys)
        self.head = '{%s: [' % _quote(plural)
        self.row = '{%s}' % ', '.join(
            '%s: %%s' % _quote(k).replace('%', '%%') for k in self.keys)

    def columns(self, available):
        """The view's keys among the column names ``available``."""
        return tuple(k for k in self.keys if k in available)

    def render(self, page, total=None):
        count = len(page.rows)
        if count:
            found = dict(zip(page.columns, zip(
                zip(*page.rows), page.decoders)))
            texts = []
            for key in self.keys:
                if key not in found:
                    texts.append(('null',) * count)
                    continue
                values, decode = found[key]
                if key in self.datetime_keys:
                    texts.append(_datetime_texts(values, decode))
                    continue
                if decode is not None:
                    values = list(map(decode, values))
                texts.append(value_texts(values))
            items = ', '.join(map(self.row.__mod__, zip(*texts)))
        else:
            items = ''
        tail = ']}' if total is None else '], "total": %s}' % (
            wsgi.dumps(total))
        return wsgi.JSONText(self.head + items + tail)


def kind_keys(kind):
    """The keys of an inventory kind's view, from the registry."""
    keys = ['id']
    if kind.name != 'storage':
        keys.append('storage_id')
    keys += [f.name for f in kind.fields]
    keys += ['created_at', 'updated_at']
    return tuple(keys)


def _kind_datetimes(kind):
    return ['created_at', 'updated_at'] + [
        f.name for f in kind.fields if f.type == registry.DATETIME]


def kind_projection(kind, columns=None):
    """The `Projection` of an inventory kind's rows; ``columns`` are those
    of its table, when the rows come straight from it."""
    return Projection(kind_keys(kind), _kind_datetimes(kind), columns)


def kind_renderer(kind):
    """The `PageRenderer` of an inventory kind's list bodies."""
    return PageRenderer(kind.plural, kind_keys(kind), _kind_datetimes(kind))


def collection(plural, items, total=None):
    """A list body: ``{plural: items}`` with ``total`` beside it."""
    body = {plural: list(items)}
    if total is not None:
        body['total'] = total
    return body
