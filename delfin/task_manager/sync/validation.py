"""Checking a driver's items against the resource registry: each item of a
kind becomes a tuple of column values, or the reason it cannot be stored.

A value is read as its field's type where it can be (``'2048'`` for an
integer, ``1`` for a boolean, a number for a string).  A value outside the
field's enumeration (a vendor's own port type, say) is kept as given and
named, so that the sync stores it and counts it; a required field that is
missing, a value that cannot be read as its type or does not fit its
column make the item unstorable (`InvalidItem`).
"""
import datetime
import json

from delfin.resources import registry
from delfin.task_manager.sync.errors import InvalidItem

_INT_RANGE = {registry.INTEGER: (-2 ** 31, 2 ** 31 - 1),
              registry.BIGINT: (-2 ** 63, 2 ** 63 - 1)}
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


def _to_int(value, field):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise ValueError('not a number')
        result = int(round(value))
    elif isinstance(value, str):
        text = value.strip()
        try:
            result = int(text)
        except ValueError:
            result = int(round(float(text)))
    else:
        raise ValueError('expected an integer, got %s' % type(value).__name__)
    low, high = _INT_RANGE[field.type]
    if not low <= result <= high:
        raise ValueError('%d is out of range' % result)
    return result


def _to_bool(value, field):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError('expected a boolean, got %r' % (value,))


def _to_str(value, field):
    if isinstance(value, str):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = str(value)
    else:
        raise ValueError('expected a string, got %s' % type(value).__name__)
    if field.type == registry.STRING and len(result) > field.length:
        raise ValueError('longer than %d characters' % field.length)
    return result


def _to_datetime(value, field):
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # Seconds, or milliseconds (Delfin's drivers use both).
        seconds = value / 1000.0 if value > 1e11 else value
        dt = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    elif isinstance(value, str):
        dt = datetime.datetime.fromisoformat(value.strip().replace('Z',
                                                                   '+00:00'))
    else:
        raise ValueError('expected a date and time, got %s'
                         % type(value).__name__)
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt


def _to_json(value, field):
    # Stored values must survive a round trip unchanged, or every sync
    # would see them as changed.
    return json.loads(json.dumps(value))


_CONVERT = {registry.STRING: _to_str, registry.TEXT: _to_str,
            registry.INTEGER: _to_int, registry.BIGINT: _to_int,
            registry.BOOLEAN: _to_bool, registry.DATETIME: _to_datetime,
            registry.JSON: _to_json}
# Python types that need no conversion (checked by `type(v) is t`).
_EXACT = {registry.STRING: str, registry.TEXT: str, registry.INTEGER: int,
          registry.BIGINT: int, registry.BOOLEAN: bool}


