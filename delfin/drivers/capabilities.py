"""Capabilities of a storage driver: the resource kinds and metrics it serves.

A driver either declares its capabilities with the class attributes
``SUPPORTED_RESOURCES`` and ``PERFORMANCE_METRICS`` (see
`delfin.drivers.driver`), or leaves them out, as every driver written for
Delfin does; then they are inferred:

* a resource kind is supported when the driver class overrides the kind's
  lister (the registry's ``driver_method``) instead of inheriting the base
  method that raises ``NotImplementedError``; a membership relation kind
  (``storage_host_grp_host_rel``, ...) follows its group kind;
* performance metrics are the ``resource_metrics`` of what the driver's
  ``get_capabilities`` returns.

What a driver declares is checked when it is loaded (`validate_driver_class`),
so an unknown kind, resource type, metric or unit fails loudly and early.

A lister that raises ``NotImplementedError`` at run time although the class
overrides it (some drivers serve a kind on some models only) is recorded on
that driver instance with `record_unsupported`; `supported_kinds` of the
instance then reports the kind as unsupported.

This module also holds the JSON schema of a driver's performance
capabilities, generated from ``constants.CAPABILITY_METRICS`` and
``constants.METRIC_UNITS``, and builds the body of
``GET /v1/storages/{id}/capabilities``::

    {"metadata": {"vendor": ..., "model": ...},
     "spec": {<the driver's performance capabilities>},
     "metrics": [{"resource_type", "name", "unit", "description"}, ...],
     "resources": {"volume": "supported", "qtree": "unsupported", ...}}

A driver without performance metrics has the spec ``{"is_historic":
false, "resource_metrics": {}}`` and no metrics: the body is the same
shape for every driver.
"""
import threading
import weakref

import jsonschema

from delfin import exception
from delfin.common import constants
from delfin.drivers import driver as base
from delfin.resources import registry

SUPPORTED = 'supported'
UNSUPPORTED = 'unsupported'

# Keys a driver may put in its performance capabilities besides
# resource_metrics, with their JSON schema.  collect_interval and
# failed_job_collect_interval are part of Delfin's driver contract although
# Delfin's own schema rejected them.
_SPEC_PROPERTIES = {
    'is_historic': {'type': 'boolean'},
    'performance_metric_retention_window': {'type': 'integer',
                                            'minimum': 0},
    'collect_interval': {'type': 'integer', 'minimum': 1},
    'failed_job_collect_interval': {'type': 'integer', 'minimum': 1},
}


def _metric_schema(name):
    return {
        'type': 'object',
        'properties': {
            'unit': {'type': 'string',
                     'enum': [constants.METRIC_UNITS[name]]},
            'description': {'type': 'string', 'minLength': 1,
                            'maxLength': 255},
        },
        'additionalProperties': False,
    }


def resource_metrics_schema():
    """JSON schema of ``{resource_type: {metric: {unit, description}}}``."""
    return {
        'type': 'object',
        'properties': {
            rtype: {
                'type': 'object',
                'properties': {m: _metric_schema(m) for m in metrics},
                'additionalProperties': False,
            }
            for rtype, metrics in constants.CAPABILITY_METRICS.items()
        },
        'additionalProperties': False,
    }


def capabilities_schema():
    """JSON schema of what a driver's ``get_capabilities`` returns."""
    props = dict(_SPEC_PROPERTIES)
    props['resource_metrics'] = resource_metrics_schema()
    return {
        '$schema': 'http://json-schema.org/draft-07/schema#',
        'type': 'object',
        'properties': props,
        'required': ['is_historic'],
        'additionalProperties': False,
    }


_VALIDATORS = {}


def _validator(which):
    if which not in _VALIDATORS:
        schema = (capabilities_schema() if which == 'spec'
                  else resource_metrics_schema())
        _VALIDATORS[which] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS[which]


