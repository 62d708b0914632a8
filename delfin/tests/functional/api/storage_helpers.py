"""What the storage API tests share: the fake driver's small inventory,
the client of the application with a task node (``small_inventory``),
registration
bodies and the check that no password is ever answered."""
from oslo_config import cfg

CONF = cfg.CONF
PASSWORD = 'pa55-w0rd-never-shown'
NEW_PASSWORD = 'another-s3cret-value'
SMALL = {'fake_pool_range': '2-2', 'fake_volume_range': '12-12',
         'fake_controller_range': '2-2', 'fake_port_range': '3-3',
         'fake_disk_range': '3-3', 'fake_filesystem_range': '2-2',
         'fake_qtree_range': '2-2', 'fake_quota_range': '2-2',
         'fake_share_range': '2-2', 'fake_host_range': '2-2',
         'fake_initiator_range': '1-1', 'fake_host_group_range': '2-2',
         'fake_port_group_range': '2-2', 'fake_volume_group_range': '2-2',
         'fake_masking_view_range': '2-2'}
# About 0.05 s per driver call: a sync lasts about a second.
SLOW = {'fake_api_time_range': '0.05-0.05'}


def small_inventory(api_service):
    """The body of a module's ``api`` fixture: ``api_service`` with the
    fake driver's small inventory."""
    for name, value in SMALL.items():
        CONF.set_override(name, value, group='fake_driver')
    yield api_service
    for name in SMALL:
        CONF.clear_override(name, group='fake_driver')


def _body(host, password=PASSWORD, **extra):
    body = {'vendor': 'fake_storage', 'model': 'fake_driver',
            'rest': {'host': host, 'port': 8443, 'username': 'admin',
                     'password': password}}
    body.update(extra)
    return body


def _register(api, host, **extra):
    resp = api.post('/v1/storages', _body(host, **extra))
    assert resp.status_int == 201, resp.text
    return resp.json


def _no_secret(resp):
    assert PASSWORD not in resp.text
    assert NEW_PASSWORD not in resp.text
    assert '"password"' not in resp.text
    return resp


def _last_job(api, storage_id):
    jobs = api.get('/v1/storages/%s/jobs?limit=1' % storage_id).json
    return jobs['jobs'][0]
