"""TaskAPI casts reach the TaskManager of a task node over the in-process
transport and do their work there."""
import pytest

from delfin import context
from delfin import rpc
from delfin import service
from delfin.db import api as db_api
from delfin.drivers import manager as driver_manager
from delfin.task_manager import rpcapi
from delfin.tests import conftest


@pytest.fixture
def task_node(sqlite_engine):
    rpc.cleanup()
    node = service.RpcServer()
    node.start()
    yield node
    node.stop(10)
    rpc.cleanup()


def test_remove_storage_drops_the_driver_on_the_task_node(task_node):
    storage_id = conftest.register_fake_storage()
    drivers = driver_manager.get_manager()
    drivers.get_driver(storage_id)
    assert drivers.cached_driver(storage_id) is not None
    rpcapi.TaskAPI().remove_storage(context.get_admin_context(), storage_id)
    conftest.wait_for(lambda: drivers.cached_driver(storage_id) is None,
                      10, what='driver removed')


def test_sync_storage_runs_the_job(task_node):
    jobs = pytest.importorskip('delfin.task_manager.jobs')
    storage_id = conftest.register_fake_storage()
    job = jobs.create_sync_job(storage_id, trigger='manual')
    rpcapi.TaskAPI().sync_storage(context.get_admin_context(), storage_id,
                                  job['id'])
    done = conftest.wait_for(
        lambda: jobs.get_job(job['id'])['state'] in
        ('succeeded', 'failed', 'cancelled') and jobs.get_job(job['id']),
        30, what='sync job finished')
    assert done['state'] == 'succeeded', done.get('error')
    assert db_api.count('volume', {'storage_id': storage_id}) > 0


def test_alert_sync_stores_the_backend_alerts(task_node):
    from delfin.alert_manager import store  # noqa: F401  (the alert table)
    storage_id = conftest.register_fake_storage()
    rpcapi.TaskAPI().sync_storage_alerts(context.get_admin_context(),
                                         storage_id, None)
    count = conftest.wait_for(
        lambda: db_api.count('alert', {'storage_id': storage_id}), 30,
        what='alerts stored')
    # [fake_driver] fake_alert_range defaults to exactly 4 alerts.
    assert count == 4


def test_casts_use_the_configured_topic(task_node):
    assert rpcapi.TaskAPI().topic == 'delfin-task'
    assert task_node.topic == 'delfin-task'
