"""Storages, sync jobs and capabilities, end to end: the real
application, the fake driver, and the task service in-process (access
information: test_storage_access_info.py).
"""
import concurrent.futures
import datetime
import logging

import pytest

from delfin import cryptor
from delfin.db import api as db
from delfin.tests.functional.api.conftest import make_storage
from delfin.tests.functional.api import storage_helpers
from delfin.tests.functional.api.storage_helpers import (
    CONF, PASSWORD, SLOW, _body, _last_job, _no_secret, _register)
from delfin.tests.unit.drivers import conftest as driver_fixtures


@pytest.fixture(scope='module')
def api(api_service):
    yield from storage_helpers.small_inventory(api_service)


# -- registration -------------------------------------------------------

def test_register_syncs_every_kind(api):
    resp = _no_secret(api.post('/v1/storages', _body('192.0.2.10')))
    assert resp.status_int == 201
    storage = resp.json
    assert storage['vendor'] == 'fake_vendor'
    assert storage['model'] == 'fake_model'
    assert storage['serial_number']
    assert storage['deleted'] is False
    assert storage['sync_status'] in ('SYNCING', 'SYNCED')
    job = _last_job(api, storage['id'])
    assert job['trigger'] == 'register'
    job = api.wait_job(storage['id'], job['id'])
    assert job['state'] == 'succeeded', job
    api.wait_idle(storage['id'])
    sid = storage['id']
    volumes = api.get('/v1/volumes?storage_id=%s' % sid).json
    assert volumes['total'] == 12
    assert api.get('/v1/storage-pools?storage_id=%s'
                   % sid).json['total'] == 2
    hosts = api.get('/v1/storages/%s/storage-hosts' % sid).json
    assert hosts['total'] == 2
    for host in hosts['storage_hosts']:
        assert len(host['storage_host_initiators']) == 1
    groups = api.get('/v1/storages/%s/storage-host-groups' % sid).json
    assert groups['total'] == 2
    shown = api.get('/v1/storages/%s' % sid).json
    assert shown['sync_status'] == 'SYNCED'
    assert 'freshness' not in shown
    volume = api.get('/v1/storages/%s/freshness' % sid).json[
        'freshness']['volume']
    assert volume['item_count'] == 12
    assert volume['last_error'] is None
    assert volume['last_success_at'] and volume['last_duration'] >= 0
    assert volume['last_job_id'] == job['id']


def test_register_response_says_syncing_while_the_first_sync_runs(api):
    storage = _register(api, '192.0.2.11', extra_attributes=SLOW)
    assert storage['sync_status'] == 'SYNCING'
    job = _last_job(api, storage['id'])
    assert job['state'] in ('queued', 'running')
    assert api.wait_job(storage['id'], job['id'])['state'] == 'succeeded'
    assert api.get('/v1/storages/%s' % storage['id']).json[
        'sync_status'] == 'SYNCED'


def test_password_is_stored_encrypted(api):
    storage = _register(api, '192.0.2.12')
    row = db.get('access_info', storage['id'])
    assert row['rest']['password'] != PASSWORD
    assert cryptor.decode(row['rest']['password']) == PASSWORD


def test_register_same_backend_twice_is_400(api):
    _register(api, '192.0.2.13')
    resp = api.post('/v1/storages', _body('192.0.2.13', password='other'))
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'StorageAlreadyExists'
    assert resp.json['error_msg'] == 'Storage already exists.'


def test_same_host_other_port_is_another_backend(api):
    _register(api, '192.0.2.14')
    body = _body('192.0.2.14')
    body['rest']['port'] = 9443
    assert api.post('/v1/storages', body).status_int == 201


def test_unknown_driver_is_404(api):
    body = _body('192.0.2.15')
    body['vendor'] = 'nobody'
    resp = api.post('/v1/storages', body)
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'StorageDriverNotFound'


@pytest.mark.usefixtures('sample_entry_points')
def test_driver_lacking_contract_methods_is_refused_naming_them(api, caplog):
    body = _body('192.0.2.18')
    body.update(vendor='sample', model='incomplete')
    resp = _no_secret(api.post('/v1/storages', body))
    assert resp.status_int == 500
    assert resp.json['error_code'] == 'StorageDriverIncomplete'
    assert resp.json['error_msg'].endswith(
        'driver contract: clear_alert, list_alerts.')
    assert 'clear_alert, list_alerts' in caplog.text
    hosts = [r['rest']['host'] for r in db.list_rows('access_info')]
    assert '192.0.2.18' not in hosts


