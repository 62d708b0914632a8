"""snmp-config endpoints: Delfin's body and semantic checks, encryption at
rest, and views that never show a community or a key."""
import json

import pytest
import webob

from delfin import cryptor
from delfin.db import api as db

SECRETS = ('community-secret', 'auth-secret-1', 'priv-secret-1')


@pytest.fixture(scope='module')
def app(sqlite_engine):
    from delfin.api import app as api_app
    return api_app.make_app()


@pytest.fixture
def storage(sqlite_engine):
    return db.create('storage', {'name': 'array', 'vendor': 'v',
                                 'model': 'm', 'serial_number': db.new_id(),
                                 'sync_status': 0, 'deleted': False})


def call(app, method, path, body=None):
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    resp = req.get_response(app)
    for secret in SECRETS:
        assert secret not in resp.text
    return resp


def put(app, storage, **body):
    return call(app, 'PUT', '/v1/storages/%s/snmp-config' % storage['id'],
                body)


V3 = {'host': '192.0.2.1', 'version': 'SNMPv3', 'username': 'monitor',
      'security_level': 'authPriv', 'auth_protocol': 'HMCSHA2256',
      'auth_key': 'auth-secret-1', 'privacy_protocol': 'AES256',
      'privacy_key': 'priv-secret-1', 'engine_id': '80001F8880A1B2C3D4'}


def test_v2c_community_is_encrypted_and_never_shown(app, storage):
    resp = put(app, storage, host='192.0.2.1', version='SNMPv2c',
               community_string='community-secret')
    assert resp.status_int == 200, resp.text
    view = resp.json
    assert view == {'storage_id': storage['id'], 'host': '192.0.2.1',
                    'version': 'SNMPv2c', 'port': 161, 'retry_num': 1,
                    'expiration': 2, 'created_at': view['created_at'],
                    'updated_at': None}
    row = db.get('alert_source', storage['id'])
    assert row['community_string'] != 'community-secret'
    assert cryptor.decode(row['community_string']) == 'community-secret'
    shown = call(app, 'GET', '/v1/storages/%s/snmp-config' % storage['id'])
    assert shown.json == view
    listed = call(app, 'GET', '/v1/snmp-configs').json['snmp_configs']
    assert view in listed


def test_v3_keys_are_encrypted_and_never_shown(app, storage):
    resp = put(app, storage, **V3)
    assert resp.status_int == 200, resp.text
    view = resp.json
    assert view['username'] == 'monitor'
    assert view['security_level'] == 'authPriv'
    assert (view['auth_protocol'], view['privacy_protocol']) == (
        'HMCSHA2256', 'AES256')
    assert view['engine_id'] == '80001f8880a1b2c3d4'
    for key in ('auth_key', 'privacy_key', 'community_string'):
        assert key not in view
    row = db.get('alert_source', storage['id'])
    assert cryptor.decode(row['auth_key']) == 'auth-secret-1'
    assert cryptor.decode(row['privacy_key']) == 'priv-secret-1'


def test_put_replaces_and_clears_what_the_version_does_not_use(app, storage):
    assert put(app, storage, **V3).status_int == 200
    resp = put(app, storage, host='192.0.2.1', version='snmpv1',
               community_string='community-secret', username='ignored',
               auth_protocol='HMACSHA')
    assert resp.status_int == 200
    row = db.get('alert_source', storage['id'])
    assert row['version'] == 'snmpv1'
    for name in ('username', 'auth_key', 'privacy_key', 'auth_protocol',
                 'privacy_protocol', 'engine_id', 'security_level'):
        assert row[name] is None
    assert 'username' not in resp.json


def test_security_levels_keep_only_what_they_use(app, storage):
    body = dict(V3, security_level='authNoPriv')
    assert put(app, storage, **body).status_int == 200
    row = db.get('alert_source', storage['id'])
    assert row['auth_key'] and row['privacy_key'] is None
    assert row['privacy_protocol'] is None
    body = dict(V3, security_level='noAuthnoPriv')
    assert put(app, storage, **body).status_int == 200
    row = db.get('alert_source', storage['id'])
    assert row['auth_key'] is None and row['auth_protocol'] is None


@pytest.mark.parametrize('change', [
    {'username': None}, {'security_level': None}, {'auth_key': None},
    {'auth_protocol': None}, {'privacy_key': None},
    {'privacy_protocol': None}, {'engine_id': 'xyz123456'},
    {'engine_id': '80001F888'}, {'engine_id': '0102'},
    {'engine_id': '00' * 33}, {'auth_key': 'short'},
    {'auth_protocol': 'SHA1'}, {'privacy_protocol': 'BLOWFISH'},
    {'security_level': 'authpriv'}, {'port': 70000}, {'colour': 'red'},
    {'host': 'a b'}, {'host': 'a,,b'}, {'host': None}, {'version': None},
    {'version': 'SNMPv4'}, {'retry_num': 'x'}])
def test_invalid_v3_bodies_are_400(app, storage, change):
    body = dict(V3, **change)
    body = {k: v for k, v in body.items() if v is not None}
    resp = put(app, storage, **body)
    assert resp.status_int == 400, (change, resp.text)
    assert resp.json['error_code'] in ('InvalidInput', 'InvalidSNMPConfig')


