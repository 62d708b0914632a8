"""Access information of storages over the API: shown without the
password, updated only towards the same device, listed for all."""
import pytest

from delfin import cryptor
from delfin.db import api as db
from delfin.tests.functional.api.conftest import make_storage
from delfin.tests.functional.api import storage_helpers
from delfin.tests.functional.api.storage_helpers import (
    NEW_PASSWORD, PASSWORD, _body, _no_secret, _register)


@pytest.fixture(scope='module')
def api(api_service):
    yield from storage_helpers.small_inventory(api_service)


def test_show_access_info_hides_the_password(api):
    storage = _register(api, '192.0.2.40', storage_name='arr',
                        extra_attributes={'zone': 'a'})
    resp = _no_secret(api.get('/v1/storages/%s/access-info'
                              % storage['id']))
    assert resp.status_int == 200
    info = resp.json
    assert info['storage_id'] == storage['id']
    assert info['vendor'] == 'fake_storage'
    assert info['model'] == 'fake_driver'
    assert info['storage_name'] == 'arr'
    assert info['rest'] == {'host': '192.0.2.40', 'port': 8443,
                            'username': 'admin'}
    assert info['ssh'] is None
    assert info['extra_attributes'] == {'zone': 'a'}
    assert set(info) == {'storage_id', 'storage_name', 'vendor', 'model',
                         'rest', 'ssh', 'cli', 'smis', 'extra_attributes',
                         'created_at', 'updated_at'}


def test_access_info_of_unknown_storage_is_404(api):
    resp = api.get('/v1/storages/nope/access-info')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'AccessInfoNotFound'


def test_update_access_info(api):
    storage = _register(api, '192.0.2.41')
    twin = _register(api, '192.0.2.42')
    resp = _no_secret(api.put(
        '/v1/storages/%s/access-info' % storage['id'],
        {'rest': {'host': '192.0.2.41', 'port': 8443, 'username': 'root',
                  'password': NEW_PASSWORD}}))
    assert resp.status_int == 200, resp.text
    assert resp.json['rest']['username'] == 'root'
    row = db.get('access_info', storage['id'])
    assert cryptor.decode(row['rest']['password']) == NEW_PASSWORD
    # Only the storage in the path changes, never a look-alike.
    twin_row = db.get('access_info', twin['id'])
    assert twin_row['rest']['username'] == 'admin'
    assert cryptor.decode(twin_row['rest']['password']) == PASSWORD


def test_update_keeps_the_stored_password_when_none_is_given(api):
    storage = _register(api, '192.0.2.43')
    resp = api.put('/v1/storages/%s/access-info' % storage['id'], {
        'ssh': {'host': '192.0.2.43', 'port': 22, 'username': 'u'}})
    assert resp.status_int == 200, resp.text
    # A section the storage did not have is added.
    assert resp.json['ssh'] == {'host': '192.0.2.43', 'port': 22,
                                'username': 'u'}
    row = db.get('access_info', storage['id'])
    assert cryptor.decode(row['rest']['password']) == PASSWORD


def test_update_reaching_another_device_is_400(api):
    storage = make_storage('elsewhere', serial='NOT-THE-FAKE-SERIAL')
    db.create('access_info', {
        'storage_id': storage['id'], 'vendor': 'fake_storage',
        'model': 'fake_driver',
        'rest': {'host': '192.0.2.44', 'port': 8443, 'username': 'a',
                 'password': cryptor.encode(PASSWORD)}})
    resp = api.put('/v1/storages/%s/access-info' % storage['id'], {
        'rest': {'host': '192.0.2.45', 'port': 8443, 'username': 'a',
                 'password': NEW_PASSWORD}})
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'StorageSerialNumberMismatch'
    _no_secret(resp)
    row = db.get('access_info', storage['id'])
    assert row['rest']['host'] == '192.0.2.44'


@pytest.fixture(scope='module')
def registered(api):
    return _register(api, '192.0.2.46')


@pytest.mark.parametrize('body', [
    {}, {'vendor': 'x', 'rest': _body('h')['rest']},
    {'rest': {'host': 'h', 'port': 1}}, {'rest': _body('h;x')['rest']}])
def test_invalid_access_info_update_is_400(api, registered, body):
    resp = _no_secret(api.put('/v1/storages/%s/access-info'
                              % registered['id'], body))
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'InvalidInput'


def test_access_info_update_without_body_is_400(api, registered):
    resp = api.put('/v1/storages/%s/access-info' % registered['id'])
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'MalformedRequestBody'


def test_update_access_info_of_unknown_storage_is_404(api):
    resp = api.put('/v1/storages/nope/access-info',
                   {'rest': _body('h')['rest']})
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'AccessInfoNotFound'


def test_all_access_infos(api):
    resp = _no_secret(api.get('/v1/access-infos'))
    assert resp.status_int == 200
    infos = resp.json['access_infos']
    assert len(infos) == len(db.list_rows('access_info'))
    assert resp.json['total'] == len(infos) > 0
    names = {s['id']: s['name'] for s in
             api.get('/v1/storages').json['storages']}
    for info in infos:
        for name in ('rest', 'ssh', 'cli', 'smis'):
            assert 'password' not in (info[name] or {})
        # The storage's name when registration gave none.
        given = db.get('access_info', info['storage_id'])['storage_name']
        assert info['storage_name'] == (given or
                                        names[info['storage_id']])
        assert info['storage_name']
    unnamed = [i['storage_id'] for i in infos if not db.get(
        'access_info', i['storage_id'])['storage_name']]
    assert unnamed
    one = api.get('/v1/storages/%s/access-info' % unnamed[0])
    assert one.json['storage_name'] == names[unnamed[0]]
