"""Alert exporters against real receivers: Prometheus Alertmanager
(started by the test on a loopback port) and an HTTP server standing for a
webhook receiver.  Traps come from net-snmp's snmptrap."""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

from delfin.tests import conftest
from delfin.tests.functional.alert_manager.conftest import TRAP_PREFIX

ALERTMANAGER_CONFIG = """\
route:
  receiver: test
  group_by: ['uid']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: http://127.0.0.1:%d/alertmanager
        send_resolved: true
"""


class Receiver(object):
    """An HTTP server recording the JSON documents POSTed to it.

    ``fail`` answers 500 to that many requests to ``/webhook`` first; while
    ``gate`` is cleared, those requests wait for it.
    """

    def __init__(self):
        self.posts = []
        self.fail = 0
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length)
                ours = self.path == '/webhook'
                if ours:
                    receiver.gate.wait(30)
                with receiver.lock:
                    failing = ours and receiver.fail > 0
                    if failing:
                        receiver.fail -= 1
                    else:
                        receiver.posts.append((self.path, json.loads(body)))
                self.send_response(500 if failing else 200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def documents(self, path):
        with self.lock:
            return [doc for p, doc in self.posts if p == path]

    def close(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


class Alertmanager(object):
    """prometheus-alertmanager on a loopback port with a temporary
    configuration and storage."""

    def __init__(self, binary, workdir, webhook_port):
        self.port = conftest.free_port()
        config = os.path.join(workdir, 'alertmanager.yml')
        with open(config, 'w') as f:
            f.write(ALERTMANAGER_CONFIG % webhook_port)
        self.log = open(os.path.join(workdir, 'alertmanager.log'), 'wb')
        self.process = subprocess.Popen(
            [binary, '--config.file=' + config,
             '--storage.path=' + os.path.join(workdir, 'data'),
             '--web.listen-address=127.0.0.1:%d' % self.port,
             '--cluster.listen-address='],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = 'http://127.0.0.1:%d' % self.port
        conftest.wait_for(self._ready, 30, 0.1, 'Alertmanager to start')

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError('Alertmanager exited with %s'
                                 % self.process.returncode)
        try:
            with urllib.request.urlopen(self.url + '/-/ready',
                                        timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def alerts(self):
        """Active alerts (Alertmanager leaves resolved ones out)."""
        with urllib.request.urlopen(self.url + '/api/v2/alerts',
                                    timeout=5) as resp:
            return json.loads(resp.read())

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope='module')
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope='module')
def alertmanager(receiver, tmp_path_factory):
    binary = shutil.which('prometheus-alertmanager') or shutil.which(
        'alertmanager')
    if binary is None:
        binary = conftest.require_program('prometheus-alertmanager')
    am = Alertmanager(binary, str(tmp_path_factory.mktemp('alertmanager')),
                      receiver.port)
    yield am
    am.close()


@pytest.fixture(scope='module')
def exporter_config(alertmanager, receiver):
    return {
        ('DEFAULT', 'alert_exporters'): ['alertmanager', 'webhook', 'log'],
        ('alertmanager_exporter', 'url'): alertmanager.url,
        ('alertmanager_exporter', 'resend_interval'): 60.0,
        ('webhook_exporter', 'url'):
            'http://127.0.0.1:%d/webhook' % receiver.port,
        ('webhook_exporter', 'timeout'): 20.0,
        ('alert_exporter', 'retry_backoff'): 0.05,
        ('alert_exporter', 'retry_backoff_max'): 0.2,
    }


def _webhook_alerts(receiver):
    return [a for doc in receiver.documents('/webhook') for a in doc['alerts']]


def _am_alert(alertmanager, uid):
    return [a for a in alertmanager.alerts() if a['labels'].get('uid') == uid]


def _trap_alert(pipeline, storage_id, **match):
    match.setdefault('source', 'trap')
    return pipeline.wait_alerts(
        storage_id, lambda alerts: [
            a for a in alerts
            if all(a.get(k) == v for k, v in match.items())])[0]


def test_alertmanager_receives_new_and_resolved_alerts(pipeline,
                                                       alertmanager,
                                                       receiver):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='am-community')
    pipeline.trap(21, community='am-community')
    alert = _trap_alert(pipeline, storage['id'])
    [firing] = conftest.wait_for(lambda: _am_alert(alertmanager, alert['id']),
                                 15, what='the alert in Alertmanager')
    labels = firing['labels']
    # Delfin's labels, as strings, where Delfin's readers look for them.
    assert labels['alertname'] == alert['alert_name']
    assert labels['alert_name'] == alert['alert_name']
    assert labels['alert_id'] == TRAP_PREFIX + '.21'
    assert labels['sequence_number'] == alert['sequence_number']
    assert labels['category'] == alert['category']
    assert labels['severity'] == alert['severity']
    assert labels['type'] == alert['type']
    assert labels['location'] == alert['location']
    assert labels['recovery_advice'] == (alert['recovery_advice'] or '')
    assert labels['storage_id'] == storage['id']
    assert labels['storage_name'] == storage['name']
    assert labels['vendor'] == storage['vendor']
    assert labels['model'] == storage['model']
    assert labels['serial_number'] == storage['serial_number']
    assert labels['occur_time'] == str(alert['occur_time'])
    assert firing['status']['state'] == 'active'
    # The description is the summary, as Delfin sends it.
    assert 'component_21' in firing['annotations']['summary']
    assert firing['annotations']['summary'] == alert['description']

    # A repeat is not a change: nothing more is sent.
    sent = pipeline.metric('delfin_alert_exporter_sent_total',
                           exporter='alertmanager')
    pipeline.trap(21, community='am-community')
    _trap_alert(pipeline, storage['id'], occurrence_count=2)
    pipeline.alerts.dispatcher.flush(10)
    assert pipeline.metric('delfin_alert_exporter_sent_total',
                           exporter='alertmanager') == sent

    pipeline.trap(21, community='am-community', recovery=True)
    _trap_alert(pipeline, storage['id'], category='Fault', state='cleared')
    conftest.wait_for(lambda: not _am_alert(alertmanager, alert['id']), 15,
                      what='the alert resolved in Alertmanager')

    # Alertmanager itself reports it resolved to its receivers.
    def resolved():
        for doc in receiver.documents('/alertmanager'):
            for a in doc['alerts']:
                if (a['labels'].get('uid') == alert['id']
                        and a['status'] == 'resolved'):
                    return a
    notice = conftest.wait_for(resolved, 20,
                               what='a resolved notification')
    assert notice['endsAt'] >= notice['startsAt']


def test_removing_a_storage_resolves_its_alerts_at_once(pipeline,
                                                        alertmanager,
                                                        receiver):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='gone-community')
    pipeline.trap(25, community='gone-community')
    pipeline.trap(26, community='gone-community')
    alerts = pipeline.wait_alerts(
        storage['id'], lambda found: [a for a in found
                                      if a['source'] == 'trap']
        if len([a for a in found if a['source'] == 'trap']) == 2 else None)
    ids = {a['id'] for a in alerts}

    def firing():
        return [a for a in alertmanager.alerts()
                if a['labels'].get('uid') in ids]
    conftest.wait_for(lambda: len(firing()) == 2, 15,
                      what='both alerts in Alertmanager')
    resp = pipeline.request('DELETE', '/v1/storages/%s' % storage['id'])
    assert resp.status_int == 202, resp.text
    # Resolved now, not when their end time (four resend intervals, here
    # four minutes) passes.
    conftest.wait_for(lambda: not firing(), 15,
                      what='the alerts resolved in Alertmanager')

    def resolved():
        found = {a['labels'].get('uid') for doc in
                 receiver.documents('/alertmanager') for a in doc['alerts']
                 if a['status'] == 'resolved'}
        return ids <= found
    conftest.wait_for(resolved, 20, what='resolved notifications')