@pytest.mark.parametrize('body,fragment', [
    ({'vendor': 'fake_storage', 'model': 'fake_driver'},
     'At least one of rest, ssh, cli, smis is required'),
    ({'model': 'fake_driver', 'rest': _body('h')['rest']},
     "'vendor' is a required property"),
    (dict(_body('h'), name='x'), 'Additional properties are not allowed'),
    (_body('h', password=''), 'password'),
])
def test_invalid_registration_is_400(api, body, fragment):
    resp = _no_secret(api.post('/v1/storages', body))
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'InvalidInput'
    assert fragment in resp.json['error_msg']


def test_registration_without_body_is_400(api):
    resp = api.post('/v1/storages')
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'MalformedRequestBody'


def test_registration_with_malformed_json_is_400(api):
    resp = api.post('/v1/storages', raw=b'{"vendor": "fake_storage",')
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'MalformedRequestBody'


def test_registration_with_form_body_is_400(api):
    resp = api.post('/v1/storages', raw=b'vendor=x',
                    content_type='application/x-www-form-urlencoded')
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'InvalidContentType'


def test_backend_failure_at_registration_is_reported(api):
    resp = api.post('/v1/storages', _body(
        '192.0.2.16', extra_attributes={'fail_on': 'get_storage'}))
    assert resp.status_int == 500
    assert resp.json['error_code'] == 'StorageBackendException'
    hosts = [r['rest']['host'] for r in db.list_rows('access_info')]
    assert '192.0.2.16' not in hosts


def test_backend_that_hangs_is_cut_by_the_timeout(api):
    CONF.set_override('api_backend_timeout', 1)
    try:
        resp = api.post('/v1/storages', _body(
            '192.0.2.17', extra_attributes={'fake_api_time_range': '3-3'}))
    finally:
        CONF.clear_override('api_backend_timeout')
    assert resp.status_int == 500
    assert resp.json['error_code'] == 'StorageBackendException'
    hosts = [r['rest']['host'] for r in db.list_rows('access_info')]
    assert '192.0.2.17' not in hosts


# -- list and show ------------------------------------------------------

def test_list_storages(api):
    body = _no_secret(api.get('/v1/storages')).json
    assert body['total'] == len(body['storages']) >= 3
    for storage in body['storages']:
        assert storage['sync_status'] in ('SYNCED', 'SYNCING')
    first = body['storages'][0]
    by_serial = api.get('/v1/storages?serial_number=%s'
                        % first['serial_number']).json
    assert [s['id'] for s in by_serial['storages']] == [first['id']]
    assert api.get('/v1/storages?vendor=nobody').json == {'storages': [],
                                                          'total': 0}
    page = api.get('/v1/storages?limit=1&marker=%s' % first['id']).json
    assert page['storages'][0]['id'] == body['storages'][1]['id']


def test_list_and_show_follow_every_change_of_a_storage(api):
    from delfin.task_manager import jobs
    storage = make_storage(name='changing', total_capacity=10)
    path = '/v1/storages/%s' % storage['id']

    def both():
        shown = api.get(path).json
        listed = {s['id']: s for s in api.get('/v1/storages').json[
            'storages']}
        assert listed[storage['id']] == shown
        return shown

    first = both()
    assert (first['name'], first['total_capacity'], first['sync_status']) \
        == ('changing', 10, 'SYNCED')
    db.update('storage', storage['id'], {'total_capacity': 11,
                                         'name': 'renamed'})
    second = both()
    assert (second['name'], second['total_capacity']) == ('renamed', 11)
    assert second['updated_at'] != first['updated_at']
    # A change the row does not show (a sync job starts, then ends).
    jobs.create_sync_job(storage['id'], trigger=jobs.TRIGGER_MANUAL)
    assert both()['sync_status'] == 'SYNCING'
    jobs.cancel_jobs(storage['id'])
    assert both() == second
    db.update('storage', storage['id'], {'deleted': True})
    assert api.get(path).status_int == 404
    assert storage['id'] not in [
        s['id'] for s in api.get('/v1/storages').json['storages']]