class Validator(object):
    """Turns a driver's item of one kind into a tuple of column values in
    ``kind.field_names`` order, or raises `InvalidItem`.

    Most items are already exactly what the columns hold (a str within the
    column's length, a member of the field's enumeration, an int in range,
    a bool); a fast check generated for the kind (``fast``) accepts those
    at the cost of a few comparisons per field and returns None for
    anything else.  The general path (`check`) converts what can be read as
    the field's type, keeps a value outside the field's enumeration as
    given (and names it), and explains what cannot be stored.  At hundreds
    of thousands of items per sync the difference is most of the sync's
    CPU time.
    """

    def __init__(self, kind):
        self.kind = kind
        self.names = kind.field_names
        self._id_fields = kind.identity or (
            (kind.native_id,) if kind.native_id else ('serial_number',))
        self._fields = []
        for f in kind.fields:
            exact = _EXACT.get(f.type)
            length = f.length if f.type == registry.STRING else None
            enum = frozenset(f.enum) if f.enum else None
            self._fields.append((f.name, exact, length, enum, f.required,
                                 _CONVERT[f.type], f))
        by_name = {f[0]: f for f in self._fields}
        self._identity = [by_name[name] for name in self._id_fields]
        self.fast = self._compile()

    def _compile(self):
        lines = ['def fast(item):', '    get = item.get']
        scope = {'datetime': datetime.datetime}
        for i, (name, exact, length, enum, required, _convert, f) in \
                enumerate(self._fields):
            v = 'v%d' % i
            lines.append('    %s = get(%r)' % (v, name))
            if f.type in (registry.STRING, registry.TEXT):
                bad = '%s.__class__ is not str' % v
                if enum is not None:
                    scope['E%d' % i] = enum
                    bad += ' or %s not in E%d' % (v, i)
                elif length is not None:
                    bad += ' or len(%s) > %d' % (v, length)
                if required:
                    bad += ' or not %s' % v
            elif f.type in _INT_RANGE:
                low, high = _INT_RANGE[f.type]
                bad = ('%s.__class__ is not int or %s < %d or %s > %d'
                       % (v, v, low, v, high))
            elif f.type == registry.BOOLEAN:
                bad = '%s.__class__ is not bool' % v
            elif f.type == registry.DATETIME:
                bad = ('%s.__class__ is not datetime or %s.tzinfo is not '
                       'None' % (v, v))
            else:
                bad = 'True'
            if not required:
                bad = '%s is not None and (%s)' % (v, bad)
            lines.append('    if %s:' % bad)
            lines.append('        return None')
        lines.append('    return (%s,)' % ', '.join(
            'v%d' % i for i in range(len(self._fields))))
        exec(compile('\n'.join(lines), '<validator %s>' % self.kind.name,
                     'exec'), scope)
        return scope['fast']

    def identity(self, item):
        """The identity of an item as the sync keys its row (a str, or a
        tuple of them for a membership kind), read as `check` reads it;
        None when it cannot be read."""
        if not isinstance(item, dict):
            return None
        key = []
        for name, _exact, _length, _enum, _required, convert, field in \
                self._identity:
            value = item.get(name)
            if value is None or value == '':
                return None
            try:
                key.append(convert(value, field))
            except (ValueError, TypeError, OverflowError):
                return None
        return key[0] if len(key) == 1 else tuple(key)

    def _error(self, item, message, field=None, value=None):
        return InvalidItem(self.kind.name, self.identity(item), message,
                           field, value)

    def __call__(self, item):
        """The column values of ``item``; raises `InvalidItem`."""
        try:
            values = self.fast(item)
        except AttributeError:
            values = None   # not a dict
        if values is not None:
            return values
        return self.check(item)[0]

    def check(self, item):
        """The general path: ``(values, unknown)``, where ``unknown`` lists
        the ``(field, value)`` pairs outside their field's enumeration,
        stored as given (None when there are none).

        :raises InvalidItem: the item cannot be stored.
        """
        if not isinstance(item, dict):
            raise self._error(item, 'expected a dict, got %s'
                              % type(item).__name__, value=item)
        get = item.get
        out = []
        append = out.append
        unknown = None
        for name, exact, length, enum, required, convert, field in \
                self._fields:
            value = get(name)
            if value is None or (required and value == ''):
                if required:
                    raise self._error(item, "'%s' is required" % name,
                                      name, value)
                append(None)
                continue
            if type(value) is not exact or exact is int or (
                    length is not None and len(value) > length):
                try:
                    value = convert(value, field)
                except (ValueError, TypeError, OverflowError) as e:
                    raise self._error(item, "'%s': %s" % (name, e), name,
                                      value)
            if enum is not None and value not in enum:
                if unknown is None:
                    unknown = []
                unknown.append((name, value))
            append(value)
        return tuple(out), unknown


_VALIDATORS = {}


def validator(kind):
    """The (cached) `Validator` of ``kind``."""
    v = _VALIDATORS.get(kind.name)
    if v is None:
        v = _VALIDATORS[kind.name] = Validator(kind)
    return v