def test_webhook_receives_changes_without_secrets(pipeline, receiver):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='hook-community')
    pipeline.trap(22, community='hook-community')
    alert = _trap_alert(pipeline, storage['id'])

    def posted(change):
        return [a for a in _webhook_alerts(receiver)
                if a['id'] == alert['id'] and a['change'] == change]
    [new] = conftest.wait_for(lambda: posted('new'), 15, what='webhook')
    assert new['storage_name'] == storage['name']
    assert new['alert_id'] == TRAP_PREFIX + '.22'
    assert new['state'] == 'open' and new['occurrence_count'] == 1
    pipeline.trap(22, community='hook-community', recovery=True)
    [cleared] = conftest.wait_for(lambda: posted('cleared'), 15,
                                  what='webhook clear')
    assert cleared['state'] == 'cleared'
    text = json.dumps(receiver.documents('/webhook'))
    assert 'hook-community' not in text
    assert 'secret-password' not in text


def test_failing_receiver_is_retried(pipeline, receiver):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='retry-community')
    failures = pipeline.metric('delfin_alert_exporter_failures_total',
                               exporter='webhook')
    with receiver.lock:
        receiver.fail = 2
    pipeline.trap(23, community='retry-community')
    alert = _trap_alert(pipeline, storage['id'])
    conftest.wait_for(lambda: [a for a in _webhook_alerts(receiver)
                               if a['id'] == alert['id']], 15,
                      what='delivery after retries')
    assert pipeline.metric('delfin_alert_exporter_failures_total',
                           exporter='webhook') >= failures + 2


def test_stuck_receiver_never_blocks_ingestion(pipeline, receiver):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='stuck-community')
    receiver.gate.clear()
    try:
        started = time.monotonic()
        for n in range(31, 36):
            pipeline.trap(n, community='stuck-community')
        pipeline.wait_alerts(storage['id'], lambda alerts: len(
            [a for a in alerts if a['source'] == 'trap']) == 5)
        assert time.monotonic() - started < 15
        assert not [a for a in _webhook_alerts(receiver)
                    if a['storage_id'] == storage['id']
                    and a['source'] == 'trap']
    finally:
        receiver.gate.set()
    conftest.wait_for(
        lambda: len([a for a in _webhook_alerts(receiver)
                     if a['storage_id'] == storage['id']
                     and a['source'] == 'trap']) >= 5, 20,
        what='delivery once the receiver answers')


def test_open_alerts_are_resent_to_stay_firing(pipeline, alertmanager):
    from delfin.exporter.alert import alertmanager as am_exporter
    storage = pipeline.register(version='SNMPv2c',
                                community_string='resend-community')
    pipeline.trap(24, community='resend-community')
    alert = _trap_alert(pipeline, storage['id'])
    [first] = conftest.wait_for(lambda: _am_alert(alertmanager, alert['id']),
                                15, what='the alert in Alertmanager')
    exporter = am_exporter.AlertmanagerExporter(url=alertmanager.url,
                                                resend_interval=3600)
    try:
        exporter.refresh()
    finally:
        exporter.close()
    [again] = _am_alert(alertmanager, alert['id'])
    # Re-sent with an end four intervals (here four hours) ahead.
    assert again['endsAt'] > first['endsAt']
    assert again['startsAt'] == first['startsAt']
