"""The alert exporter dispatcher: queues per exporter, retries with
backoff, drops counted, a stuck exporter never blocks the caller; plugin
loading by entry point or class name."""
import threading
import time

import pytest
from oslo_config import cfg

from delfin.alert_manager import metrics
from delfin.exporter import alert as alert_exporter
from delfin.exporter.alert import alertmanager
from delfin.exporter.alert import log as log_exporter
from delfin.exporter.alert import webhook

CONF = cfg.CONF


class Recorder(alert_exporter.AlertExporter):
    """An exporter that keeps what it receives; fails ``fail`` times."""

    def __init__(self, name, fail=0, gate=None):
        super().__init__(name)
        self.fail = fail
        self.gate = gate
        self.received = []
        self.attempts = 0

    def export(self, alerts):
        self.attempts += 1
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            self.fail -= 1
            raise RuntimeError('receiver down')
        self.received.extend(alerts)


class Options(object):
    queue_size = 5
    batch_size = 2
    max_retries = 2
    retry_backoff = 0.01
    retry_backoff_max = 0.02


def counter(metric, name):
    return metric.labels(name)._value.get()


def alerts(n, start=0):
    return [{'id': str(i), 'change': 'new'} for i in range(start, start + n)]


def test_every_exporter_gets_every_change():
    a, b = Recorder('rec-a'), Recorder('rec-b')
    dispatcher = alert_exporter.Dispatcher([a, b], options=Options())
    try:
        dispatcher.dispatch(alerts(3))
        assert dispatcher.flush(5)
        assert [x['id'] for x in a.received] == ['0', '1', '2']
        assert [x['id'] for x in b.received] == ['0', '1', '2']
        assert counter(metrics.EXPORTER_SENT, 'rec-a') == 3
    finally:
        dispatcher.stop(5)


def test_failures_are_retried_then_dropped_and_counted():
    flaky = Recorder('rec-flaky', fail=2)
    dead = Recorder('rec-dead', fail=100)
    dispatcher = alert_exporter.Dispatcher([flaky, dead], options=Options())
    try:
        dispatcher.dispatch(alerts(1))
        assert dispatcher.flush(5)
        assert [x['id'] for x in flaky.received] == ['0']
        assert counter(metrics.EXPORTER_FAILURES, 'rec-flaky') == 2
        assert dead.received == []
        assert dead.attempts == Options.max_retries + 1
        assert counter(metrics.EXPORTER_DROPPED, 'rec-dead') == 1
    finally:
        dispatcher.stop(5)


def test_stuck_exporter_never_blocks_and_drops_beyond_its_queue():
    gate = threading.Event()
    stuck = Recorder('rec-stuck', gate=gate)
    dispatcher = alert_exporter.Dispatcher([stuck], options=Options())
    try:
        started = time.monotonic()
        for i in range(10):
            dispatcher.dispatch(alerts(1, i))
        assert time.monotonic() - started < 1
        # Two are being exported, five wait; the rest are dropped.
        assert counter(metrics.EXPORTER_DROPPED, 'rec-stuck') >= 3
        gate.set()
        assert dispatcher.flush(5)
        assert 5 <= len(stuck.received) <= 7
    finally:
        gate.set()
        dispatcher.stop(5)


class DelfinStyle(object):
    """An exporter written for Delfin: ``dispatch(ctxt, data)``."""
    seen = []

    def dispatch(self, ctxt, data):
        DelfinStyle.seen.append((ctxt.is_admin, list(data)))


def test_delfin_style_plugins_are_wrapped():
    exporter = alert_exporter._instantiate('old', DelfinStyle)
    dispatcher = alert_exporter.Dispatcher([exporter], options=Options())
    try:
        dispatcher.dispatch(alerts(1))
        assert dispatcher.flush(5)
    finally:
        dispatcher.stop(5)
    assert DelfinStyle.seen == [(True, alerts(1))]


def test_load_by_entry_point_or_class_name():
    CONF.set_override('url', 'http://127.0.0.1:9/hook', 'webhook_exporter')
    loaded = alert_exporter.load_exporters(
        ['log', 'WebhookAlertExporter', 'alertmanager', 'no-such'])
    assert [type(e) for e in loaded] == [
        log_exporter.LogAlertExporter, webhook.WebhookAlertExporter,
        alertmanager.AlertmanagerExporter]
    assert [e.name for e in loaded] == ['log', 'webhook', 'alertmanager']


def test_webhook_without_url_is_not_loaded():
    assert alert_exporter.load_exporters(['webhook']) == []


ALERT = {'id': 'a1', 'storage_id': 's1', 'storage_name': 'array',
         'vendor': 'v', 'model': 'm', 'serial_number': 'SN',
         'alert_id': '1.3.6.1.4.1.1.5', 'alert_name': 'Disk failed',
         'severity': 'Major', 'category': 'Fault', 'type': 'EquipmentAlarm',
         'resource_type': 'Disk', 'location': 'disk_1',
         'sequence_number': '17', 'occur_time': 1700000000000,
         'description': 'disk 1', 'recovery_advice': 'replace',
         'occurrence_count': 3, 'state': 'open'}


@pytest.fixture
def exporter():
    return alertmanager.AlertmanagerExporter(url='http://127.0.0.1:9',
                                             resend_interval=60)


def test_alertmanager_payload_of_an_open_alert(exporter):
    import datetime
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    item = exporter._payload(ALERT, now)
    # Delfin's labels, each a string, with alertname and uid beside them.
    assert item['labels'] == {
        'alert_id': '1.3.6.1.4.1.1.5', 'alert_name': 'Disk failed',
        'sequence_number': '17', 'category': 'Fault', 'severity': 'Major',
        'type': 'EquipmentAlarm', 'location': 'disk_1',
        'recovery_advice': 'replace', 'storage_id': 's1',
        'storage_name': 'array', 'vendor': 'v', 'model': 'm',
        'serial_number': 'SN', 'occur_time': '1700000000000',
        'alertname': 'Disk failed', 'uid': 'a1'}
    assert item['annotations']['summary'] == 'disk 1'
    assert item['annotations']['occurrence_count'] == '3'
    assert item['annotations']['resource_type'] == 'Disk'
    assert item['startsAt'] == '2023-11-14T22:13:20.000Z'
    # Kept firing for four re-send intervals.
    assert item['endsAt'] == '2024-01-01T00:04:00.000Z'


def test_alertmanager_labels_of_missing_values_are_empty(exporter):
    import datetime
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    item = exporter._payload(dict(ALERT, recovery_advice=None,
                                  description=None), now)
    assert item['labels']['recovery_advice'] == ''
    # No description: the name summarises the alert.
    assert item['annotations']['summary'] == 'Disk failed'


def test_alertmanager_payload_of_cleared_and_recovery_alerts(exporter):
    import datetime
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cleared = dict(ALERT, state='cleared',
                   cleared_at=datetime.datetime(2023, 12, 1))
    assert exporter._payload(cleared, now)['endsAt'] == \
        '2023-12-01T00:00:00.000Z'
    recovery = dict(ALERT, category='Recovery', state='cleared')
    assert exporter._payload(recovery, now) is None


def test_alertmanager_url_falls_back_to_delfin_options():
    CONF.set_override('alert_manager_host', 'am.example',
                      'PROMETHEUS_ALERT_MANAGER_EXPORTER')
    exporter = alertmanager.AlertmanagerExporter()
    assert exporter.url == 'http://am.example:9093/api/v2/alerts'
