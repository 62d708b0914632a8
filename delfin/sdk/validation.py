"""The rules a driver's results must follow, as checks that name the
offending value.

Every rule is derived from data the core already holds: field types,
enums, required keys, units, identities and references come from the
resource registry (`delfin.resources.registry`); alert enums, metric names
and metric units come from `delfin.common.constants`.  A check never stops
at the first problem: it returns a list of `Violation`, each with a path
such as ``list_volumes[3].status`` so a driver author can find the value.

Violations have a severity.  ``error`` breaks the contract (the service
would store wrong data, fail a write or drop the object) and makes the
conformance check fail; ``warning`` is suspicious but harmless to the
service (for example a reference that cannot be verified because the
referenced kind is not supported).
"""
import dataclasses
import math
import time

import jsonschema

from delfin.common import constants
from delfin.resources import registry

ERROR = 'error'
WARNING = 'warning'

# Violation codes, one per class of problem; reports group by them.
TYPE = 'type'
ENUM = 'enum'
REQUIRED = 'required'
UNKNOWN_KEY = 'unknown-key'
LENGTH = 'length'
UNIT = 'unit'
DUPLICATE = 'duplicate'
REFERENCE = 'reference'
MASKING_VIEW = 'masking-view'
STORAGE_ID = 'storage-id'
SHAPE = 'shape'
ALERT = 'alert'
CAPABILITIES = 'capabilities'
METRIC = 'metric'
EXCEPTION = 'exception'
DECLARATION = 'declaration'

_INT_RANGES = {
    registry.INTEGER: (-2 ** 31, 2 ** 31 - 1),
    registry.BIGINT: (-2 ** 63, 2 ** 63 - 1),
}

# Earliest plausible event time (2000-01-01T00:00:00Z) in ms; anything
# before it is almost always a time in seconds, or zero.
MIN_PLAUSIBLE_MS = 946684800000
# Clocks of backends drift; an event up to a day ahead is tolerated.
FUTURE_TOLERANCE_MS = 24 * 3600 * 1000


@dataclasses.dataclass
class Violation:
    """One broken rule, located by a path into the returned data."""
    path: str
    code: str
    message: str
    severity: str = ERROR

    def as_dict(self):
        return dataclasses.asdict(self)


def errors(violations):
    return [v for v in violations if v.severity == ERROR]


def _type_name(value):
    return type(value).__name__


def _is_int(value):
    # bool is an int subclass, but True is never a valid capacity.
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(field, value, path):
    """Check one value against a registry `Field` (type, length, enum,
    unit sanity).  None is checked by the caller."""
    found = []
    kind = field.type
    if kind in (registry.STRING, registry.TEXT):
        if not isinstance(value, str):
            return [Violation(path, TYPE, "expected a string, got %s %r"
                              % (_type_name(value), value))]
        if kind == registry.STRING and len(value) > field.length:
            found.append(Violation(
                path, LENGTH, "string of %d characters exceeds the column "
                "length %d" % (len(value), field.length)))
    elif kind in _INT_RANGES:
        if not _is_int(value):
            return [Violation(path, TYPE, "expected an integer, got %s %r"
                              % (_type_name(value), value))]
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            found.append(Violation(path, TYPE, "%d does not fit a %s column"
                                   % (value, kind)))
        if field.unit and value < 0:
            found.append(Violation(path, UNIT, "negative %s (%s): %d"
                                   % (field.name, field.unit, value)))
    elif kind == registry.BOOLEAN:
        if not isinstance(value, bool):
            return [Violation(path, TYPE, "expected a boolean, got %s %r"
                              % (_type_name(value), value))]
    if field.enum is not None and value not in field.enum:
        found.append(Violation(path, ENUM, "%r is not one of %s"
                               % (value, ', '.join(map(str, field.enum)))))
    return found


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def check_resource(kind, item, path, storage_id=None):
    """Check one dict returned for resource `kind` (a registry Kind)."""
    if not isinstance(item, dict):
        return [Violation(path, SHAPE, "expected a dict of kind %s, got %s"
                          % (kind.name, _type_name(item)))]
    found = []
    names = set(kind.field_names)
    for key in item:
        if key in names:
            continue
        if key == 'storage_id' and kind is not registry.STORAGE:
            continue
        found.append(Violation(
            '%s.%s' % (path, key), UNKNOWN_KEY,
            "%r is not a field of %s (the service cannot store it)"
            % (key, kind.name)))
    for field in kind.fields:
        fpath = '%s.%s' % (path, field.name)
        value = item.get(field.name)
        if field.required and _is_blank(value):
            found.append(Violation(fpath, REQUIRED, "%s is required"
                                   % field.name))
            continue
        if value is None:
            continue
        found.extend(check_value(field, value, fpath))
    if kind is not registry.STORAGE and storage_id is not None:
        if 'storage_id' not in item:
            found.append(Violation(
                '%s.storage_id' % path, STORAGE_ID,
                "storage_id is missing (drivers written for Delfin must set "
                "it to self.storage_id)", WARNING))
        elif item['storage_id'] != storage_id:
            found.append(Violation(
                '%s.storage_id' % path, STORAGE_ID,
                "storage_id is %r, not the id of the storage served (%r)"
                % (item['storage_id'], storage_id)))
    found.extend(_check_capacities(kind, item, path))
    return found


