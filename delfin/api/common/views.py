"""Views: what the API shows of a stored row.

A view is a whitelist: only the named keys leave the service, so a column
added to a table (or a secret kept beside a row) never leaks by accident.
Datetimes are rendered in Delfin's format, naive UTC
``%Y-%m-%dT%H:%M:%S.%f``.
"""
import datetime

from delfin.api.common import wsgi

# Keys whose values are secrets; a view must never show them.
SECRET_KEYS = frozenset(('password', 'community_string', 'auth_key',
                         'privacy_key', 'secret', 'token', 'passwd'))


def format_datetime(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        return value.strftime(wsgi.DATETIME_FORMAT)
    return value


def is_secret(key):
    lowered = str(key).lower()
    return lowered in SECRET_KEYS or 'password' in lowered


def project(row, keys):
    """The view of ``row`` limited to ``keys`` (missing keys are null)."""
    return {k: format_datetime(row.get(k)) for k in keys}


def kind_keys(kind):
    """The keys of an inventory kind's view, from the registry."""
    keys = ['id']
    if kind.name != 'storage':
        keys.append('storage_id')
    keys += [f.name for f in kind.fields]
    keys += ['created_at', 'updated_at']
    return tuple(keys)


def collection(plural, items, total=None):
    """A list body: ``{plural: items}`` with ``total`` beside it."""
    body = {plural: list(items)}
    if total is not None:
        body['total'] = total
    return body