def _first_error(validator, document):
    errors = sorted(validator.iter_errors(document),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    where = '/'.join(str(p) for p in err.absolute_path) or '<root>'
    return '%s: %s' % (where, err.message)


def validate_capabilities(spec):
    """Check a driver's performance capabilities against the schema.

    :returns: ``spec`` unchanged.
    :raises InvalidStorageCapability: naming the first offending key.
    """
    problem = _first_error(_validator('spec'), spec)
    if problem:
        raise exception.InvalidStorageCapability(problem)
    return spec


# -- resource kinds ---------------------------------------------------------

def _relation_groups():
    """Relation kind name -> its group kind."""
    return {k.relation.kind: k for k in registry.ALL_KINDS if k.relation}


_GROUP_OF = _relation_groups()
# Kinds a driver can name in SUPPORTED_RESOURCES.
DECLARABLE_KINDS = tuple(k.name for k in registry.inventory_kinds()
                         if k.name not in _GROUP_OF)


def _driver_class(driver_or_class):
    if isinstance(driver_or_class, type):
        return driver_or_class
    return type(driver_or_class)


def overrides(cls, method_name):
    """Whether ``cls`` defines ``method_name`` itself or via a subclass of
    StorageDriver, rather than inheriting the base implementation."""
    mine = getattr(cls, method_name, None)
    theirs = getattr(base.StorageDriver, method_name, None)
    return mine is not None and mine is not theirs


# Kinds found unsupported at run time, per driver instance.
_RUNTIME_UNSUPPORTED = weakref.WeakKeyDictionary()
_RUNTIME_LOCK = threading.Lock()


def record_unsupported(driver, kind_name):
    """Remember that ``driver`` raised NotImplementedError for a kind.

    A group and its relation kind are recorded together, as one lister
    serves both.

    :returns: True the first time for this instance and kind.
    """
    kind = registry.by_name(kind_name)
    group = _GROUP_OF.get(kind.name, kind)
    names = {group.name} | ({group.relation.kind} if group.relation
                            else set())
    with _RUNTIME_LOCK:
        try:
            known = _RUNTIME_UNSUPPORTED.setdefault(driver, set())
        except TypeError:
            # An instance that cannot be weakly referenced or hashed is not
            # tracked; the lister is simply asked again next time.
            return True
        first = kind.name not in known
        known.update(names)
        return first


def runtime_unsupported(driver):
    """Kind names ``driver`` was found not to support at run time."""
    if isinstance(driver, type):
        return frozenset()
    with _RUNTIME_LOCK:
        try:
            return frozenset(_RUNTIME_UNSUPPORTED.get(driver, ()))
        except TypeError:
            return frozenset()


def declared_kinds(driver_or_class):
    """The validated ``SUPPORTED_RESOURCES`` of a driver, or None."""
    cls = _driver_class(driver_or_class)
    declared = getattr(cls, 'SUPPORTED_RESOURCES', None)
    if declared is None:
        return None
    _check_declared_kinds(cls, declared)
    return frozenset(declared) - {'storage'}


def supported_kinds(driver_or_class):
    """Which inventory kinds a driver serves.

    :param driver_or_class: a driver instance or class.
    :returns: ``{kind_name: bool}`` for every inventory kind of the
        registry, in sync order.  Declared kinds when the class declares
        them, else inferred from the listers it overrides; relation kinds
        follow their group; for an instance, kinds recorded with
        `record_unsupported` are False.
    """
    cls = _driver_class(driver_or_class)
    declared = declared_kinds(cls)
    failed = runtime_unsupported(driver_or_class)
    result = {}
    for kind in registry.inventory_kinds():
        owner = _GROUP_OF.get(kind.name, kind)
        if declared is not None:
            ok = owner.name in declared
        else:
            ok = overrides(cls, kind.driver_method)
        result[kind.name] = ok and kind.name not in failed
    return result


def _check_declared_kinds(cls, declared):
    where = '%s.%s.SUPPORTED_RESOURCES' % (cls.__module__, cls.__qualname__)
    if isinstance(declared, (str, bytes)) or not hasattr(declared,
                                                         '__iter__'):
        raise exception.InvalidStorageCapability(
            '%s must be a collection of resource kind names, not %r'
            % (where, declared))
    for name in declared:
        if name == 'storage':
            continue
        if name in _GROUP_OF:
            raise exception.InvalidStorageCapability(
                "%s names relation kind '%s'; declare its group '%s' "
                "instead" % (where, name, _GROUP_OF[name].name))
        if name not in DECLARABLE_KINDS:
            raise exception.InvalidStorageCapability(
                "%s names unknown resource kind %r; known kinds: %s"
                % (where, name, ', '.join(DECLARABLE_KINDS)))
        method = registry.by_name(name).driver_method
        if not overrides(cls, method):
            raise exception.InvalidStorageCapability(
                "%s declares '%s' but the driver does not implement %s()"
                % (where, name, method))


# -- performance metrics ------------------------------------------------------

def declared_metrics(driver_or_class):
    """The validated ``PERFORMANCE_METRICS`` of a driver, or None."""
    cls = _driver_class(driver_or_class)
    declared = getattr(cls, 'PERFORMANCE_METRICS', None)
    if declared is None:
        return None
    problem = _first_error(_validator('metrics'), declared)
    if problem:
        raise exception.InvalidStorageCapability(
            '%s.%s.PERFORMANCE_METRICS: %s'
            % (cls.__module__, cls.__qualname__, problem))
    return declared


def validate_driver_class(cls, name=None):
    """Check a driver class; called when it is loaded.

    :param name: its entry point name (``"<vendor> <model>"``), for
        messages.
    :raises StorageDriverIncomplete: the class leaves abstract methods of
        the contract unimplemented (it could never be built); the message
        names them.
    :raises InvalidStorageCapability: not a StorageDriver, or an unknown
        kind, resource type, metric or unit, or a declared kind whose
        lister is not implemented.
    """
    if not (isinstance(cls, type) and issubclass(cls, base.StorageDriver)):
        raise exception.InvalidStorageCapability(
            '%r is not a subclass of delfin.drivers.driver.StorageDriver'
            % (cls,))
    missing = sorted(getattr(cls, '__abstractmethods__', ()) or ())
    if missing:
        raise exception.StorageDriverIncomplete(
            name or cls.__qualname__,
            '%s.%s' % (cls.__module__, cls.__qualname__),
            ', '.join(missing))
    declared_kinds(cls)
    declared_metrics(cls)
    return cls


def performance_spec(driver, context, filters=None):
    """The driver's performance capabilities, validated.

    ``get_capabilities`` wins when it returns something; otherwise a
    declared ``PERFORMANCE_METRICS`` gives ``{'is_historic': False,
    'resource_metrics': ...}``.

    :returns: the capabilities dict, or ``{}`` when the driver has none.
    :raises InvalidStorageCapability: the driver returned an invalid dict.
    """
    spec = driver.get_capabilities(context, filters)
    if not spec:
        metrics = declared_metrics(driver)
        if not metrics:
            return {}
        spec = {'is_historic': False, 'resource_metrics': metrics}
    return validate_capabilities(spec)


def supported_metrics(driver, context=None):
    """``{resource_type: {metric: {unit, description}}}`` of a driver."""
    declared = declared_metrics(driver)
    if declared is not None:
        return declared
    spec = performance_spec(driver, context)
    return spec.get('resource_metrics') or {}


def metric_list(spec):
    """The metrics of performance capabilities as a flat, sorted list of
    ``{resource_type, name, unit, description}`` (empty when none)."""
    found = []
    for rtype, metrics in sorted(((spec or {}).get('resource_metrics')
                                  or {}).items()):
        for name, info in sorted((metrics or {}).items()):
            info = info or {}
            found.append({'resource_type': rtype, 'name': name,
                          'unit': info.get('unit'),
                          'description': info.get('description')})
    return found


def view(storage, driver, spec):
    """The body of ``GET /v1/storages/{id}/capabilities``.

    Every driver has one: a driver without performance metrics gets the
    spec ``{'is_historic': False, 'resource_metrics': {}}`` and an empty
    ``metrics`` list, and still lists the resource kinds it fills.

    :param storage: the storage row (``vendor`` and ``model``).
    :param driver: the storage's driver instance.
    :param spec: its performance capabilities (`performance_spec`).
    """
    if not spec:
        spec = {'is_historic': False, 'resource_metrics': {}}
    return {
        'metadata': {'vendor': storage.get('vendor'),
                     'model': storage.get('model')},
        'spec': spec,
        'metrics': metric_list(spec),
        'resources': {name: SUPPORTED if ok else UNSUPPORTED
                      for name, ok in supported_kinds(driver).items()},
    }
