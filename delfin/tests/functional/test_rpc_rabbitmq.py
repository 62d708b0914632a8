"""Scale-out for real: ``delfin-api`` and ``delfin-task`` as separate
processes that share a database, talk over RabbitMQ and coordinate through
Redis; only their configuration differs from ``delfin-all``."""
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest

from delfin.tests import conftest

VOLUMES = 20


def _command(name):
    script = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'delfin.cmd.%s' % name.split('-')[1]]


def _http(base, method, path, body=None):
    data = json.dumps(body).encode('utf-8') if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


class Service(object):
    def __init__(self, name, conf, log_path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, 'w')
        self.proc = subprocess.Popen(
            _command(name) + ['--config-file', str(conf)],
            stdout=self._log, stderr=subprocess.STDOUT)

    def log(self):
        return self.log_path.read_text()

    def check_running(self):
        if self.proc.poll() is not None:
            raise AssertionError('%s exited with %s:\n%s'
                                 % (self.name, self.proc.returncode,
                                    self.log()[-4000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def split_services(tmp_path):
    rabbit = conftest.require_service('rabbitmq')
    redis = conftest.require_service('redis')
    suffix = uuid.uuid4().hex[:8]
    port = conftest.free_port()
    common = [
        'transport_url = %s' % rabbit,
        # A topic and a coordination namespace of this run only.
        'delfin_task_topic = delfin-task-test-%s' % suffix,
        '[database]',
        'connection = sqlite:///%s' % (tmp_path / 'delfin.sqlite'),
        '[coordination]',
        'backend_url = %s?namespace=delfin-test-%s' % (redis, suffix),
        '[security]',
        'secret_key_file = %s' % (tmp_path / 'secret.key'),
        '[sync]',
        'interval = 0',
        '[fake_driver]',
        'fake_volume_range = %d-%d' % (VOLUMES, VOLUMES),
        '']
    services = {}
    base = 'http://127.0.0.1:%d' % port
    try:
        for name, extra in (
                ('delfin-task', ['host = task-node-%s' % suffix]),
                ('delfin-api', ['host = api-node-%s' % suffix,
                                'delfin_listen = 127.0.0.1',
                                'delfin_listen_port = %d' % port])):
            conf = tmp_path / ('%s.conf' % name)
            conf.write_text('\n'.join(
                ['[DEFAULT]', 'state_path = %s' % (tmp_path / name)] + extra
                + common))
            services[name] = Service(name, conf,
                                     tmp_path / ('%s.log' % name))

        def ready():
            for service in services.values():
                service.check_running()
            if 'Task RPC server on topic' not in \
                    services['delfin-task'].log():
                return False
            try:
                return _http(base, 'GET', '/v1/storages')[0] == 200
            except OSError:
                return False
        conftest.wait_for(ready, 120, 0.2, what='delfin-api and delfin-task')
        yield base, services, 'task-node-%s' % suffix
    finally:
        for service in services.values():
            service.stop()


def test_api_and_task_processes_over_rabbitmq(split_services):
    base, services, task_host = split_services
    status, storage = _http(base, 'POST', '/v1/storages', {
        'vendor': 'fake_storage', 'model': 'fake_driver',
        'rest': {'host': '192.0.2.77', 'port': 8443, 'username': 'admin',
                 'password': 'pw'}})
    assert status == 201, storage
    storage_id = storage['id']

    def synced():
        s, body = _http(base, 'GET', '/v1/storages/%s' % storage_id)
        assert s == 200
        return body['sync_status'] == 'SYNCED'
    conftest.wait_for(synced, 120, 0.1, what='sync by the task process')
    _s, jobs = _http(base, 'GET', '/v1/storages/%s/jobs' % storage_id)
    assert [(j['state'], j['host']) for j in jobs['jobs']] == \
        [('succeeded', task_host)]
    _s, volumes = _http(base, 'GET', '/v1/volumes?storage_id=%s&limit=5'
                        % storage_id)
    assert volumes['total'] == VOLUMES
    assert 'Joined group delfin-task as %s' % task_host in \
        services['delfin-task'].log()

    status, _ = _http(base, 'DELETE', '/v1/storages/%s' % storage_id)
    assert status == 202
    for name in ('delfin-api', 'delfin-task'):
        assert services[name].stop() == 0, services[name].log()[-3000:]