def _check_capacities(kind, item, path):
    found = []
    total = item.get('total_capacity')
    if not _is_int(total) or 'total_capacity' not in kind.field_names:
        return found
    for part in ('used_capacity', 'free_capacity'):
        value = item.get(part)
        if part in kind.field_names and _is_int(value) and value > total:
            found.append(Violation(
                '%s.%s' % (path, part), UNIT,
                "%s %d exceeds total_capacity %d" % (part, value, total)))
    return found


def identity_of(kind, item):
    return tuple(item.get(name) for name in kind.identity)


def check_resources(kind, items, path, storage_id=None):
    """Check every dict of a kind, then that identities are unique."""
    found = []
    seen = {}
    for index, item in enumerate(items):
        ipath = '%s[%d]' % (path, index)
        found.extend(check_resource(kind, item, ipath, storage_id))
        if not isinstance(item, dict) or not kind.identity:
            continue
        key = identity_of(kind, item)
        if any(_is_blank(part) for part in key):
            continue
        if key in seen:
            found.append(Violation(
                ipath, DUPLICATE, "%s %s is also returned at %s"
                % (kind.name, _format_identity(kind, key), seen[key])))
        else:
            seen[key] = ipath
    return found


def _format_identity(kind, key):
    return ', '.join('%s=%r' % pair for pair in zip(kind.identity, key))


def check_references(results, paths):
    """Check that references between kinds resolve, and the masking view
    rule.

    :param results: ``{kind_name: list of dicts}`` for every kind that was
        listed successfully; a kind missing here was not supported or
        failed, and references to it are reported as unverifiable.
    :param paths: ``{kind_name: path prefix}`` used in violations.
    """
    found = []
    native_ids = {}
    for name, items in results.items():
        kind = registry.by_name(name)
        if kind.native_id:
            native_ids[name] = {item.get(kind.native_id) for item in items
                                if isinstance(item, dict)}
    unverifiable = set()
    for name, items in results.items():
        kind = registry.by_name(name)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            ipath = '%s[%d]' % (paths[name], index)
            for field, target in kind.references:
                value = item.get(field)
                if _is_blank(value):
                    continue
                if target not in native_ids:
                    unverifiable.add((name, field, target))
                    continue
                if value not in native_ids[target]:
                    found.append(Violation(
                        '%s.%s' % (ipath, field), REFERENCE,
                        "%r names no %s returned by %s" % (
                            value, target,
                            registry.by_name(target).driver_method)))
            if name == 'masking_view':
                found.extend(_check_masking_view(item, ipath))
    for name, field, target in sorted(unverifiable):
        found.append(Violation(
            '%s[*].%s' % (paths[name], field), REFERENCE,
            "references %s, which was not listed (unsupported or failed): "
            "not verified" % target, WARNING))
    return found


_MASKING_SIDES = (
    ('host', ('native_storage_host_group_id', 'native_storage_host_id')),
    ('volume', ('native_volume_group_id', 'native_volume_id')),
)


def _check_masking_view(item, path):
    found = []
    for side, fields in _MASKING_SIDES:
        present = [f for f in fields if not _is_blank(item.get(f))]
        if len(present) != 1:
            found.append(Violation(
                path, MASKING_VIEW,
                "a masking view names exactly one of %s; found %s"
                % (' / '.join(fields), ', '.join(present) or 'none')))
    return found


# -- alerts ---------------------------------------------------------------

_ID = 'id'  # str or int: drivers use both for alert ids and sequences


@dataclasses.dataclass(frozen=True)
class AlertField:
    name: str
    type: str = registry.STRING
    required: bool = False
    enum: tuple = None


