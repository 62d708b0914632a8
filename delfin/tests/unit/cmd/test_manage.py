"""delfin-manage: schema commands on a real database, secret rotation."""
import os
import subprocess
import sys

import pytest
from oslo_config import cfg

from delfin import cryptor
from delfin.cmd import manage
from delfin.db import api as db_api
from delfin.tests import conftest

CONF = cfg.CONF


def _manage(tmp_path, *args):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n' % (tmp_path / 'state'))
    return subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
         str(conf)] + list(args), cwd=conftest.REPO_ROOT, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, PYTHONWARNINGS='ignore'))


def test_db_upgrade_then_current_report_the_head(tmp_path):
    from delfin.db import migration
    before = _manage(tmp_path, 'db', 'current')
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == 'base'
    up = _manage(tmp_path, 'db', 'upgrade')
    assert up.returncode == 0, up.stderr
    assert (tmp_path / 'state' / 'delfin.sqlite').exists()
    after = _manage(tmp_path, 'db', 'current')
    assert after.stdout.strip() == migration.head()


def test_unknown_command_is_an_error(tmp_path):
    out = _manage(tmp_path, 'db', 'explode')
    assert out.returncode != 0
    assert 'explode' in out.stderr


def test_config_generate_lists_the_options(tmp_path):
    sample = tmp_path / 'sample.conf'
    out = _manage(tmp_path, 'config', 'generate', '--output-file',
                  str(sample))
    assert out.returncode == 0, out.stderr
    text = sample.read_text()
    for name in ('delfin_listen_port', 'transport_url', '[database]',
                 '[coordination]', 'member_timeout'):
        assert name in text


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

    counts = manage.rotate_secrets()
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
        manage.rotate_secrets()
    assert storage_id in str(info.value.code)
    assert 'lost' not in str(info.value.code)
    assert db_api.get('access_info', storage_id) == before
