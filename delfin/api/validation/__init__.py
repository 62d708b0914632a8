"""Validation of request documents against JSON schemas.

Schemas follow JSON-schema Draft 4, as in Delfin, including Delfin's one
extension: ``minimum`` and ``maximum`` also bound numeric strings (so a
schema may accept ``"8080"`` as well as ``8080`` and still bound it).  The
first violation becomes Delfin's 400 ``InvalidInput``: "Invalid input for
field/attribute <name>. <reason>" when it concerns a named field, otherwise
the bare reason.  Values of secret fields are never repeated in a message.
"""
import functools

import jsonschema
from jsonschema import validators

from delfin import exception
from delfin.api.common import views

_REDACTED = '***'


def _redact(value):
    if isinstance(value, dict):
        return {k: _REDACTED if views.is_secret(k) else _redact(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _alternatives(error):
    """The reason of an ``anyOf``/``oneOf`` failure in words."""
    context = list(error.context or ())
    if context and all(e.validator == 'required' for e in context):
        names = []
        for e in context:
            names += [n for n in e.validator_value if n not in names]
        return 'At least one of %s is required' % ', '.join(names)
    if context:
        return _message(jsonschema.exceptions.best_match(context))
    return 'the value matches none of the accepted forms'


def _message(error):
    if error.validator in ('anyOf', 'oneOf'):
        return _alternatives(error)
    text = error.message
    path = [p for p in error.path]
    names = [p for p in path if isinstance(p, str)]
    if any(views.is_secret(p) for p in names):
        # The reason may quote the secret itself: describe, don't quote.
        text = text.replace(repr(error.instance), _REDACTED)
    elif isinstance(error.instance, (dict, list)):
        text = text.replace(repr(error.instance),
                            repr(_redact(error.instance)))
    if path:
        return 'Invalid input for field/attribute %s. %s' % (path[-1], text)
    return text


def _number(instance):
    if isinstance(instance, bool):
        return None
    if isinstance(instance, (int, float)):
        return instance
    if isinstance(instance, str):
        try:
            return int(instance)
        except ValueError:
            try:
                return float(instance)
            except ValueError:
                return None
    return None


def _minimum(validator, minimum, instance, schema):
    value = _number(instance)
    if value is None:
        return
    if schema.get('exclusiveMinimum', False):
        if value <= minimum:
            yield jsonschema.ValidationError(
                '%r is less than or equal to the minimum of %r'
                % (instance, minimum))
    elif value < minimum:
        yield jsonschema.ValidationError(
            '%r is less than the minimum of %r' % (instance, minimum))


def _maximum(validator, maximum, instance, schema):
    value = _number(instance)
    if value is None:
        return
    if schema.get('exclusiveMaximum', False):
        if value >= maximum:
            yield jsonschema.ValidationError(
                '%r is greater than or equal to the maximum of %r'
                % (instance, maximum))
    elif value > maximum:
        yield jsonschema.ValidationError(
            '%r is greater than the maximum of %r' % (instance, maximum))


_Draft4 = validators.extend(jsonschema.Draft4Validator,
                            {'minimum': _minimum, 'maximum': _maximum})


class Validator(object):
    """A compiled schema."""

    def __init__(self, schema):
        jsonschema.Draft4Validator.check_schema(schema)
        self._validator = _Draft4(
            schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)

    def validate(self, document):
        for error in self._validator.iter_errors(document):
            raise exception.InvalidInput(_message(error))
        return document


def validate(schema, document):
    """Check ``document`` against ``schema``; raises `InvalidInput`."""
    return Validator(schema).validate(document)


def schema(request_schema):
    """Validate an action's ``body`` before the action runs."""
    validator = Validator(request_schema)

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(self, req, *args, body, **kwargs):
            validator.validate(body)
            return fn(self, req, *args, body=body, **kwargs)
        # What the API's description shows (delfin.api.openapi).
        wrapper.request_schema = request_schema
        return wrapper
    return decorate
