"""Import of a Delfin 1.x database (`delfin.db.delfin_import`), from a
database built with Delfin's schema (the tables and columns of Delfin 1.x,
written out in delfin/tests/fixtures/delfin_v1_schema.sql) and filled with
rows as Delfin stores them, on SQLite and on MariaDB, into the service's
database with a task node running."""
import datetime
import os
import secrets
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from delfin import cryptor
from delfin.db import api as db
from delfin.db import delfin_import
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.tests.fixtures import delfin_v1
from delfin.tests.functional.api.conftest import Client

CONF = cfg.CONF
SMALL = {'fake_pool_range': '1-1', 'fake_volume_range': '3-3',
         'fake_controller_range': '1-1', 'fake_port_range': '1-1',
         'fake_disk_range': '1-1', 'fake_filesystem_range': '1-1',
         'fake_qtree_range': '1-1', 'fake_quota_range': '1-1',
         'fake_share_range': '1-1', 'fake_host_range': '1-1',
         'fake_initiator_range': '1-1', 'fake_host_group_range': '1-1',
         'fake_port_group_range': '1-1', 'fake_volume_group_range': '1-1',
         'fake_masking_view_range': '1-1'}
# What the fixture's rows give (see delfin_v1_rows.json).
IMPORTED = {'storages': 2, 'access_info': 2, 'alert_source': 2,
            'storage_pools': 2, 'volumes': 3, 'controllers': 1, 'ports': 2,
            'disks': 1, 'filesystems': 1, 'qtrees': 1, 'quota': 1,
            'shares': 1, 'storage_hosts': 1, 'storage_host_initiators': 1,
            'storage_host_groups': 1, 'storage_host_grp_host_rels': 1,
            'port_groups': 1, 'port_grp_port_rels': 1, 'volume_groups': 1,
            'vol_grp_vol_rels': 1, 'masking_views': 1}
SKIPPED = {'storages': 3, 'access_info': 4, 'alert_source': 1, 'volumes': 4}


def _id(tag, n):
    return '%s-0000-4000-8000-%012d' % (tag, n)


def _row_id(tag, kind, n):
    return '%s-%04x-4000-8000-%012d' % (tag, kind, n)


@pytest.fixture(scope='module')
def api(service):
    for name, value in SMALL.items():
        CONF.set_override(name, value, group='fake_driver')
    client = Client(service.app)
    yield client
    for name in SMALL:
        CONF.clear_override(name, group='fake_driver')


@pytest.fixture(params=['sqlite', 'mysql'])
def delfin_db(request, tmp_path):
    """(url, tag) of a filled Delfin database on the backend."""
    tag = secrets.token_hex(4)
    if request.param == 'sqlite':
        url = 'sqlite:///%s' % (tmp_path / 'delfin.sqlite')
    else:
        servers = request.getfixturevalue('db_servers')
        url = servers.url('mysql', '_delfin_%s' % tag).render_as_string(
            hide_password=False)
    delfin_v1.create(url)
    rows = delfin_v1.rows(tag)
    for row in rows['storages']:
        # The serial numbers the fake backend reports for these ids, so
        # that the storages sync once imported.
        if row['serial_number'] in ('%s-SN-A' % tag, '%s-SN-E' % tag):
            row['serial_number'] = _fake_serial(row['id'])
    delfin_v1.insert(url, rows)
    return url, tag


def _fake_serial(storage_id):
    from delfin.drivers import fake_storage
    backend = fake_storage.FakeStorageDriver(
        storage_id=storage_id, rest={'host': '192.0.2.1', 'port': 8443})
    return backend.get_storage(None)['serial_number']


def _ours():
    """Every row of the service's database, as text."""
    out = {}
    with db_engine.reader() as conn:
        for table in schema.metadata.sorted_tables:
            out[table.name] = sorted(
                repr(tuple(r)) for r in conn.execute(sa.select(table)))
    return out


def _counts(report):
    return ({t: n for t, n in report.imported.items() if n},
            {t: report.skipped_count(t) for t in report.tables()
             if report.skipped_count(t)})


