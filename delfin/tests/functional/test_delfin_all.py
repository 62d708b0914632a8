"""End to end: ``delfin-all`` as a real process, driven over HTTP the way
the README's walkthrough does, then stopped with SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from delfin.tests import conftest

VOLUMES = 50
PASSWORD = 'pw-e2e-7Hq2'
COMMUNITY = 'community-e2e-4Kd'


def _command():
    script = os.path.join(os.path.dirname(sys.executable), 'delfin-all')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'delfin.cmd.all']


class Http(object):
    def __init__(self, base):
        self.base = base

    def __call__(self, method, path, body=None):
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode('utf-8')
        return status, (json.loads(text) if text else None), text


@pytest.fixture
def delfin_all(tmp_path):
    port = conftest.free_port()
    trap_port = conftest.free_port(socket.SOCK_DGRAM)
    conf = tmp_path / 'delfin.conf'
    conf.write_text('\n'.join([
        '[DEFAULT]',
        'state_path = %s' % (tmp_path / 'state'),
        'delfin_listen = 127.0.0.1',
        'delfin_listen_port = %d' % port,
        'trap_receiver_address = 127.0.0.1',
        'trap_receiver_port = %d' % trap_port,
        'transport_url = fake://',
        '[fake_driver]',
        'fake_volume_range = %d-%d' % (VOLUMES, VOLUMES),
        'fake_pool_range = 3-3',
        '']))
    log = open(tmp_path / 'delfin-all.log', 'w+')
    proc = subprocess.Popen(_command() + ['--config-file', str(conf)],
                            cwd=str(tmp_path), stdout=log,
                            stderr=subprocess.STDOUT)
    http = Http('http://127.0.0.1:%d' % port)

    def up():
        if proc.poll() is not None:
            log.seek(0)
            raise AssertionError('delfin-all exited with %s:\n%s'
                                 % (proc.returncode, log.read()[-4000:]))
        try:
            if http('GET', '/v1/storages')[0] != 200:
                return False
        except OSError:
            return False
        # The first answer: the trap port must be taken already.
        proc.trap_port_bound_at_first_answer = _udp_port_taken(trap_port)
        return True

    try:
        conftest.wait_for(up, 90, 0.01, what='delfin-all listening')
        yield proc, http, log, trap_port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()


def _udp_port_taken(port):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(('127.0.0.1', port))
    except OSError:
        return True
    finally:
        probe.close()
    return False


def test_start_binds_the_trap_port_before_the_api_answers(delfin_all):
    proc, http, log, trap_port = delfin_all
    assert proc.trap_port_bound_at_first_answer

    def logged():
        log.seek(0)
        output = log.read()
        return 'API listening on' in output and output

    # What it read and where it listens.  The API logs its address once it
    # accepts connections; a client may be answered a moment before the
    # line is written.
    output = conftest.wait_for(logged, 10, 0.05, what='the API address '
                               'in the log')
    assert 'Configuration read from ' in output
    assert 'delfin.conf' in output.split('Configuration read from ', 1)[1]
    assert 'API listening on 127.0.0.1 port' in output
    assert 'SNMP trap listener on 127.0.0.1 port %d' % trap_port in output


def _wait_synced(http, storage_id):
    def synced():
        status, body, _ = http('GET', '/v1/storages/%s' % storage_id)
        assert status == 200, body
        return body['sync_status'] == 'SYNCED' and body
    return conftest.wait_for(synced, 120, 0.1, what='storage synced')


def test_walkthrough_then_clean_shutdown(delfin_all):
    snmptrap = conftest.require_program('snmptrap')
    proc, http, log, trap_port = delfin_all

    # Register the fake storage; the answer never shows the password.
    status, storage, text = http('POST', '/v1/storages', {
        'vendor': 'fake_storage', 'model': 'fake_driver',
        'rest': {'host': '192.0.2.10', 'port': 8443, 'username': 'admin',
                 'password': PASSWORD}})
    assert status == 201, text
    assert PASSWORD not in text
    storage_id = storage['id']
    assert storage['serial_number']

    # The registration sync fills the inventory.
    _wait_synced(http, storage_id)
    status, jobs, _ = http('GET', '/v1/storages/%s/jobs' % storage_id)
    assert status == 200
    assert [j['state'] for j in jobs['jobs']] == ['succeeded'], jobs

    # Volumes: a page, its total, the next page after a marker.
    status, page, _ = http(
        'GET', '/v1/volumes?storage_id=%s&limit=10' % storage_id)
    assert status == 200
    assert len(page['volumes']) == 10
    assert page['total'] == VOLUMES
    marker = page['volumes'][-1]['id']
    status, page2, _ = http(
        'GET', '/v1/volumes?storage_id=%s&limit=10&marker=%s'
        % (storage_id, marker))
    assert status == 200 and len(page2['volumes']) == 10
    assert not {v['id'] for v in page['volumes']} & \
        {v['id'] for v in page2['volumes']}
    status, volume, _ = http('GET', '/v1/volumes/%s' % marker)
    assert status == 200 and volume['id'] == marker
    assert volume['storage_id'] == storage_id
    status, pools, _ = http('GET', '/v1/storage-pools?storage_id=%s'
                            % storage_id)
    assert status == 200 and pools['total'] == 3

    # A manual sync is a job that finishes; nothing changed on the fake
    # backend, so the volumes are the same.
    status, job, text = http('POST', '/v1/storages/%s/sync' % storage_id)
    assert status == 202, text

    def job_done():
        s, body, _ = http('GET', '/v1/storages/%s/jobs/%s'
                          % (storage_id, job['id']))
        assert s == 200
        return body['state'] in ('succeeded', 'failed', 'cancelled') and body
    assert conftest.wait_for(job_done, 120, 0.1,
                             what='manual sync')['state'] == 'succeeded'
    status, again, _ = http(
        'GET', '/v1/volumes?storage_id=%s&limit=10' % storage_id)
    assert again['total'] == VOLUMES
    assert [v['id'] for v in again['volumes']] == \
        [v['id'] for v in page['volumes']]

    # Access information and capabilities.
    status, info, text = http('GET', '/v1/storages/%s/access-info'
                              % storage_id)
    assert status == 200, text
    assert info['rest']['username'] == 'admin'
    assert PASSWORD not in text and 'password' not in info['rest']
    status, caps, text = http('GET', '/v1/storages/%s/capabilities'
                              % storage_id)
    assert status == 200, text

    # Alerts: the SNMP source of the storage, a poll of the backend, and a
    # real trap through the listener.
    status, source, text = http('PUT', '/v1/storages/%s/snmp-config'
                                % storage_id, {
                                    'version': 'snmpv2c',
                                    'community_string': COMMUNITY,
                                    'host': '127.0.0.1'})
    assert status == 200, text
    assert COMMUNITY not in text
    status, _, text = http('POST', '/v1/storages/%s/alerts/sync'
                           % storage_id, {})
    assert status == 200, text

    def alerts(source):
        s, body, _ = http('GET', '/v1/storages/%s/alerts' % storage_id)
        assert s == 200
        return [a for a in body['alerts'] if a['source'] == source]
    polled = conftest.wait_for(lambda: alerts('poll'), 60, 0.2,
                               what='polled alerts')
    assert all(a['storage_id'] == storage_id for a in polled)

    def send_trap():
        subprocess.run([snmptrap, '-v', '2c', '-c', COMMUNITY,
                        '127.0.0.1:%d' % trap_port, '',
                        '1.3.6.1.4.1.99999.0.7',
                        '1.3.6.1.2.1.1.5.0', 's', 'end-to-end trap'],
                       check=True, timeout=30)
        return alerts('trap')
    # The listener learns new alert sources within a few seconds.
    trapped = conftest.wait_for(send_trap, 60, 1.0, what='trap alert')
    assert trapped[0]['storage_id'] == storage_id

    # Delete: the storage and its inventory are gone.
    status, _, text = http('DELETE', '/v1/storages/%s' % storage_id)
    assert status == 202, text
    status, body, _ = http('GET', '/v1/storages/%s' % storage_id)
    assert status == 404 and body['error_code'] == 'StorageNotFound'
    status, gone, _ = http('GET', '/v1/volumes?storage_id=%s' % storage_id)
    assert status == 200 and gone['total'] == 0

    # SIGTERM: a clean stop with exit code 0.
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(60)
    log.seek(0)
    output = log.read()
    assert code == 0, output[-4000:]
    assert time.monotonic() - started < 30
    assert 'delfin-all stopped' in output
    # The README's account: the API stops first, then the alert service,
    # then the task side.
    stops = [output.index('Stopping %s' % name)
             for name in ('api', 'alert', 'periodic-sync', 'task-rpc',
                          'coordination')]
    assert stops == sorted(stops)
    # One thread checkpoints the SQLite log for the whole process.
    assert output.count('Starting log-checkpoints') == 1
    assert output.count('Stopping log-checkpoints') == 1
    assert PASSWORD not in output
    assert COMMUNITY not in output
