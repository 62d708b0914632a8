"""Views: what the API shows of a stored row.

A view is a whitelist: only the named keys leave the service, so a column
added to a table (or a secret kept beside a row) never leaks by accident.
Datetimes are rendered in Delfin's format, naive UTC
``%Y-%m-%dT%H:%M:%S.%f`` (`delfin.api.common.wsgi.DATETIME_FORMAT`).
"""
import datetime

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


def kind_keys(kind):
    """The keys of an inventory kind's view, from the registry."""
    keys = ['id']
    if kind.name != 'storage':
        keys.append('storage_id')
    keys += [f.name for f in kind.fields]
    keys += ['created_at', 'updated_at']
    return tuple(keys)


def kind_projection(kind, columns=None):
    """The `Projection` of an inventory kind's rows; ``columns`` are those
    of its table, when the rows come straight from it."""
    dates = ['created_at', 'updated_at'] + [
        f.name for f in kind.fields if f.type == registry.DATETIME]
    return Projection(kind_keys(kind), dates, columns)


def collection(plural, items, total=None):
    """A list body: ``{plural: items}`` with ``total`` beside it."""
    body = {plural: list(items)}
    if total is not None:
        body['total'] = total
    return body