def test_a_sync_job_that_stops_reporting_ends_syncing_without_a_write(
        api, monkeypatch):
    from delfin.task_manager import jobs
    storage = make_storage(name='lost-job')
    path = '/v1/storages/%s' % storage['id']

    def statuses():
        listed = {s['id']: s['sync_status']
                  for s in api.get('/v1/storages').json['storages']}
        return api.get(path).json['sync_status'], listed[storage['id']]

    assert statuses() == ('SYNCED', 'SYNCED')
    jobs.create_sync_job(storage['id'], trigger=jobs.TRIGGER_MANUAL)
    # Asked twice: the second answer may come from what the first read.
    assert statuses() == statuses() == ('SYNCING', 'SYNCING')
    # Time passes, the job's node is gone: nothing is written, and yet
    # the job no longer counts.
    later = jobs.sync_cutoff() + datetime.timedelta(days=1)
    monkeypatch.setattr(jobs, 'sync_cutoff', lambda: later)
    assert statuses() == ('SYNCED', 'SYNCED')
    monkeypatch.undo()
    jobs.cancel_jobs(storage['id'])
    db.update('storage', storage['id'], {'deleted': True})


def test_the_default_page_follows_the_largest_page_setting(api):
    storages = [make_storage(name='paged-%d' % i) for i in range(3)]
    try:
        everything = api.get('/v1/storages').json
        assert len(everything['storages']) == everything['total'] >= 3
        CONF.set_override('api_max_limit', 2)
        try:
            page = api.get('/v1/storages').json
        finally:
            CONF.clear_override('api_max_limit')
        assert len(page['storages']) == 2
        assert page['total'] == everything['total']
    finally:
        for storage in storages:
            db.update('storage', storage['id'], {'deleted': True})


@pytest.mark.parametrize('query', ['sync_status=SYNCED', 'deleted=1',
                                   'bogus=1'])
def test_unknown_storage_list_parameter_is_ignored(api, query):
    registered = api.get('/v1/storages').json['total']
    resp = api.get('/v1/storages?' + query)
    assert resp.status_int == 200, resp.text
    assert resp.json['total'] == registered


@pytest.mark.parametrize('query', ['limit=-3', 'sort=nope', 'offset=x'])
def test_bad_storage_list_query_is_400(api, query):
    resp = api.get('/v1/storages?' + query)
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'InvalidInput'


def test_show_unknown_storage_is_404(api):
    resp = api.get('/v1/storages/nope')
    assert resp.status_int == 404
    assert resp.json == {'error_code': 'StorageNotFound',
                         'error_msg': 'Storage nope could not be found.',
                         'error_args': ['nope']}


# -- sync -----------------------------------------------------------------

def test_sync_returns_202_with_the_job(api):
    storage = _register(api, '192.0.2.20')
    api.wait_idle(storage['id'])
    resp = api.post('/v1/storages/%s/sync' % storage['id'])
    assert resp.status_int == 202
    job = resp.json
    assert job['storage_id'] == storage['id']
    assert job['trigger'] == 'manual'
    assert job['state'] in ('queued', 'running', 'succeeded')
    done = api.wait_job(storage['id'], job['id'])
    assert done['state'] == 'succeeded'
    assert done['started_at'] and done['finished_at']
    shown = api.get('/v1/storages/%s/jobs/%s' % (storage['id'], job['id']))
    assert shown.json['id'] == job['id']


def test_sync_of_a_busy_storage_is_400(api):
    storage = _register(api, '192.0.2.21', extra_attributes=SLOW)
    resp = api.post('/v1/storages/%s/sync' % storage['id'])
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'StorageIsSyncing'
    assert resp.json['error_args'] == [storage['id']]
    api.wait_idle(storage['id'])


def test_sync_of_unknown_storage_is_404(api):
    resp = api.post('/v1/storages/nope/sync')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'StorageNotFound'


def test_sync_refuses_a_body(api):
    storage = _register(api, '192.0.2.22')
    api.wait_idle(storage['id'])
    resp = api.post('/v1/storages/%s/sync' % storage['id'], {'x': 1})
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'BadRequest'


