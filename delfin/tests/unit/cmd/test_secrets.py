"""delfin-manage secrets: status and rotation of the stored secrets, Delfin's
base64 values included."""
import base64
import datetime
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from delfin import cryptor
from delfin.cmd import secrets
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.tests import conftest

CONF = cfg.CONF


def _b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


@pytest.fixture
def key_file(sqlite_engine, tmp_path):
    from delfin.db import engine as db_engine
    from delfin.db import schema
    # Each test has its own keys: rows of earlier tests cannot be read.
    with db_engine.writer() as conn:
        conn.execute(schema.storages.delete())
    path = tmp_path / 'keys' / 'secret.key'
    CONF.set_override('secret_key_file', str(path), group='security')
    cryptor.reset()
    yield path
    cryptor.reset()


def _storage_with_secrets(serial):
    storage = db_api.create('storage', dict(
        name='s-%s' % serial, vendor='v', model='m', serial_number=serial,
        status='normal'))
    db_api.create('access_info', dict(
        storage_id=storage['id'], vendor='v', model='m',
        rest={'host': '192.0.2.1', 'port': 443, 'username': 'admin',
              'password': cryptor.encode('rest-pw')},
        ssh={'host': '192.0.2.1', 'port': 22, 'username': 'root',
             'password': cryptor.encode('ssh-pw')}))
    db_api.create('alert_source', dict(
        storage_id=storage['id'], host='192.0.2.1', version='snmpv3',
        username='u', security_level='authPriv',
        auth_key=cryptor.encode('auth-secret'), auth_protocol='HMACSHA',
        privacy_key=cryptor.encode('priv-secret'), privacy_protocol='AES'))
    return storage['id']


def test_rotation_reencrypts_every_secret_with_the_new_key(key_file):
    storage_id = _storage_with_secrets('SN-ROT')
    old_key = key_file.read_text().split()[0]
    cryptor.add_primary_key()
    new_key = key_file.read_text().split()[0]
    assert new_key != old_key

    counts = secrets.rotate()
    assert counts['access_info'] >= 1 and counts['alert_source'] >= 1

    # Only the new key is needed from now on.
    CONF.set_override('secret_keys', [new_key], group='security')
    cryptor.reset()
    info = db_api.get('access_info', storage_id)
    assert cryptor.decode(info['rest']['password']) == 'rest-pw'
    assert cryptor.decode(info['ssh']['password']) == 'ssh-pw'
    assert info['rest']['username'] == 'admin'
    source = db_api.get('alert_source', storage_id)
    assert cryptor.decode(source['auth_key']) == 'auth-secret'
    assert cryptor.decode(source['privacy_key']) == 'priv-secret'
    assert source['community_string'] is None


def test_rotation_changes_nothing_when_a_secret_is_unreadable(key_file):
    storage_id = _storage_with_secrets('SN-BAD')
    # A token made by a key this installation does not have.
    CONF.set_override('secret_keys', [cryptor.generate_key()],
                      group='security')
    cryptor.reset()
    stray = cryptor.encode('lost')
    CONF.clear_override('secret_keys', group='security')
    cryptor.reset()
    db_api.update('alert_source', storage_id, {'community_string': stray})
    before = db_api.get('access_info', storage_id)
    with pytest.raises(SystemExit) as info:
        secrets.rotate()
    assert storage_id in str(info.value.code)
    assert 'lost' not in str(info.value.code)
    assert db_api.get('access_info', storage_id) == before


def test_status_counts_each_state(key_file):
    storage_id = _storage_with_secrets('SN-STATE')
    before = secrets.status()
    db_api.update('alert_source', storage_id,
                  {'community_string': _b64('public')})
    after = secrets.status()
    assert after['alert_source'][cryptor.LEGACY] \
        == before['alert_source'][cryptor.LEGACY] + 1
    assert after['access_info'][cryptor.ENCRYPTED] >= 2
    cryptor.add_primary_key()
    older = secrets.status()
    assert older['access_info'][cryptor.OLD_KEY] \
        == after['access_info'][cryptor.ENCRYPTED]
    assert older['access_info'][cryptor.ENCRYPTED] == 0


def test_rotation_encrypts_delfins_base64_values(key_file):
    storage = db_api.create('storage', dict(
        name='s-legacy', vendor='v', model='m', serial_number='SN-LEGACY',
        status='normal'))
    with db_engine.writer() as conn:
        # The row as Delfin writes it: JSON text, the password in base64.
        conn.execute(sa.text(
            "INSERT INTO access_info (storage_id, vendor, model, rest, "
            "created_at) VALUES (:id, 'v', 'm', :rest, :now)"),
            {'id': storage['id'], 'now': datetime.datetime.utcnow(),
             'rest': '{"host": "192.0.2.7", "port": 8443, "username": '
                     '"admin", "password": "%s"}' % _b64('pässword')})
    assert cryptor.decode(
        db_api.get('access_info', storage['id'])['rest']['password']) \
        == 'pässword'
    assert secrets.status()['access_info'][cryptor.LEGACY] == 1
    counts = secrets.rotate()
    assert counts['legacy'] == 1
    rest = db_api.get('access_info', storage['id'])['rest']
    assert cryptor.is_token(rest['password'])
    assert cryptor.decode(rest['password']) == 'pässword'
    assert rest['host'] == '192.0.2.7' and rest['username'] == 'admin'
    assert secrets.status()['access_info'][cryptor.LEGACY] == 0


def test_status_reads_without_creating_a_key_file(tmp_path):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n' % (tmp_path / 'state'))
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    run = [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
           str(conf)]
    up = subprocess.run(run + ['db', 'upgrade'], capture_output=True,
                        text=True, timeout=120, env=env,
                        cwd=conftest.REPO_ROOT)
    assert up.returncode == 0, up.stderr
    done = subprocess.run(run + ['secrets', 'status'], capture_output=True,
                          text=True, timeout=120, env=env,
                          cwd=conftest.REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert 'access_info' in done.stdout and 'legacy-base64' in done.stdout
    assert not (tmp_path / 'state' / 'secret.key').exists()
