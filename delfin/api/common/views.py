"""Views: what the API shows of a stored row.

A view is a whitelist: only the named keys leave the service, so a column
added to a table (or a secret kept beside a row) never leaks by accident.
Datetimes are rendered in Delfin's format, naive UTC
``%Y-%m-%dT%H:%M:%S.%f`` (`delfin.api.common.wsgi.DATETIME_FORMAT`).
"""
import datetime
import json
import operator

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


# Keys that clients (the SODA dashboard among them) use as strings, calling
# string methods on them: shown as "" rather than null.
_TEXT_KEYS = frozenset(('id', 'storage_id', 'name', 'description', 'vendor',
                        'model', 'serial_number'))


def is_text_key(key):
    """Whether a view shows ``key`` as "" when it has no value."""
    return key in _TEXT_KEYS or (key.startswith('native_') and
                                 key.endswith('_id'))


def fill_text(view, keys=None):
    """``view`` with its text keys (among ``keys``) null turned into ""."""
    for key in (view if keys is None else keys):
        if view.get(key) is None and is_text_key(key):
            view[key] = ''
    return view


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
        self.text_keys = tuple(k for k in self.keys if is_text_key(k))

    def __call__(self, row):
        if self.reuse and len(row) == len(self.keys):
            view = row
        else:
            view = {k: row.get(k) for k in self.keys}
        for key in self.datetime_keys:
            value = view[key]
            if value is not None:
                view[key] = format_datetime(value)
        for key in self.text_keys:
            if view[key] is None:
                view[key] = ''
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
# How SQLAlchemy stores a datetime on SQLite (naive, with microseconds):
# 'YYYY-MM-DD HH:MM:SS.ffffff' with each digit turned into a 0.
_STORED_DATETIME = '0000-00-00 00:00:00.000000'
_ZERO_DIGITS = str.maketrans('123456789', '000000000')
# A datetime's time zone (None: naive).
_TZINFO = operator.attrgetter('tzinfo')


def _stored_datetimes(joined, count):
    """Whether ``joined`` is ``count`` stored datetimes joined by '\\n'."""
    return joined.translate(_ZERO_DIGITS) == '\n'.join(
        [_STORED_DATETIME] * count)


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


# How a column's values enter a row's text: as JSON texts, as strings that
# need no escaping (quoted around them), or not at all (null in every row).
_TEXTS, _PLAIN_STRINGS, _NULLS = 'texts', 'plain strings', 'nulls'


def _strings(values):
    """(how, texts) of a column of strings (TypeError if it is not)."""
    joined = ''.join(values)
    if len(_quote(joined)) == len(joined) + 2:
        # Nothing in any of them is escaped.
        return _PLAIN_STRINGS, values
    return _TEXTS, list(map(_quote, values))


def _column(values, decode):
    """(how, texts) of a column: how its values enter the rows' texts,
    and the strings that do (None when none does)."""
    if decode is not None:
        values = list(map(decode, values))
    try:
        return _strings(values)
    except TypeError:
        pass
    types = set(map(type, values))
    if types == {int}:
        return _TEXTS, list(map(int.__repr__, values))
    if types == {_NONE}:
        return _NULLS, None
    return _TEXTS, value_texts(values)


def _datetime_column(values, decode):
    """(how, texts) of a datetime column, rendered as Delfin does."""
    types = set(map(type, values))
    if types == {_NONE}:
        return _NULLS, None
    if types <= {str, _NONE}:
        stored = [v for v in values if v is not None] if _NONE in types \
            else values
        joined = '\n'.join(stored)
        if _stored_datetimes(joined, len(stored)):
            # 'YYYY-MM-DD HH:MM:SS.ffffff' is its API text with a 'T'.
            if len(stored) == len(values):
                return _PLAIN_STRINGS, joined.replace(' ', 'T').split('\n')
            return _TEXTS, ['null' if v is None else
                            '"%s"' % v.replace(' ', 'T') for v in values]
    if decode is not None:
        values = list(map(decode, values))
        types = set(map(type, values))
    if types <= {datetime.datetime, _NONE}:
        present = [v for v in values if v is not None] if _NONE in types \
            else values
        if set(map(_TZINFO, present)) == {None}:
            # Naive datetimes, as PostgreSQL and MariaDB give them.
            texts = list(map(datetime.datetime.isoformat, present))
            if set(map(len, texts)) != {26}:
                # isoformat() leaves out a zero microsecond.
                texts = [t if len(t) == 26 else t + '.000000'
                         for t in texts]
            if len(present) == len(values):
                return _PLAIN_STRINGS, texts
            texts = iter(texts)
            return _TEXTS, ['null' if v is None else '"%s"' % next(texts)
                            for v in values]
    return _TEXTS, value_texts([None if v is None else format_datetime(v)
                                for v in values])


class PageRenderer(object):
    """Renders list bodies of a view from `delfin.db.api.RawPage` pages.

    ``render(page, total)`` is the text of ``wsgi.dumps(collection(plural,
    [Projection(keys, datetime_keys)(row) for row in rows], total))`` for
    the rows the page's values are from; a key that is not one of the
    page's columns is null, as in a projection.

    A page is rendered column by column: each column's values are checked
    (and escaped when needed) at once; the rows' texts are then one join
    of the columns' strings interleaved with the text between them (the
    keys, separators and quotes).
    """

    def __init__(self, plural, keys, datetime_keys):
        self.keys = tuple(keys)
        self.datetime_keys = frozenset(datetime_keys)
        self.head = '{%s: [' % _quote(plural)
        self._names = ['%s%s: ' % (', ' if i else '{', _quote(k))
                       for i, k in enumerate(self.keys)]

    def columns(self, available):
        """The view's keys among the column names ``available``."""
        return tuple(k for k in self.keys if k in available)

    def _items(self, page):
        count = len(page.rows)
        found = dict(zip(page.columns, zip(zip(*page.rows), page.decoders)))
        parts = []
        between = ''
        for key, name in zip(self.keys, self._names):
            between += name
            text = is_text_key(key)
            if key not in found:
                between += '""' if text else 'null'
                continue
            values, decode = found[key]
            if text:
                if decode is not None:
                    values, decode = list(map(decode, values)), None
                if None in values:
                    values = ['' if v is None else v for v in values]
            if key in self.datetime_keys:
                how, texts = _datetime_column(values, decode)
            else:
                how, texts = _column(values, decode)
            if how is _NULLS:
                between += 'null'
                continue
            quote = '"' if how is _PLAIN_STRINGS else ''
            parts.append([between + quote] * count)
            parts.append(texts)
            between = quote
        parts.append([between + '}, '] * count)
        # Row after row, the parts' strings: each part fills every
        # len(parts)-th place of one list, and one join makes the text.
        width = len(parts)
        strings = [None] * (width * count)
        for i, part in enumerate(parts):
            strings[i::width] = part
        return ''.join(strings)[:-2]

    def render(self, page, total=None):
        items = self._items(page) if page.rows else ''
        tail = ']}' if total is None else '], "total": %s}' % (
            wsgi.dumps(total))
        return wsgi.JSONText(self.head + items + tail)


def kind_keys(kind):
    """The keys of an inventory kind's view, from the registry."""
    keys = ['id']
    if kind.name != 'storage':
        keys.append('storage_id')
    keys += [f.name for f in kind.fields]
    if 'description' not in keys and kind.name != 'storage':
        # Clients use every item's description as a string (see
        # `is_text_key`): a kind without one shows "".
        keys.append('description')
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