def test_sync_all_skips_busy_storages(api):
    busy = _register(api, '192.0.2.23', extra_attributes=SLOW)
    storages = api.get('/v1/storages').json['storages']
    for s in storages:
        if s['id'] != busy['id']:
            api.wait_idle(s['id'])
    resp = api.post('/v1/storages/sync')
    assert resp.status_int == 202
    started = {j['storage_id'] for j in resp.json['jobs']}
    assert busy['id'] not in started
    assert started == {s['id'] for s in storages} - {busy['id']}
    # The busy storage is named, with the reason, instead of left out
    # silently.
    assert [(s['storage_id'], s['error_code']) for s in
            resp.json['skipped']] == [(busy['id'], 'StorageIsSyncing')]
    for job in resp.json['jobs']:
        assert api.wait_job(job['storage_id'], job['id'])['state'] == \
            'succeeded'


def test_two_syncs_of_all_storages_at_once_log_no_error(api, caplog):
    # Storages whose syncs outlast both requests: a fast sync of another
    # storage may end between the two requests and rightly start again.
    slow = {_register(api, host, extra_attributes={
        'fake_api_time_range': '0.1-0.1'})['id']
        for host in ('192.0.2.26', '192.0.2.27', '192.0.2.28')}
    storages = api.get('/v1/storages').json['storages']
    for s in storages:
        api.wait_idle(s['id'])
    caplog.set_level(logging.INFO)
    for _ in range(5):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(
                lambda _: api.post('/v1/storages/sync'), range(2)))
        assert [a.status_int for a in answers] == [202, 202]
        started = [j['storage_id'] for a in answers for j in a.json['jobs']
                   if j['storage_id'] in slow]
        # Each slow storage syncs once: the request that lost the race for
        # it skipped it.
        assert sorted(started) == sorted(slow)
        for s in storages:
            api.wait_idle(s['id'])
    errors = [r.getMessage() for r in caplog.records
              if r.levelno >= logging.ERROR]
    assert errors == []


def test_jobs_list_and_errors(api):
    storage = _register(api, '192.0.2.24')
    api.wait_idle(storage['id'])
    api.post('/v1/storages/%s/sync' % storage['id'])
    api.wait_idle(storage['id'])
    body = api.get('/v1/storages/%s/jobs' % storage['id']).json
    assert body['total'] == 2
    assert [j['trigger'] for j in body['jobs']] == ['manual', 'register']
    page = api.get('/v1/storages/%s/jobs?limit=1&marker=%s'
                   % (storage['id'], body['jobs'][0]['id'])).json
    assert [j['id'] for j in page['jobs']] == [body['jobs'][1]['id']]
    only = api.get('/v1/storages/%s/jobs?trigger=register'
                   % storage['id']).json
    assert only['total'] == 1
    assert api.get('/v1/storages/%s/jobs?bogus=1'
                   % storage['id']).json['total'] == 2
    assert api.get('/v1/storages/%s/jobs?limit=x'
                   % storage['id']).status_int == 400
    assert api.get('/v1/storages/nope/jobs').json['error_code'] == \
        'StorageNotFound'
    resp = api.get('/v1/storages/%s/jobs/nope' % storage['id'])
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'SyncJobNotFound'
    other = _register(api, '192.0.2.25')
    resp = api.get('/v1/storages/%s/jobs/%s'
                   % (other['id'], body['jobs'][0]['id']))
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'SyncJobNotFound'


def test_failed_sync_is_recorded_in_the_job(api):
    storage = _register(api, '192.0.2.26',
                        extra_attributes={'fail_on': 'list_volumes'})
    job = api.wait_job(storage['id'], _last_job(api, storage['id'])['id'])
    assert job['state'] == 'failed'
    assert job['error']
    shown = api.get('/v1/storages/%s' % storage['id']).json
    assert shown['sync_status'] == 'SYNCED'
    fresh = api.get('/v1/storages/%s/freshness' % storage['id']).json[
        'freshness']
    assert fresh['volume']['last_error']
    assert fresh['volume']['last_success_at'] is None
    assert fresh['storage_pool']['last_error'] is None
    listed = api.get('/v1/storages?serial_number=%s'
                     % shown['serial_number']).json['storages'][0]
    # List and detail carry Delfin's fields only, the same.
    assert listed == shown


