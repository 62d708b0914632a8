"""The API's OpenAPI 3.1 description, generated from what serves it.

`document(routes)` walks a route table (the one the router serves) and
describes each route from its controller action:

* path parameters from the route's path;
* the request document from the JSON schema the action validates against
  (`delfin.api.validation.schema`), required when the action requires one;
* the success status from `delfin.api.common.wsgi.response`;
* query parameters and the answer's schema from the action's description:
  a ``describe(action)`` method of its controller, or `describe` on the
  action itself; list parameters come from `query_parameters`, answers of
  inventory kinds from the resource registry (`kind_schema`), others from
  the columns of their table (`table_schema`);
* the error answers every action may give, in Delfin's error body.

Nothing here is written per endpoint: an added route, filter, field or
request schema shows in the document as soon as it is served.
"""
import copy
import datetime
import inspect
import re

import sqlalchemy as sa

from delfin.api.common import params as list_params
from delfin.resources import registry

OPENAPI_VERSION = '3.1.0'
JSON = 'application/json'

ERROR_SCHEMA = {
    'type': 'object',
    'required': ['error_code', 'error_msg', 'error_args'],
    'properties': {
        'error_code': {'type': 'string'},
        'error_msg': {'type': 'string'},
        'error_args': {'type': 'array'},
    },
}
_ERROR_REF = {'$ref': '#/components/schemas/Error'}
# Answers of every action: what a client can get wrong, and what a storage
# backend or the service can (a backend's failure is Delfin's 5xx).
_ERRORS = {
    '400': 'The request is invalid (Delfin: InvalidInput, BadRequest, '
           'MalformedRequestBody, ...).',
    '404': 'No such resource, or no such route.',
    'default': 'A storage backend failed or does not support the action '
               '(5xx).',
}
_TOO_LARGE = 'The request document is larger than api_max_body_size.'

_FIELD_TYPES = {
    registry.STRING: 'string', registry.TEXT: 'string',
    registry.INTEGER: 'integer', registry.BIGINT: 'integer',
    registry.BOOLEAN: 'boolean', registry.DATETIME: 'string',
}
# Rendered as strings: datetimes and dates.
_PYTHON_TYPES = {bool: 'boolean', int: 'integer', float: 'number',
                 str: 'string', datetime.datetime: 'string',
                 datetime.date: 'string'}
_PATH_PARAM = re.compile(r'{([^}/]+)}')


def describe(**doc):
    """Describe an action: ``query`` (a list of OpenAPI parameters),
    ``response`` (the answer's schema; None for an empty answer), or
    ``content_type`` (of a non-JSON answer)."""
    def decorate(fn):
        fn.openapi = doc
        return fn
    return decorate


def nullable(json_type):
    return {'type': [json_type, 'null']}


def field_schema(field):
    """The schema of a registry field's value in an answer."""
    json_type = _FIELD_TYPES.get(field.type)
    if json_type is None:
        return {}
    schema = nullable(json_type)
    if field.description:
        schema['description'] = field.description
    return schema


def kind_schema(kind, extra=None):
    """The schema of one item of a registry kind, as the API shows it."""
    properties = {'id': {'type': 'string'}}
    if kind is not registry.STORAGE:
        properties['storage_id'] = {'type': 'string'}
    for field in kind.fields:
        properties[field.name] = field_schema(field)
    properties['created_at'] = nullable('string')
    properties['updated_at'] = nullable('string')
    properties.update(extra or {})
    schema = {'type': 'object', 'required': ['id'],
              'properties': properties}
    if kind.description:
        schema['description'] = kind.description
    return schema


