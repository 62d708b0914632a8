"""Scale-out RPC for real: the API side casts over RabbitMQ to a
``delfin-task`` process, which runs the sync job on the shared database."""
import os
import subprocess
import sys
import uuid

import pytest
from oslo_config import cfg

from delfin import context
from delfin import cryptor
from delfin import rpc
from delfin.db import api as db_api
from delfin.task_manager import jobs
from delfin.task_manager import rpcapi
from delfin.tests import conftest

CONF = cfg.CONF
VOLUMES = 20


def _command():
    script = os.path.join(os.path.dirname(sys.executable), 'delfin-task')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'delfin.cmd.task']


@pytest.fixture
def task_process(sqlite_engine, tmp_path):
    """A delfin-task process on RabbitMQ, on this test's database."""
    url = conftest.require_service('rabbitmq')
    suffix = uuid.uuid4().hex[:8]
    host, topic = 'task-node-%s' % suffix, 'delfin-task-test-%s' % suffix
    key_file = tmp_path / 'secret.key'
    CONF.set_override('secret_key_file', str(key_file), group='security')
    cryptor.reset()
    cryptor.encode('creates the shared key file')
    conf = tmp_path / 'task.conf'
    conf.write_text('\n'.join([
        '[DEFAULT]',
        'state_path = %s' % (tmp_path / 'state'),
        'host = %s' % host,
        'transport_url = %s' % url,
        'delfin_task_topic = %s' % topic,
        '[database]',
        'connection = %s' % CONF.database.connection,
        '[security]',
        'secret_key_file = %s' % key_file,
        '[sync]',
        'interval = 0',
        '[fake_driver]',
        'fake_volume_range = %d-%d' % (VOLUMES, VOLUMES),
        '']))
    log_path = tmp_path / 'task.log'
    log = open(log_path, 'w')
    proc = subprocess.Popen(_command() + ['--config-file', str(conf)],
                            stdout=log, stderr=subprocess.STDOUT)

    def listening():
        if proc.poll() is not None:
            raise AssertionError('delfin-task exited with %s:\n%s'
                                 % (proc.returncode, log_path.read_text()))
        return 'Task RPC server on topic' in log_path.read_text()

    rpc.cleanup()
    rpc.register_opts(CONF)
    CONF.set_override('transport_url', url)
    try:
        conftest.wait_for(listening, 90, 0.2, what='delfin-task listening')
        yield proc, host, topic, log_path
    finally:
        rpc.cleanup()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        cryptor.reset()


def _register():
    from delfin.drivers import api as driver_api
    access_info = dict(vendor='fake_storage', model='fake_driver',
                       rest={'host': '192.0.2.7', 'port': 8443,
                             'username': 'admin',
                             'password': cryptor.encode('pw')})
    storage = driver_api.API().discover_storage(
        context.get_admin_context(), access_info)
    db_api.create('storage', storage)
    db_api.create('access_info', dict(access_info, storage_id=storage['id']))
    return storage['id']


def test_sync_cast_over_rabbitmq_runs_on_the_task_process(task_process):
    proc, host, topic, log_path = task_process
    assert not rpc.is_in_process()
    storage_id = _register()
    job = jobs.create_sync_job(storage_id, trigger='manual')
    rpcapi.TaskAPI(topic=topic).sync_storage(
        context.get_admin_context(), storage_id, job['id'])

    def finished():
        current = jobs.get_job(job['id'])
        return current['state'] in ('succeeded', 'failed', 'cancelled') \
            and current
    done = conftest.wait_for(finished, 120, 0.1, what='job finished')
    assert done['state'] == 'succeeded', done.get('error')
    assert done['host'] == host
    assert db_api.count('volume', {'storage_id': storage_id}) == VOLUMES

    proc.terminate()
    assert proc.wait(30) == 0, log_path.read_text()[-3000:]
