"""Input no request may turn into a 500: each case found by probing the
API gets Delfin's 400/404 error body naming what is wrong."""
import pytest

from delfin.tests.functional.api.conftest import make_storage

TOO_BIG = '9223372036854775808'  # 2**63


@pytest.fixture(scope='module')
def storage(api):
    return make_storage(name='bad-input')


def _error(resp, status, code='InvalidInput'):
    assert resp.status_int == status, resp.text
    assert resp.json['error_code'] == code
    assert set(resp.json) == {'error_code', 'error_msg', 'error_args'}
    return resp.json['error_msg']


@pytest.mark.parametrize('depth', [33, 500, 5000])
def test_deeply_nested_body_is_400(api, depth):
    document = '{"vendor": %s}' % ('[' * depth + ']' * depth)
    msg = _error(api.post('/v1/storages', raw=document.encode()), 400,
                 'MalformedRequestBody')
    assert 'nested more than 32 levels' in msg


def test_query_string_that_is_not_utf8_is_400(api):
    msg = _error(api.get('/v1/storages?name=%FF'), 400)
    assert 'UTF-8' in msg


@pytest.mark.parametrize('path', [
    '/v1/alerts?begin_time=' + TOO_BIG,
    '/v1/alerts?end_time=-' + TOO_BIG + '0',
    '/v1/storages/{id}/alerts?begin_time=' + TOO_BIG,
])
def test_time_past_64_bits_is_400(api, storage, path):
    msg = _error(api.get(path.format(id=storage['id'])), 400)
    assert 'between' in msg


def test_alert_sync_with_a_time_past_64_bits_is_400(api, storage):
    resp = api.post('/v1/storages/%s/alerts/sync' % storage['id'],
                    {'begin_time': int(TOO_BIG)})
    msg = _error(resp, 400)
    assert 'begin_time' in msg and 'maximum' in msg


@pytest.mark.parametrize('path', ['/v1/volumes', '/v1/alerts',
                                  '/v1/storages'])
def test_thousands_of_sort_keys_are_400(api, path):
    sort = ','.join(['name:asc'] * 2000)
    msg = _error(api.get('%s?sort=%s' % (path, sort)), 400)
    assert 'at most 64 keys' in msg


def test_repeated_sort_key_is_400(api):
    msg = _error(api.get('/v1/volumes?sort=name:asc,name:desc'), 400)
    assert 'name' in msg


@pytest.mark.parametrize('value', ['%2012', '12%20', '1_000', '%2B5', '0x10',
                                   '1e3', '%D9%A1%D9%A2', '12.0', ''])
@pytest.mark.parametrize('name', ['limit', 'offset'])
def test_integers_are_digits_only(api, name, value):
    msg = _error(api.get('/v1/volumes?%s=%s' % (name, value)), 400)
    assert name in msg


@pytest.mark.parametrize('query', ['limit=12', 'offset=0', 'limit=0'])
def test_plain_integers_are_accepted(api, query):
    assert api.get('/v1/volumes?' + query).status_int == 200


@pytest.mark.parametrize('value', ['%2012', '1_000', '%2B5', 'abc'])
def test_alert_times_are_digits_only(api, value):
    msg = _error(api.get('/v1/alerts?begin_time=' + value), 400)
    assert 'begin_time' in msg


@pytest.mark.parametrize('path', ['/v1/storages', '/v1/volumes',
                                  '/v1/storage-pools', '/v1/ports'])
def test_filter_value_of_the_wrong_type_is_400(api, path):
    field = 'total_capacity' if path != '/v1/ports' else 'speed'
    msg = _error(api.get('%s?%s=abc' % (path, field)), 400)
    assert field in msg and 'integer' in msg


def test_validation_error_names_the_field_and_reason(api):
    msg = _error(api.post('/v1/storages', {'vendor': 'a', 'model': 'b'}),
                 400)
    assert 'not valid under any' not in msg
    assert 'rest, ssh, cli, smis' in msg
    msg = _error(api.post('/v1/storages', {
        'vendor': 'a', 'model': 'b',
        'rest': {'host': 'h', 'port': 'x', 'username': 'u',
                 'password': 'p'}}), 400)
    assert 'port' in msg and 'integer' in msg


def test_clearing_an_unknown_alert_is_404(api, storage):
    for number in ('0', '999', 'x' * 300):
        _error(api.delete('/v1/storages/%s/alerts/%s'
                          % (storage['id'], number)), 404, 'AlertNotFound')


@pytest.mark.parametrize('path', ['/v1/storages/%FF', '/v1/storages/%FF/jobs',
                                  '/v1/volumes/%C3%28'])
def test_path_that_is_not_utf8_is_400(api, path):
    msg = _error(api.get(path), 400)
    assert 'UTF-8' in msg


@pytest.mark.parametrize('name', ['limit', 'offset'])
def test_integer_with_thousands_of_digits_is_400(api, name):
    msg = _error(api.get('/v1/volumes?%s=%s' % (name, '9' * 5000)), 400)
    assert name in msg and 'between' in msg