def column_schema(column):
    """The schema of a column's value in an answer."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return {}
    json_type = _PYTHON_TYPES.get(python_type)
    if json_type is None:
        return {}
    return {'type': json_type} if column.primary_key \
        else nullable(json_type)


def table_schema(table, keys, extra=None):
    """The schema of a view showing ``keys`` of ``table``'s rows (a key
    that is not a column may have any value)."""
    properties = {}
    for key in keys:
        column = table.c.get(key)
        properties[key] = column_schema(column) if column is not None \
            else {}
    properties.update(extra or {})
    return {'type': 'object', 'properties': properties}


def collection(plural, item, total=True):
    """The schema of a list answer ``{plural: [item, ...], total}``."""
    properties = {plural: {'type': 'array', 'items': item}}
    if total:
        properties['total'] = {'type': 'integer', 'minimum': 0}
    return {'type': 'object', 'required': [plural],
            'properties': properties}


def _query_value(column):
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return {'type': 'string'}
    if python_type is bool:
        return {'type': 'boolean'}
    if python_type is int:
        low, high = list_params.INT64 \
            if isinstance(column.type, sa.BigInteger) else list_params.INT32
        return {'type': 'integer', 'minimum': low, 'maximum': high}
    return {'type': 'string'}


def _param(name, schema, description=None, where='query'):
    param = {'name': name, 'in': where, 'required': where == 'path',
             'schema': schema}
    if description:
        param['description'] = description
    return param


def query_parameters(table, filters, fixed=(), extra=()):
    """The query parameters of a list of ``table`` (`list_params.parse`):
    ``filters`` (minus those the path fixes), paging and sort, then
    ``extra`` parameters."""
    result = []
    for name in filters:
        if name in fixed or name not in table.c:
            continue
        result.append(_param(name, _query_value(table.c[name]),
                             'Only items with this value (repeat the '
                             'parameter for any of several).'))
    result += [
        _param('limit', {'type': 'integer', 'minimum': 0,
                         'maximum': list_params.INT64[1]},
               'Items per page, at most api_max_limit (the default).'),
        _param('offset', {'type': 'integer', 'minimum': 0,
                          'maximum': list_params.MAX_OFFSET},
               'Items to skip (after marker).'),
        _param('marker', {'type': 'string'},
               'Id of the last item of the previous page.'),
        _param('sort', {'type': 'string'},
               'key[:asc|desc],... (at most %d keys).'
               % list_params.MAX_SORT_KEYS),
        _param('sort_key', {'type': 'string'}, "Delfin's older sort key."),
        _param('sort_dir', {'type': 'string', 'enum': ['asc', 'desc']},
               "Delfin's older sort direction."),
    ]
    return result + list(extra)


def time_parameters(*names):
    """Query parameters of times in ms since the epoch."""
    return [_param(name, {'type': 'integer',
                          'minimum': list_params.INT64[0],
                          'maximum': list_params.INT64[1]},
                   'Milliseconds since the epoch.') for name in names]


def _operation_id(route):
    return re.sub(r'[^A-Za-z0-9_]+', '_', route.route_name).strip('_')


def _doc(controller, action, method):
    doc = dict(getattr(method, 'openapi', None) or {})
    describe_action = getattr(controller, 'describe', None)
    if callable(describe_action):
        doc.update(describe_action(action) or {})
    return doc


def _body(method):
    params = inspect.signature(method).parameters
    body = params.get('body')
    if body is None:
        return None
    return body.default is inspect.Parameter.empty


def _request_schema(method):
    schema = getattr(method, 'request_schema', None)
    return copy.deepcopy(schema) if schema is not None else {
        'type': 'object'}


def operation(route, controller):
    """The OpenAPI operation of one route."""
    method = getattr(controller, route.action)
    doc = _doc(controller, route.action, method)
    parameters = [_param(name, {'type': 'string'}, where='path')
                  for name in _PATH_PARAM.findall(route.path)]
    parameters += doc.get('query', [])
    op = {'operationId': _operation_id(route),
          'summary': (inspect.getdoc(method) or '').split('\n')[0]
          or route.route_name,
          'tags': [route.path.split('/')[2] if route.path.count('/') > 1
                   else route.path.strip('/')],
          'parameters': parameters}
    body_required = _body(method)
    if body_required is not None:
        op['requestBody'] = {
            'required': body_required,
            'content': {JSON: {'schema': _request_schema(method)}}}
    code = str(getattr(method, 'wsgi_code', 200))
    answer = {'description': 'Success.'}
    content_type = doc.get('content_type', JSON)
    if 'response' not in doc:
        answer['content'] = {content_type: {'schema': {}}}
    elif doc['response'] is not None:
        answer['content'] = {content_type: {'schema': doc['response']}}
    responses = {code: answer}
    for status, text in _ERRORS.items():
        responses[status] = _error(text)
    if body_required is not None:
        responses['413'] = _error(_TOO_LARGE)
    op['responses'] = responses
    return op


def _error(description):
    return {'description': description,
            'content': {JSON: {'schema': _ERROR_REF}}}


def document(routes, title='Delfin', version='v1'):
    """The OpenAPI 3.1 document of ``routes``."""
    controllers = {}
    paths = {}
    for route in routes:
        key = id(route.controller)
        if key not in controllers:
            controllers[key] = route.controller()
        item = paths.setdefault(route.path, {})
        item[route.method.lower()] = operation(route, controllers[key])
    return {
        'openapi': OPENAPI_VERSION,
        'info': {'title': title, 'version': version,
                 'description': 'Storage infrastructure management: the '
                                'REST API v1, compatible with SODA Delfin '
                                'v1.'},
        'paths': paths,
        'components': {'schemas': {'Error': ERROR_SCHEMA}},
    }
