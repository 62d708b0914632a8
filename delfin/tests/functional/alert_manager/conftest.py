"""Fixtures of the alert pipeline tests.

* the database fixtures on every backend (see delfin.tests.fixtures.db);
* ``pipeline``: the real service in this process on a fresh SQLite
  database: the API application, a task node on the ``fake://`` transport
  and the alert service listening for traps on a loopback port, with the
  fake storage driver; `Pipeline` registers storages, configures their
  alert sources, sends traps with net-snmp's ``snmptrap`` and reads
  alerts and metrics back over the API.
"""
import json
import os
import subprocess

import pytest
import webob

from delfin import rpc  # noqa: F401  (native threads for oslo.messaging)
from oslo_config import cfg  # noqa: E402

from delfin.tests import conftest  # noqa: E402
from delfin.tests.fixtures.db import *  # noqa: F401,F403,E402

CONF = cfg.CONF

# A small fake inventory keeps the registration syncs short.
SMALL_FAKE = {'fake_pool_range': '1-1', 'fake_volume_range': '1-2',
              'fake_controller_range': '1-1', 'fake_port_range': '1-1',
              'fake_disk_range': '1-1', 'fake_filesystem_range': '1-1',
              'fake_qtree_range': '1-1', 'fake_quota_range': '1-1',
              'fake_share_range': '1-1', 'fake_host_range': '1-1',
              'fake_initiator_range': '1-1', 'fake_host_group_range': '1-1',
              'fake_port_group_range': '1-1',
              'fake_volume_group_range': '1-1',
              'fake_masking_view_range': '1-1'}
# The fake driver's trap OIDs (delfin/drivers/fake_storage/alerts.py).
TRAP_PREFIX = '1.3.6.1.4.1.32473.1'
NETSNMP_AUTH = {'HMACMD5': 'MD5', 'HMACSHA': 'SHA', 'HMCSHA2224': 'SHA-224',
                'HMCSHA2256': 'SHA-256', 'HMCSHA2384': 'SHA-384',
                'HMCSHA2512': 'SHA-512'}
NETSNMP_PRIV = {'DES': 'DES', 'AES': 'AES', 'AES192': 'AES-192',
                'AES256': 'AES-256'}


