"""Sync jobs run through the real driver facade and the fake driver."""
import pytest

from delfin import context
from delfin.db import api as db_api
from delfin.drivers import api as driver_api
from delfin.drivers import manager as driver_manager
from delfin.resources import registry
from delfin.task_manager import jobs
from delfin.task_manager import sync

SHAPE = {'fake_pool_range': '3-3', 'fake_volume_range': '120-120',
         'fake_page_query_limit': '50', 'fake_controller_range': '2-2',
         'fake_port_range': '4-4', 'fake_disk_range': '6-6',
         'fake_filesystem_range': '2-2', 'fake_qtree_range': '3-3',
         'fake_quota_range': '3-3', 'fake_share_range': '3-3',
         'fake_host_range': '3-3', 'fake_initiator_range': '2-2',
         'fake_host_group_range': '2-2', 'fake_port_group_range': '2-2',
         'fake_volume_group_range': '2-2', 'fake_masking_view_range': '2-2'}


@pytest.fixture
def fake_storage(database, make_storage):
    extra = dict(SHAPE)
    api = driver_api.API()
    storage_id = db_api.new_id()
    access = {'vendor': 'fake_storage', 'model': 'fake_driver',
              'rest': {'host': '192.0.2.10', 'port': 8443,
                       'username': 'admin', 'password': 'unused'},
              'extra_attributes': extra, 'storage_id': storage_id}
    found = api.discover_storage(context.get_admin_context(), access)
    storage = make_storage(id=storage_id,
                           serial_number=found['serial_number'])
    db_api.create('access_info', {k: v for k, v in access.items()})
    yield storage
    driver_manager.get_manager().remove_driver(storage_id)


def _sync(storage_id):
    job = jobs.create_sync_job(storage_id)
    state = sync.run_sync_job(context.get_admin_context(), job['id'],
                              chunk_size=40)
    return state, jobs.get_job(job['id'])


def _expected(storage_id):
    api = driver_api.API()
    ctx = context.get_admin_context()
    counts = {}
    for kind in registry.inventory_kinds():
        counts[kind.name] = sum(
            1 for _ in api.list_resources(ctx, storage_id, kind.name))
    return counts


def test_every_kind_of_the_fake_driver_is_stored(fake_storage):
    sid = fake_storage['id']
    state, job = _sync(sid)
    assert state == 'succeeded', job['error']
    expected = _expected(sid)
    assert expected['volume'] == 120 and expected['storage_pool'] == 3
    for kind in registry.inventory_kinds():
        assert db_api.count(kind.name, {'storage_id': sid}) == \
            expected[kind.name], kind.name
        assert job['progress'][kind.name]['state'] == 'succeeded'
        assert job['progress'][kind.name]['items'] == expected[kind.name]
    # The fake driver is deterministic: nothing to write the second time.
    state, job = _sync(sid)
    assert state == 'succeeded'
    assert all(p['written'] == {'inserted': 0, 'updated': 0, 'deleted': 0}
               for p in job['progress'].values())


def test_churn_is_written_as_a_diff(fake_storage):
    sid = fake_storage['id']
    assert _sync(sid)[0] == 'succeeded'
    access = db_api.get('access_info', sid)
    extra = dict(access['extra_attributes'], churn=0.2)
    db_api.update('access_info', sid, {'extra_attributes': extra})
    state, job = _sync(sid)
    assert state == 'succeeded', job['error']
    written = job['progress']['volume']['written']
    # Replaced volumes are deleted and inserted, the others updated.
    assert written['inserted'] == written['deleted'] > 0
    assert written['updated'] > 0
    assert db_api.count('volume', {'storage_id': sid}) == \
        _expected(sid)['volume']


def _stored_rows(storage_id, kind):
    rows = db_api.list_rows(kind.name, {'storage_id': storage_id},
                            limit=100000)
    return {tuple(r[n] for n in kind.identity):
            tuple(r[n] for n in kind.field_names) for r in rows}


def _listed_rows(storage_id, kind):
    validate = sync.validator(kind)
    items = driver_api.API().list_resources(context.get_admin_context(),
                                            storage_id, kind.name)
    out = {}
    for item in items:
        values = validate(item)
        out[tuple(values[kind.field_names.index(n)]
                  for n in kind.identity)] = values
    return out


def test_stored_rows_follow_every_generation_of_a_churning_backend(
        fake_storage):
    # Most chunks of each generation are new, some are as before; the
    # rows must be the driver's listing, field by field, every time.
    sid = fake_storage['id']
    assert _sync(sid)[0] == 'succeeded'
    access = db_api.get('access_info', sid)
    extra = dict(access['extra_attributes'], churn=0.05)
    db_api.update('access_info', sid, {'extra_attributes': extra})
    for _generation in range(3):
        state, job = _sync(sid)
        assert state == 'succeeded', job['error']
        for kind in registry.inventory_kinds():
            assert _stored_rows(sid, kind) == _listed_rows(sid, kind), \
                kind.name
    # Back to a still backend: nothing to write, and still the listing.
    extra['churn'] = 0
    db_api.update('access_info', sid, {'extra_attributes': extra})
    _sync(sid)
    state, job = _sync(sid)
    assert all(p['written'] == {'inserted': 0, 'updated': 0, 'deleted': 0}
               for p in job['progress'].values())
    volume = registry.by_name('volume')
    assert _stored_rows(sid, volume) == _listed_rows(sid, volume)


def test_unsupported_and_failing_listers(fake_storage):
    sid = fake_storage['id']
    access = db_api.get('access_info', sid)
    extra = dict(access['extra_attributes'],
                 not_implemented=['list_quotas'], fail_on=['list_ports'])
    db_api.update('access_info', sid, {'extra_attributes': extra})
    state, job = _sync(sid)
    assert state == 'failed'
    assert job['progress']['quota'] == {'state': 'unsupported'}
    assert job['progress']['port']['state'] == 'failed'
    assert 'StorageBackendException' in job['error']
    assert job['progress']['volume']['state'] == 'succeeded'
    assert db_api.count('volume', {'storage_id': sid}) == 120