def test_v2c_needs_a_community(app, storage):
    resp = put(app, storage, host='192.0.2.1', version='SNMPv2c')
    assert resp.status_int == 400
    assert 'community_string' in resp.json['error_msg']


def test_host_list(app, storage):
    resp = put(app, storage, host='192.0.2.1, 192.0.2.2', version='snmpv2c',
               community_string='community-secret')
    assert resp.status_int == 400  # spaces are not in the host alphabet
    resp = put(app, storage, host='192.0.2.1,array.example.com',
               version='snmpv2c', community_string='community-secret')
    assert resp.status_int == 200
    assert resp.json['host'] == '192.0.2.1,array.example.com'


def test_missing_storage_or_source_is_404(app, storage):
    missing = '00000000-0000-0000-0000-000000000000'
    resp = call(app, 'PUT', '/v1/storages/%s/snmp-config' % missing,
                dict(V3))
    assert (resp.status_int, resp.json['error_code']) == (
        404, 'StorageNotFound')
    for method in ('GET', 'DELETE'):
        resp = call(app, method, '/v1/storages/%s/snmp-config'
                    % storage['id'])
        assert (resp.status_int, resp.json['error_code']) == (
            404, 'AlertSourceNotFound')


def test_delete(app, storage):
    assert put(app, storage, **V3).status_int == 200
    resp = call(app, 'DELETE', '/v1/storages/%s/snmp-config' % storage['id'])
    assert resp.status_int == 200 and resp.body == b''
    assert db.find('alert_source', storage_id=storage['id']) is None


def test_deleting_the_storage_deletes_its_source(app, storage):
    assert put(app, storage, **V3).status_int == 200
    db.delete('storage', storage['id'])
    assert db.find('alert_source', storage_id=storage['id']) is None


@pytest.mark.parametrize('version', ['SNMPv2c', 'snmpv2c', 'SNMPv1'])
def test_version_is_shown_as_sent(app, storage, version):
    # The SODA dashboard compares the version with 'SNMPv2c' exactly.
    assert put(app, storage, host='192.0.2.1', version=version,
               community_string='community-secret').json['version'] == \
        version
    shown = call(app, 'GET', '/v1/storages/%s/snmp-config' % storage['id'])
    assert shown.json['version'] == version


def test_v3_fields_are_shown_as_sent(app, storage):
    resp = put(app, storage, **V3)
    assert resp.status_int == 200, resp.text
    shown = call(app, 'GET',
                 '/v1/storages/%s/snmp-config' % storage['id']).json
    assert (shown['version'], shown['security_level'],
            shown['auth_protocol'], shown['privacy_protocol']) == (
        'SNMPv3', 'authPriv', 'HMCSHA2256', 'AES256')


def test_alert_source_is_an_alias_of_snmp_config(app, storage):
    path = '/v1/storages/%s/alert-source' % storage['id']
    body = {'version': 'SNMPv2c', 'host': '192.0.2.7', 'port': 161,
            'retry_num': 1, 'expiration': 2, 'context_name': '',
            'community_string': 'community-secret'}
    resp = call(app, 'PUT', path, body)
    assert resp.status_int == 200, resp.text
    assert resp.json['version'] == 'SNMPv2c'
    same = call(app, 'GET', '/v1/storages/%s/snmp-config' % storage['id'])
    assert call(app, 'GET', path).json == same.json == resp.json
    assert call(app, 'DELETE', path).status_int == 200
    gone = call(app, 'GET', path)
    assert gone.status_int == 404
    assert gone.json['error_code'] == 'AlertSourceNotFound'


def test_v3_no_auth_with_empty_strings_means_none(app, storage):
    body = {'version': 'SNMPv3', 'host': '192.0.2.8', 'port': 161,
            'retry_num': 1, 'expiration': 2, 'context_name': '',
            'username': 'watcher', 'engine_id': '',
            'security_level': 'noAuthnoPriv', 'auth_protocol': '',
            'auth_key': '', 'privacy_protocol': '', 'privacy_key': ''}
    resp = put(app, storage, **body)
    assert resp.status_int == 200, resp.text
    row = db.get('alert_source', storage['id'])
    assert [row[k] for k in ('auth_protocol', 'auth_key', 'privacy_protocol',
                             'privacy_key', 'engine_id')] == [None] * 5
    assert resp.json['security_level'] == 'noAuthnoPriv'


def test_empty_auth_fields_are_still_required_by_auth_priv(app, storage):
    resp = put(app, storage, **dict(V3, auth_key='', auth_protocol=''))
    assert resp.status_int == 400
    assert 'auth_key' in resp.json['error_msg']
    short = put(app, storage, **dict(V3, auth_key='short'))
    assert short.status_int == 400


def test_snmp_configs_list_has_total(app, storage):
    put(app, storage, host='192.0.2.9', version='SNMPv2c',
        community_string='community-secret')
    body = call(app, 'GET', '/v1/snmp-configs').json
    assert body['total'] == len(body['snmp_configs']) >= 1