class Pipeline(object):
    """The service under test, driven as a user would."""

    def __init__(self, app, alerts, task, workdir):
        self.app = app
        self.alerts = alerts
        self.task = task
        self.workdir = workdir
        self.snmptrap = conftest.require_program('snmptrap')
        self._hosts = iter(range(10, 250))

    # -- HTTP ----------------------------------------------------------

    def request(self, method, path, body=None):
        req = webob.Request.blank(path, method=method)
        if body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        return req.get_response(self.app)

    def get(self, path):
        resp = self.request('GET', path)
        assert resp.status_int == 200, resp.text
        return resp.json

    def register(self, extra_attributes=None, **source):
        """A new storage of the fake driver, with ``source`` as its
        snmp-config when given; returns the storage."""
        body = {'vendor': 'fake_storage', 'model': 'fake_driver',
                'rest': {'host': '192.0.2.%d' % next(self._hosts),
                         'port': 8443, 'username': 'admin',
                         'password': 'secret-password'}}
        if extra_attributes:
            body['extra_attributes'] = extra_attributes
        resp = self.request('POST', '/v1/storages', body)
        assert resp.status_int == 201, resp.text
        storage = resp.json
        if source:
            self.configure(storage['id'], **source)
        return storage

    def configure(self, storage_id, **source):
        source.setdefault('host', '127.0.0.1')
        resp = self.request('PUT', '/v1/storages/%s/snmp-config'
                            % storage_id, source)
        assert resp.status_int == 200, resp.text
        # Applied in this process at once; wait for the watcher's turn.
        self.wait_sources()
        return resp.json

    def wait_sources(self):
        watcher = self.alerts.watcher
        generation = watcher.generation
        conftest.wait_for(lambda: watcher.generation > generation, 10,
                          what='alert sources reload')

    def sync(self, storage_id, body=None):
        """POST .../alerts/sync and wait until the poll is done."""
        done = self.metric('delfin_alert_polls_total', result='ok')
        resp = self.request('POST', '/v1/storages/%s/alerts/sync'
                            % storage_id, {} if body is None else body)
        assert resp.status_int == 200, resp.text
        assert resp.body == b''
        conftest.wait_for(
            lambda: self.metric('delfin_alert_polls_total',
                                result='ok') > done
            and self.task.manager.idle(), 30, what='the alert poll')

    def storage_alerts(self, storage_id, query=''):
        return self.get('/v1/storages/%s/alerts%s' % (storage_id, query))[
            'alerts']

    def wait_alerts(self, storage_id, predicate, timeout=15,
                    what='alerts'):
        """Wait until ``predicate(alerts of the storage)`` is true; return
        what it returned."""
        def check():
            self.alerts.processor.flush(5)
            return predicate(self.storage_alerts(storage_id))
        return conftest.wait_for(check, timeout, what=what)

    def metrics(self):
        resp = self.request('GET', '/metrics')
        assert resp.status_int == 200
        assert resp.content_type.startswith('text/plain')
        return resp.text

    def metric(self, name, **labels):
        """The value of one sample of /metrics (0 when absent)."""
        wanted = name
        if labels:
            wanted += '{%s}' % ','.join('%s="%s"' % kv
                                        for kv in sorted(labels.items()))
        for line in self.metrics().splitlines():
            if line.startswith(wanted + ' '):
                return float(line.split()[-1])
        return 0.0

    def dropped(self, reason):
        return self.alerts.trap_stats()['dropped'][reason]

    def wait_dropped(self, reason, count, timeout=10):
        conftest.wait_for(lambda: self.dropped(reason) >= count, timeout,
                          what='%d %s drops' % (count, reason))

    # -- traps ----------------------------------------------------------

    def trap(self, number, *, version='2c', community='public',
             client='127.0.0.1', recovery=False, user=None,
             level='authPriv', auth=None, auth_key=None, priv=None,
             priv_key=None, engine_id=None, variables=(), inform=False):
        """Send one trap of the fake storage's alert ``number`` with
        net-snmp's snmptrap, from ``client`` (a loopback address)."""
        oid = '%s.%d' % (TRAP_PREFIX, number)
        if recovery:
            oid += '.999'
        cmd = [self.snmptrap, '-m', '', '-t', '1', '-r', '0',
               '--clientaddr=%s' % client]
        if version == '1':
            cmd += ['-v1', '-c', community]
        elif version == '2c':
            cmd += ['-v2c', '-c', community]
        else:
            cmd += ['-v3', '-u', user, '-l', level, '-e', '0x' + engine_id]
            if auth:
                cmd += ['-a', NETSNMP_AUTH[auth], '-A', auth_key]
            if priv:
                cmd += ['-x', NETSNMP_PRIV[priv], '-X', priv_key]
        if inform:
            cmd.append('-Ci')
        target = '127.0.0.1:%d' % self.alerts.port
        if version == '1':
            cmd += [target, TRAP_PREFIX, client, '6', str(number), '']
        else:
            cmd += [target, '', oid]
        cmd += [TRAP_PREFIX + '.0.1', 's', 'component_%d' % number]
        for name, value in variables:
            cmd += [name, 's', value]
        env = dict(os.environ, SNMPCONFPATH=self.workdir,
                   SNMP_PERSISTENT_DIR=self.workdir, HOME=self.workdir)
        subprocess.run(cmd, check=not inform, env=env, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope='module')
def exporter_config():
    """Options set before the alert service starts: ``{(group, name):
    value}`` (a module overrides this fixture to configure exporters)."""
    return {('DEFAULT', 'alert_exporters'): []}


@pytest.fixture(scope='module')
def pipeline(sqlite_engine, tmp_path_factory, exporter_config):
    """The service with the alert listener, for a test module."""
    from delfin.alert_manager import service as alert_service
    from delfin.api import app as api_app
    from delfin import service as delfin_service
    for name, value in SMALL_FAKE.items():
        CONF.set_override(name, value, group='fake_driver')
    for (group, name), value in exporter_config.items():
        CONF.set_override(name, value,
                          group=None if group == 'DEFAULT' else group)
    CONF.set_override('source_refresh_interval', 0.2, group='alerts')
    CONF.set_override('incomplete_trap_poll_delay', 0, group='alerts')
    rpc.cleanup()
    rpc.init()
    task = delfin_service.RpcServer()
    task.start()
    alerts = alert_service.AlertService(host='127.0.0.1', port=0,
                                        processes=1)
    alerts.start()
    try:
        yield Pipeline(api_app.make_app(), alerts, task,
                       str(tmp_path_factory.mktemp('snmp')))
    finally:
        alerts.stop(10)
        task.stop(10)
        rpc.cleanup()
        for name in SMALL_FAKE:
            CONF.clear_override(name, group='fake_driver')
        for name in ('source_refresh_interval',
                     'incomplete_trap_poll_delay'):
            CONF.clear_override(name, group='alerts')
        for group, name in exporter_config:
            CONF.clear_override(name,
                                group=None if group == 'DEFAULT' else group)
