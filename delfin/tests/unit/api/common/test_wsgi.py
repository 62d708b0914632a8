"""Tests of dispatch and error handling, through a small route table."""
import io
import json

import pytest
import webob

from delfin import exception
from delfin.api import app as api_app
from delfin.api.common import wsgi


class _Echo(wsgi.Controller):
    def show(self, req, id):
        return {'id': id, 'context': type(self.context(req)).__name__}

    @wsgi.response(201)
    def create(self, req, body):
        return body

    def update(self, req, id, body=None):
        return {'id': id, 'body': body}

    @wsgi.response(202)
    def touch(self, req, id):
        return None

    def missing(self, req, id):
        raise exception.StorageNotFound(id)

    def crash(self, req):
        raise KeyError('secret internals')

    def typeerror(self, req):
        raise TypeError('bad')

    def raw(self, req):
        return webob.Response(text='plain', content_type='text/plain')


ROUTES = [
    wsgi.Route('GET', '/v1/things/{id}', _Echo, 'show'),
    wsgi.Route('POST', '/v1/things', _Echo, 'create'),
    wsgi.Route('PUT', '/v1/things/{id}', _Echo, 'update'),
    wsgi.Route('POST', '/v1/things/{id}/touch', _Echo, 'touch'),
    wsgi.Route('GET', '/v1/missing/{id}', _Echo, 'missing'),
    wsgi.Route('GET', '/v1/crash', _Echo, 'crash'),
    wsgi.Route('GET', '/v1/typeerror', _Echo, 'typeerror'),
    wsgi.Route('GET', '/metrics', _Echo, 'raw'),
]


@pytest.fixture(scope='module')
def app():
    return api_app.make_app(ROUTES, max_body_size=1024)


def _call(app, path, method='GET', body=None, content_type=None):
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(
            body).encode()
        req.content_type = content_type or 'application/json'
    return req.get_response(app)


def _error(resp):
    body = resp.json
    assert set(body) == {'error_code', 'error_msg', 'error_args'}
    assert resp.content_type == 'application/json'
    return body


def test_success_has_request_id_and_context(app):
    resp = _call(app, '/v1/things/a')
    assert resp.status_int == 200
    assert resp.json == {'id': 'a', 'context': 'RequestContext'}
    assert resp.headers['x-compute-request-id'].startswith('req-')


def test_request_ids_differ(app):
    ids = {_call(app, '/v1/things/a').headers['x-compute-request-id']
           for _ in range(3)}
    assert len(ids) == 3


def test_decorated_status_and_empty_body(app):
    assert _call(app, '/v1/things', 'POST', {'a': 1}).status_int == 201
    resp = _call(app, '/v1/things/x/touch', 'POST')
    assert resp.status_int == 202
    assert resp.body == b''
    assert resp.content_type == 'application/json'


def test_unknown_route_is_json_404_with_request_id(app):
    resp = _call(app, '/nothing/here')
    assert resp.status_int == 404
    assert _error(resp)['error_code'] == 'NotFound'
    assert resp.headers['x-compute-request-id'].startswith('req-')


def test_unsupported_method_of_known_path_is_json_404(app):
    resp = _call(app, '/v1/things/a', 'DELETE')
    assert resp.status_int == 404
    assert _error(resp)['error_code'] == 'NotFound'


def test_delfin_exception_becomes_error_body(app):
    resp = _call(app, '/v1/missing/abc')
    assert resp.status_int == 404
    assert _error(resp) == {'error_code': 'StorageNotFound',
                            'error_msg': 'Storage abc could not be found.',
                            'error_args': ['abc']}


def test_unexpected_exception_is_json_500_without_internals(app):
    resp = _call(app, '/v1/crash')
    assert resp.status_int == 500
    body = _error(resp)
    assert body['error_code'] == 'DelfinException'
    assert 'secret internals' not in resp.text
    assert 'KeyError' not in resp.text


def test_type_error_is_bad_request(app):
    resp = _call(app, '/v1/typeerror')
    assert resp.status_int == 400
    assert _error(resp)['error_code'] == 'BadRequest'


def test_malformed_json_is_400(app):
    resp = _call(app, '/v1/things', 'POST', b'{"a": ')
    assert resp.status_int == 400
    assert _error(resp)['error_code'] == 'MalformedRequestBody'


def test_missing_body_is_400(app):
    resp = _call(app, '/v1/things', 'POST')
    assert resp.status_int == 400
    assert _error(resp)['error_code'] == 'MalformedRequestBody'


def test_body_of_other_content_type_is_400_when_required(app):
    resp = _call(app, '/v1/things', 'POST', b'a=1',
                 content_type='application/x-www-form-urlencoded')
    assert resp.status_int == 400
    assert _error(resp)['error_code'] == 'InvalidContentType'


def test_optional_body(app):
    assert _call(app, '/v1/things/a', 'PUT').json == {
        'id': 'a', 'body': None}
    assert _call(app, '/v1/things/a', 'PUT', {'x': 1}).json == {
        'id': 'a', 'body': {'x': 1}}


def test_body_sent_to_action_without_body_is_bad_request(app):
    resp = _call(app, '/v1/things/x/touch', 'POST', {'x': 1})
    assert resp.status_int == 400
    assert _error(resp)['error_code'] == 'BadRequest'


def test_body_over_limit_is_413(app):
    resp = _call(app, '/v1/things', 'POST', {'x': 'y' * 2000})
    assert resp.status_int == 413
    assert _error(resp)['error_code'] == 'RequestBodyTooLarge'


def test_body_over_limit_without_length_is_413(app):
    req = webob.Request.blank('/v1/things', method='POST', environ={
        'wsgi.input': io.BytesIO(b'{"x": "' + b'y' * 4000 + b'"}'),
        'CONTENT_TYPE': 'application/json',
        'wsgi.input_terminated': True})
    req.environ.pop('CONTENT_LENGTH', None)
    resp = req.get_response(app)
    assert resp.status_int == 413


def test_action_may_answer_non_json(app):
    resp = _call(app, '/metrics')
    assert resp.status_int == 200
    assert resp.text == 'plain'
    assert resp.headers['x-compute-request-id'].startswith('req-')


def test_duplicate_route_names_are_refused():
    with pytest.raises(ValueError):
        api_app.make_app([ROUTES[0], ROUTES[0]])


def test_route_to_missing_action_is_refused():
    with pytest.raises(ValueError):
        api_app.make_app([wsgi.Route('GET', '/v1/x', _Echo, 'nope')])


def test_datetime_format():
    import datetime
    text = wsgi.dumps({'t': datetime.datetime(2024, 1, 2, 3, 4, 5, 6)})
    assert json.loads(text) == {'t': '2024-01-02T03:04:05.000006'}
