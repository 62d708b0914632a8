"""Credentials written by Delfin: rows as Delfin stores them (passwords and
SNMP keys in plain base64) are read by a Delfin-style driver against a
live HTTPS backend and by the alert source loader, counted by
``delfin-manage secrets status`` and encrypted by ``delfin-manage secrets
rotate``, after which everything still reads them."""
import base64
import datetime
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from delfin import context
from delfin import cryptor
from delfin.alert_manager import sources
from delfin.cmd import secrets
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.tests import conftest
from delfin.tests import local_http
from delfin.tests import tls_certs
from delfin.tests.functional.drivers import acme_rest_backend
from delfin.tests.functional.drivers.delfin_style import rest_driver

CONF = cfg.CONF
USERNAME, PASSWORD = 'admin', 'S3cret!pw'
AUTH_KEY, PRIV_KEY = 'auth-pass-phrase', 'priv-pass-phrase'

pytestmark = pytest.mark.filterwarnings(
    'ignore::urllib3.exceptions.InsecureRequestWarning')


def _b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


@pytest.fixture
def key_file(sqlite_engine, tmp_path):
    path = tmp_path / 'keys' / 'secret.key'
    CONF.set_override('secret_key_file', str(path), group='security')
    cryptor.reset()
    yield path
    cryptor.reset()


@pytest.fixture
def https_backend(tmp_path):
    backend = acme_rest_backend.Backend(USERNAME, PASSWORD)
    key, cert = tls_certs.Authority().issue(('127.0.0.1',))
    cert_file = tls_certs.write_cert(tmp_path / 'backend.pem', cert)
    key_path = tls_certs.write_key(tmp_path / 'backend.key', key)
    with local_http.serve(backend.handler_class(), cert_file,
                          key_path) as port:
        yield backend, port


def _write_as_delfin(port):
    """A storage with access info and an SNMPv3 alert source, secrets
    stored the way Delfin stores them (JSON text, base64)."""
    storage = db_api.create('storage', dict(
        name='from-delfin', vendor='acme', model='rest_array',
        serial_number='ACME2024REST01', status='normal'))
    now = datetime.datetime.utcnow()
    rest = json.dumps({'host': '127.0.0.1', 'port': port,
                       'username': USERNAME, 'password': _b64(PASSWORD)})
    with db_engine.writer() as conn:
        conn.execute(sa.text(
            "INSERT INTO access_info (storage_id, vendor, model, rest, "
            "created_at) VALUES (:id, 'acme', 'rest_array', :rest, :now)"),
            {'id': storage['id'], 'rest': rest, 'now': now})
        conn.execute(sa.text(
            "INSERT INTO alert_sources (storage_id, host, version, username, "
            "security_level, auth_key, auth_protocol, privacy_key, "
            "privacy_protocol, created_at) VALUES (:id, '192.0.2.30', "
            "'snmpv3', 'trapuser', 'authPriv', :auth, 'HMACSHA', :priv, "
            "'AES', :now)"),
            {'id': storage['id'], 'auth': _b64(AUTH_KEY),
             'priv': _b64(PRIV_KEY), 'now': now})
    return storage['id']


def _read_back(storage_id, backend):
    """What the service does with the stored secrets: build the driver
    from the access info and log in; load the alert source's user."""
    info = db_api.get('access_info', storage_id)
    driver = rest_driver.AcmeRestDriver(**dict(info, verify=False))
    ctx = context.get_admin_context()
    ctx.storage_id = storage_id
    logins = backend.logins
    assert driver.get_storage(ctx)['serial_number'] == 'ACME2024REST01'
    assert backend.logins == logins + 1
    driver.close_connection()
    user = sources.user_of(db_api.get('alert_source', storage_id))
    assert (user.auth_password, user.priv_password) == (AUTH_KEY, PRIV_KEY)
    return info


def _manage(tmp_path, *args):
    conf = tmp_path / 'delfin.conf'
    conf.write_text(
        '[DEFAULT]\nstate_path = %s\n[database]\nconnection = %s\n'
        '[security]\nsecret_key_file = %s\n' % (
            tmp_path / 'state', CONF.database.connection,
            CONF.security.secret_key_file))
    done = subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
         str(conf)] + list(args), cwd=conftest.REPO_ROOT,
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert done.returncode == 0, done.stderr
    return done.stdout


def _row(output, table):
    line = [x for x in output.splitlines() if x.startswith(table)][0]
    return [int(n) for n in line.split()[1:]]


def test_delfin_rows_are_read_counted_and_rotated(tmp_path, key_file,
                                                  https_backend):
    backend, port = https_backend
    storage_id = _write_as_delfin(port)

    before = _read_back(storage_id, backend)
    # Reading leaves the rows as they were.
    assert before['rest']['password'] == _b64(PASSWORD)
    assert db_api.get('alert_source', storage_id)['auth_key'] \
        == _b64(AUTH_KEY)

    status = _manage(tmp_path, 'secrets', 'status')
    # encrypted, old-key, legacy-base64, unreadable
    assert _row(status, 'access_info') == [0, 0, 1, 0]
    assert _row(status, 'alert_source') == [0, 0, 2, 0]
    assert "3 value(s) stored as Delfin's base64" in status

    rotated = _manage(tmp_path, 'secrets', 'rotate')
    assert '1 access info(s) and 1 alert source(s); 3 value(s) were ' \
        "Delfin's base64" in rotated
    cryptor.reset()

    after = _read_back(storage_id, backend)
    assert cryptor.is_token(after['rest']['password'])
    assert PASSWORD not in json.dumps(after['rest'])
    assert {k: v for k, v in after['rest'].items() if k != 'password'} \
        == {k: v for k, v in before['rest'].items() if k != 'password'}
    source = db_api.get('alert_source', storage_id)
    assert cryptor.is_token(source['auth_key'])
    assert cryptor.is_token(source['privacy_key'])

    counts = secrets.status()
    assert counts['access_info'] == {cryptor.ENCRYPTED: 1}
    assert counts['alert_source'] == {cryptor.ENCRYPTED: 2}