ALERT_FIELDS = (
    AlertField('alert_id', _ID, required=True),
    AlertField('alert_name', required=True),
    AlertField('severity', required=True, enum=constants.Severity.ALL),
    AlertField('category', required=True, enum=constants.Category.ALL),
    AlertField('type', required=True, enum=constants.EventType.ALL),
    AlertField('sequence_number', _ID, required=True),
    AlertField('occur_time', registry.BIGINT, required=True),
    AlertField('description', registry.TEXT),
    AlertField('recovery_advice', registry.TEXT),
    AlertField('resource_type'),
    AlertField('location', registry.TEXT),
    AlertField('match_key'),
    AlertField('clear_category', enum=constants.ClearType.ALL),
    # A driver of a central manager names the array an alert belongs to.
    AlertField('serial_number'),
    AlertField('storage_name'),
    # Filled by the core; harmless when a driver sets them.
    AlertField('storage_id'),
    AlertField('vendor'),
    AlertField('model'),
)
_ALERT_FIELD_NAMES = {f.name for f in ALERT_FIELDS}


def check_alert(alert, path, now_ms=None, query=None):
    """Check one alert dict from `parse_alert` or `list_alerts`.

    :param query: the ``query_para`` given to ``list_alerts``; alerts out
        of its time window are violations (filtering is the driver's job).
    """
    if not isinstance(alert, dict):
        return [Violation(path, SHAPE, "expected an alert dict, got %s"
                          % _type_name(alert))]
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    found = []
    for key in alert:
        if key not in _ALERT_FIELD_NAMES:
            found.append(Violation(
                '%s.%s' % (path, key), UNKNOWN_KEY,
                "%r is not a field of the alert model (ignored by the "
                "service)" % key, WARNING))
    for field in ALERT_FIELDS:
        fpath = '%s.%s' % (path, field.name)
        value = alert.get(field.name)
        if _is_blank(value):
            if field.required:
                found.append(Violation(fpath, REQUIRED, "%s is required"
                                       % field.name))
            continue
        found.extend(_check_alert_value(field, value, fpath))
    occur = alert.get('occur_time')
    if _is_int(occur):
        found.extend(_check_occur_time(occur, '%s.occur_time' % path,
                                       now_ms, query))
    return found


def _check_alert_value(field, value, path):
    if field.type == _ID:
        if not (isinstance(value, str) or _is_int(value)):
            return [Violation(path, TYPE, "expected a string or an integer, "
                              "got %s %r" % (_type_name(value), value))]
        return []
    if field.type == registry.BIGINT:
        if not _is_int(value):
            return [Violation(path, TYPE, "expected an integer, got %s %r"
                              % (_type_name(value), value))]
        return []
    if not isinstance(value, str):
        return [Violation(path, TYPE, "expected a string, got %s %r"
                          % (_type_name(value), value))]
    if field.enum is not None and value not in field.enum:
        return [Violation(path, ENUM, "%r is not one of %s"
                          % (value, ', '.join(field.enum)))]
    return []