def test_freshness_of_an_unknown_storage_is_a_404(api):
    resp = api.get('/v1/storages/%s/freshness'
                   % '00000000-0000-4000-8000-000000000000')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'StorageNotFound'


# -- capabilities ---------------------------------------------------------

def test_capabilities(api):
    storage = _register(api, '192.0.2.30')
    resp = api.get('/v1/storages/%s/capabilities' % storage['id'])
    assert resp.status_int == 200
    body = resp.json
    assert body['metadata'] == {'vendor': 'fake_vendor',
                                'model': 'fake_model'}
    assert body['spec']['resource_metrics']
    assert body['resources']['volume'] == 'supported'


def test_capabilities_list_the_metrics(api):
    storage = _register(api, '192.0.2.31')
    body = api.get('/v1/storages/%s/capabilities' % storage['id']).json
    assert {(m['resource_type'], m['name']) for m in body['metrics']} == {
        (rtype, name) for rtype, metrics in
        body['spec']['resource_metrics'].items() for name in metrics}


sample_entry_points = driver_fixtures.sample_entry_points


def test_capabilities_of_a_driver_without_metrics(api, sample_entry_points):
    resp = api.post('/v1/storages', {
        'vendor': 'sample', 'model': 'no_metrics',
        'rest': {'host': '192.0.2.32', 'port': 8443, 'username': 'admin',
                 'password': PASSWORD}})
    assert resp.status_int == 201, resp.text
    resp = api.get('/v1/storages/%s/capabilities' % resp.json['id'])
    assert resp.status_int == 200, resp.text
    body = resp.json
    assert body['metrics'] == []
    assert body['spec'] == {'is_historic': False, 'resource_metrics': {}}
    assert body['resources']['volume'] == 'supported'
    assert body['resources']['qtree'] == 'unsupported'


def test_capabilities_of_unknown_storage_is_404(api):
    resp = api.get('/v1/storages/nope/capabilities')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'StorageNotFound'


# -- delete -------------------------------------------------------------------

def test_delete_removes_the_storage_and_its_rows(api):
    storage = _register(api, '192.0.2.50')
    api.wait_idle(storage['id'])
    sid = storage['id']
    assert api.get('/v1/volumes?storage_id=%s' % sid).json['total'] == 12
    resp = api.delete('/v1/storages/%s' % sid)
    assert resp.status_int == 202
    assert resp.body == b''
    assert api.get('/v1/storages/%s' % sid).status_int == 404
    assert api.get('/v1/volumes?storage_id=%s' % sid).json['total'] == 0
    assert api.get('/v1/storages/%s/access-info' % sid).status_int == 404
    assert api.delete('/v1/storages/%s' % sid).status_int == 404


def test_delete_during_sync_leaves_nothing_behind(api):
    storage = _register(api, '192.0.2.51', extra_attributes=SLOW)
    sid = storage['id']
    assert api.delete('/v1/storages/%s' % sid).status_int == 202
    api.wait_task_idle()
    for kind in ('volumes', 'storage-pools', 'ports', 'disks'):
        assert api.get('/v1/%s?storage_id=%s' % (kind, sid)).json[
            'total'] == 0
    assert db.list_rows('sync_job', filters={'storage_id': sid}) == []


def test_the_same_backend_can_be_registered_again_after_delete(api):
    storage = _register(api, '192.0.2.52')
    api.wait_idle(storage['id'])
    assert api.delete('/v1/storages/%s' % storage['id']).status_int == 202
    assert api.post('/v1/storages', _body('192.0.2.52')).status_int == 201


def test_unknown_routes_and_methods_are_json_404(api):
    for method, path in (('GET', '/'), ('GET', '/v2/storages'),
                         ('PUT', '/v1/storages'),
                         ('PATCH', '/v1/storages/x'),
                         ('DELETE', '/v1/volumes/x'),
                         ('GET', '/v1/storages/x/nothing')):
        resp = api.request(method, path)
        assert resp.status_int == 404
        assert resp.json['error_code'] == 'NotFound'


def test_extensions(api):
    assert api.get('/v1/extensions').json == {'extensions': []}
    resp = api.get('/v1/extensions/anything')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'NotFound'