def _wait_job(api, storage_id, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        job = api.get('/v1/storages/%s/jobs/%s' % (storage_id, job_id)).json
        if job['state'] in ('succeeded', 'failed', 'cancelled'):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_import_keeps_ids_reencrypts_and_is_idempotent(api, delfin_db):
    url, tag = delfin_db
    a, e = _id(tag, 1), _id(tag, 5)
    taken = db.create('storage', {
        'name': 'already here', 'vendor': 'fake_vendor',
        'model': 'fake_model', 'serial_number': '%s-SN-TAKEN' % tag,
        'sync_status': 0, 'deleted': False})
    # A row here with the id of one of Delfin's volumes (copied once).
    db.create('volume', {'id': _row_id(tag, 2, 4), 'storage_id': taken['id'],
                         'native_volume_id': 'copied'})
    source_before = delfin_v1.dump(url)

    dry = delfin_import.run(url, dry_run=True)
    assert _counts(dry) == (IMPORTED, SKIPPED)
    assert api.get('/v1/storages/%s' % a).status_int == 404

    ours_before = _ours()
    report = delfin_import.run(url, start_syncs=False)
    assert _counts(report) == (IMPORTED, SKIPPED)
    assert sorted(report.storages) == sorted([a, e])
    reasons = {why: ids for why, ids in report.skipped['storages'].items()}
    assert reasons['deleted in Delfin'] == [_id(tag, 2)]
    assert reasons['serial number %s-SN-TAKEN already registered as '
                   'storage %s' % (tag, taken['id'])] == [_id(tag, 4)]
    assert [ids for why, ids in reasons.items()
            if 'rest password is not base64' in why] == [[_id(tag, 3)]]
    assert report.skipped['volumes'][
        'another row of the storage has the same native id'] == [
        _row_id(tag, 2, 5)]
    assert report.skipped['volumes'][
        'its id is taken by a row of another storage here'] == [
        _row_id(tag, 2, 4)]
    assert 'tasks' in report.not_imported
    text = '\n'.join(report.lines())
    assert 'delfin-rest-pw' not in text

    # Ids kept: what scripts and dashboards hold still answers.
    storage = api.get('/v1/storages/%s' % a).json
    assert (storage['name'], storage['serial_number']) == (
        'delfin-array-a', _fake_serial(a))
    volume = api.get('/v1/volumes/%s' % _row_id(tag, 2, 3)).json
    assert (volume['native_volume_id'], volume['storage_id'],
            volume['compressed']) == ('volume_3', a, True)
    assert api.get('/v1/volumes?storage_id=%s' % a).json['total'] == 3
    [group] = api.get('/v1/storages/%s/storage-host-groups' % a).json[
        'storage_host_groups']
    assert group['storage_hosts'] == ['host_1']
    quota = api.get('/v1/quotas/%s' % _row_id(tag, 8, 1)).json
    assert quota['native_qtree_id'] == 'qt_1'

    # Passwords, communities and keys: readable with this service's keys,
    # never shown.
    access = db.get('access_info', a)
    assert cryptor.decode(access['rest']['password']) == 'delfin-rest-pw'
    assert cryptor.decode(access['ssh']['password']) == 'delfin-ssh-pw'
    assert access['cli'] is None and access['extra_attributes'] is None
    shown = api.get('/v1/storages/%s/access-info' % a)
    assert 'password' not in shown.text
    assert shown.json['storage_name'] == 'delfin-array-a'
    v2c = db.get('alert_source', a)
    assert cryptor.decode(v2c['community_string']) == 'public-delfin'
    v3 = db.get('alert_source', e)
    assert cryptor.decode(v3['auth_key']) == 'v3-auth-key-1'
    assert cryptor.decode(v3['privacy_key']) == 'v3-priv-key-1'
    assert api.get('/v1/storages/%s/alert-source' % a).json['version'] == \
        'SNMPv2c'

    # A second run changes nothing.
    ours_after = _ours()
    assert ours_after != ours_before
    again = delfin_import.run(url, start_syncs=False)
    assert _counts(again)[0] == {}
    assert again.present['storages'] == 2
    # Every Delfin row of a storage already here is left alone.
    assert again.present['volumes'] == 5
    assert _ours() == ours_after
    # The Delfin database is as it was.
    assert delfin_v1.dump(url) == source_before

    # Imported storages then sync with their driver.
    jobs = delfin_import.start_sync_jobs(report.storages)
    assert sorted(j['storage_id'] for j in jobs) == sorted([a, e])
    for job in jobs:
        done = _wait_job(api, job['storage_id'], job['id'])
        assert (done['state'], done['trigger']) == ('succeeded', 'import')
    # The fake backend's three volumes replaced Delfin's four.
    assert api.get('/v1/volumes?storage_id=%s' % a).json['total'] == 3


def test_not_a_delfin_database(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'other.sqlite')
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE things (id INTEGER)')
    engine.dispose()
    with pytest.raises(delfin_import.NotADelfinDatabase):
        delfin_import.run(url)


def test_command_line(tmp_path):
    tag = secrets.token_hex(4)
    source = 'sqlite:///%s' % (tmp_path / 'delfin.sqlite')
    delfin_v1.create(source)
    delfin_v1.fill(source, tag)
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\ntransport_url = fake://\n'
                    '[database]\nconnection = sqlite:///%s\n'
                    % (tmp_path / 'state', tmp_path / 'target.sqlite'))
    os.makedirs(tmp_path / 'state')

    def manage(*args):
        return subprocess.run(
            [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
             str(conf)] + list(args), capture_output=True, text=True,
            timeout=120)
    assert manage('db', 'upgrade').returncode == 0
    dry = manage('import-delfin', '--from', source, '--dry-run')
    assert dry.returncode == 0, dry.stderr
    assert 'Dry run: nothing was written.' in dry.stdout
    assert 'skipped 1 of storages: deleted in Delfin' in dry.stdout
    done = manage('import-delfin', '--from', source)
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line.split()[1:] for line in
             done.stdout.splitlines() if line.split()}
    # Imported, already present, skipped (here no serial number is taken).
    assert lines['storages'] == ['3', '0', '2']
    assert lines['volumes'] == ['4', '0', '3']
    assert '3 storage(s) imported' in done.stdout
    assert 'delfin-rest-pw' not in done.stdout + done.stderr
    again = manage('import-delfin', '--from', source)
    assert again.returncode == 0
    assert {line.split()[0]: line.split()[1:] for line in
            again.stdout.splitlines() if line.split()}['storages'] == [
        '0', '3', '2']
    missing = manage('import-delfin', '--from',
                     'sqlite:///%s' % (tmp_path / 'nothing.sqlite'))
    assert missing.returncode != 0


def test_import_into_every_backend(database, tmp_path):
    # The service's database on SQLite, PostgreSQL (rows go in by COPY)
    # and MariaDB.
    tag = secrets.token_hex(4)
    source = 'sqlite:///%s' % (tmp_path / 'delfin.sqlite')
    delfin_v1.create(source)
    delfin_v1.fill(source, tag)
    report = delfin_import.run(source, start_syncs=False)
    assert report.imported['storages'] == 3
    assert report.imported['volumes'] == 4
    volume = db.get('volume', _row_id(tag, 2, 3))
    assert (volume['native_volume_id'], volume['compressed'],
            volume['created_at']) == ('volume_3', True,
                                      datetime.datetime(2023, 5, 4, 10, 11,
                                                        12))
    ports = db.list_rows('port', filters={'storage_id': _id(tag, 1)})
    assert sorted(p['speed'] for p in ports) == [1600000000, 1600000000]
    assert cryptor.decode(db.get('access_info', _id(tag, 1))['rest'][
        'password']) == 'delfin-rest-pw'
    again = delfin_import.run(source, start_syncs=False)
    assert sum(again.imported.values()) == 0