def _check_occur_time(occur, path, now_ms, query):
    if occur < MIN_PLAUSIBLE_MS:
        hint = (' (this looks like seconds; multiply by 1000)'
                if occur > MIN_PLAUSIBLE_MS // 1000 else '')
        return [Violation(path, ALERT, "occur_time %d is before the year "
                          "2000: not milliseconds since the epoch%s"
                          % (occur, hint))]
    if occur > now_ms + FUTURE_TOLERANCE_MS:
        return [Violation(path, ALERT, "occur_time %d is more than a day in "
                          "the future" % occur)]
    if query:
        begin, end = query.get('begin_time'), query.get('end_time')
        if (begin is not None and occur < begin) or \
                (end is not None and occur > end):
            return [Violation(path, ALERT, "occur_time %d is outside the "
                              "queried window [%s, %s]: list_alerts must "
                              "filter by query_para" % (occur, begin, end))]
    return []


# -- capabilities ---------------------------------------------------------

def check_capabilities(caps, path='get_capabilities'):
    """Check a capabilities dict against the schema the service applies
    (`delfin.drivers.capabilities.capabilities_schema`): keys, types,
    resource types, metric names and units.  Every error is reported, not
    only the first.
    """
    if caps is None:
        return []
    from delfin.drivers import capabilities
    validator = jsonschema.Draft7Validator(
        capabilities.capabilities_schema())
    found = []
    for err in sorted(validator.iter_errors(caps),
                      key=lambda e: [str(p) for p in e.absolute_path]):
        where = ''.join('.%s' % p for p in err.absolute_path)
        found.append(Violation(path + where, CAPABILITIES, err.message))
    return found


def check_declared_metrics(metrics, path):
    """Check a ``PERFORMANCE_METRICS`` style dict (resource type ->
    metric -> unit/description) against the service's schema."""
    from delfin.drivers import capabilities
    validator = jsonschema.Draft7Validator(
        capabilities.resource_metrics_schema())
    return [Violation(path + ''.join('.%s' % p for p in err.absolute_path),
                      CAPABILITIES, err.message)
            for err in validator.iter_errors(metrics)]


# -- performance metrics ------------------------------------------------

_REQUIRED_LABELS = ('storage_id', 'resource_type', 'resource_id')


def check_metrics(metrics, resource_metrics, storage_id, start_ms, end_ms,
                  path='collect_perf_metrics', inventory=None):
    """Check the result of ``collect_perf_metrics``.

    :param resource_metrics: what was asked for (capabilities'
        ``resource_metrics``): names and units must match it.
    :param inventory: optional ``{resource_type: set of native ids}``;
        samples of unknown resources are reported as warnings.
    """
    if metrics is None:
        return []
    if isinstance(metrics, (dict, str, bytes)) or \
            not hasattr(metrics, '__iter__'):
        return [Violation(path, SHAPE, "expected a list of "
                          "constants.metric_struct, got %s"
                          % _type_name(metrics))]
    found = []
    for index, metric in enumerate(metrics):
        found.extend(_check_metric(metric, '%s[%d]' % (path, index),
                                   resource_metrics, storage_id, start_ms,
                                   end_ms, inventory))
    return found


def _check_metric(metric, path, resource_metrics, storage_id, start_ms,
                  end_ms, inventory):
    if not all(hasattr(metric, a) for a in ('name', 'labels', 'values')):
        return [Violation(path, METRIC, "expected constants.metric_struct("
                          "name, labels, values), got %s"
                          % _type_name(metric))]
    found = []
    name, labels, values = metric.name, metric.labels, metric.values
    if not isinstance(labels, dict):
        return [Violation('%s.labels' % path, METRIC, "labels must be a "
                          "dict, got %s" % _type_name(labels))]
    for label in _REQUIRED_LABELS:
        if _is_blank(labels.get(label)):
            found.append(Violation('%s.labels.%s' % (path, label), METRIC,
                                   "label %s is required" % label))
    if labels.get('storage_id') not in (None, storage_id):
        found.append(Violation('%s.labels.storage_id' % path, METRIC,
                               "storage_id label %r is not the storage "
                               "served (%r)" % (labels['storage_id'],
                                                storage_id)))
    rtype = labels.get('resource_type')
    asked = (resource_metrics or {}).get(rtype)
    if rtype is not None and asked is None:
        found.append(Violation('%s.labels.resource_type' % path, METRIC,
                               "resource type %r was not asked for" % rtype))
    elif asked is not None and name not in asked:
        found.append(Violation('%s.name' % path, METRIC, "metric %r was not "
                               "asked for %s" % (name, rtype)))
    unit = labels.get('unit')
    expected_unit = constants.METRIC_UNITS.get(name)
    if expected_unit is None:
        found.append(Violation('%s.name' % path, METRIC,
                               "unknown metric name %r" % (name,)))
    elif unit is None:
        found.append(Violation('%s.labels.unit' % path, METRIC,
                               "label unit is missing (expected %r)"
                               % expected_unit, WARNING))
    elif unit != expected_unit:
        found.append(Violation('%s.labels.unit' % path, METRIC,
                               "unit %r of %s does not match the declared "
                               "unit %r" % (unit, name, expected_unit)))
    if inventory is not None and rtype in inventory and \
            labels.get('resource_id') not in inventory[rtype]:
        found.append(Violation(
            '%s.labels.resource_id' % path, METRIC,
            "%r is not the native id of any listed %s"
            % (labels.get('resource_id'), rtype), WARNING))
    found.extend(_check_samples(values, '%s.values' % path, start_ms,
                                end_ms, expected_unit))
    return found


def _check_samples(values, path, start_ms, end_ms, unit):
    if not isinstance(values, dict):
        return [Violation(path, METRIC, "values must be a dict "
                          "{timestamp_ms: number}, got %s"
                          % _type_name(values))]
    found = []
    for stamp, value in values.items():
        spath = '%s[%r]' % (path, stamp)
        if not _is_int(stamp):
            found.append(Violation(spath, METRIC, "timestamp %r is not an "
                                   "integer of milliseconds" % (stamp,)))
        elif not start_ms <= stamp <= end_ms:
            found.append(Violation(spath, METRIC, "timestamp %d is outside "
                                   "the window [%d, %d]"
                                   % (stamp, start_ms, end_ms)))
        if not isinstance(value, (int, float)) or isinstance(value, bool) \
                or not math.isfinite(value):
            found.append(Violation(spath, METRIC, "sample %r is not a finite "
                                   "number" % (value,)))
        elif value < 0:
            found.append(Violation(spath, METRIC, "negative sample %r"
                                   % (value,)))
        elif unit == constants.MetricUnit.PERCENTAGE and value > 100:
            found.append(Violation(spath, METRIC, "percentage %r above 100"
                                   % (value,)))
    return found
