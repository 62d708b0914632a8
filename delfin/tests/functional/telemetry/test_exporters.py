"""The performance exporters with the samples of the fake driver: the
Prometheus exposition as Delfin names it (served by prometheus-client and
on the API's /metrics page), the database behind GET
/v1/storages/{id}/metrics, JSON lines to a file and a webhook, Kafka
through librdkafka's mock cluster; and a slow exporter that delays
nobody."""
import json
import threading
import time
import urllib.request

import pytest
import webob
from oslo_config import cfg
import prometheus_client
from prometheus_client import parser

from delfin.api import app as api_app
from delfin.tests import conftest
from delfin.tests import local_http
from delfin.telemetry import collector as collector_mod
from delfin.telemetry import exporters
from delfin.telemetry.exporters import jsonl
from delfin.telemetry.exporters import kafka
from delfin.telemetry.exporters import prometheus
from delfin.telemetry.exporters import sql
from delfin.tests.functional.telemetry.test_collection import Clock
from delfin.tests.functional.telemetry.test_collection import Recorder

CONF = cfg.CONF
MIN = 60


@pytest.fixture(autouse=True)
def _settings():
    CONF.set_override('fake_perf_resource_limit', 2, group='fake_driver')
    CONF.set_override('performance_collection_interval', 10 * MIN,
                      group='telemetry')


def _collect(exporter_list, clock, storages=None):
    dispatcher = exporters.Dispatcher(exporter_list)
    dispatcher.start()
    c = collector_mod.PerformanceCollector(
        owns=lambda sid: storages is None or sid in storages, clock=clock,
        dispatcher=dispatcher)
    c.tick(wait=True)
    conftest.wait_for(dispatcher.idle, 10, what='exporters idle')
    return c


def _families(text):
    return {f.name: f for f in parser.text_string_to_metric_families(text)}


def _api(method, path, body=None):
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    return req.get_response(api_app.make_app())


def test_prometheus_exposition_as_delfin_names_it(database):
    sid = conftest.register_fake_storage()
    port = local_http.unused_port()
    CONF.set_override('metric_server_port', port,
                      group='PROMETHEUS_EXPORTER')
    exporter = prometheus.PrometheusExporter()
    clock = Clock(1_800_000_030.0)
    c = _collect([exporter], clock)
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d/metrics'
                                    % port, timeout=10) as resp:
            text = resp.read().decode()
        families = _families(text)
        for name in ('storage_iops', 'storage_throughput',
                     'volume_iops', 'storagePool_responseTime',
                     'disk_iops', 'port_throughput'):
            assert name in families, name
        samples = families['volume_iops'].samples
        assert len(samples) == 2            # the 2 volumes sampled
        labels = samples[0].labels
        assert set(labels) == set(prometheus.LABELS)
        assert labels['storage_id'] == sid
        assert labels['resource_type'] == 'volume'
        assert labels['unit'] == 'IOPS'
        assert labels['type'] == 'RAW'
        assert labels['value_type'] == 'gauge'
        # The latest sample of the window, with its own timestamp.
        latest = max(s.timestamp for s in samples)
        assert latest == pytest.approx((clock.now - 30), abs=0.001)
        # The API's /metrics page of the same process shows them too,
        # beside the service's own metrics.
        page = _api('GET', '/metrics').text
        assert 'volume_iops{' in page
        assert 'delfin_performance_samples_exported_total' in page
        # Memory follows the series, not the history: a second window
        # keeps the same number of series.
        count = prometheus.STORE.series_count()
        clock.now += 10 * MIN
        c.tick(wait=True)
        conftest.wait_for(c.dispatcher.idle, 10)
        assert prometheus.STORE.series_count() == count
        # A removed storage's series disappear.
        from delfin.db import api as db_api
        db_api.delete('storage', sid)
        c.tick(wait=True)
        conftest.wait_for(c.dispatcher.idle, 10)
        assert 'volume_iops{' not in _api('GET', '/metrics').text
    finally:
        c.stop(10)
        prometheus.STORE.forget(sid)
        prometheus.stop_serving()


def test_series_of_a_resource_gone_from_the_backend_disappear():
    store = prometheus.SeriesStore()

    def batch(resource_ids):
        from delfin.common import constants
        metrics = [constants.metric_struct(
            name='iops', labels={'resource_type': 'volume',
                                 'resource_id': rid, 'unit': 'IOPS'},
            values={1000: 1.0}) for rid in resource_ids]
        return exporters.Batch({'id': 's', 'name': 'n',
                                'serial_number': 'sn'}, metrics, 0, 1000)

    store.update(batch(['a', 'b']))
    assert store.series_count() == 2
    store.update(batch(['a']))
    families = store.collect()
    assert [s.labels['resource_id'] for s in families[0].samples] == ['a']


def test_samples_kept_in_the_database_and_served_by_the_api(database):
    sid = conftest.register_fake_storage()
    clock = Clock(1_800_000_030.0)
    c = _collect([sql.SqlExporter()], clock)
    c.stop(10)
    resp = _api('GET', '/v1/storages/%s/metrics?resource_type=storage'
                '&metric=iops' % sid)
    assert resp.status_int == 200, resp.text
    rows = resp.json['metrics']
    assert len(rows) == 10
    assert [r['timestamp'] for r in rows] == sorted(
        r['timestamp'] for r in rows)
    assert {(r['resource_type'], r['resource_id'], r['metric'])
            for r in rows} == {('storage', sid, 'iops')}
    first = rows[0]['timestamp']
    resp = _api('GET', '/v1/storages/%s/metrics?resource_type=storage'
                '&metric=iops&begin_time=%d&end_time=%d&limit=3'
                % (sid, first + 60000, first + 600000))
    assert [r['timestamp'] for r in resp.json['metrics']] == [
        first + 60000, first + 120000, first + 180000]
    assert _api('GET', '/v1/storages/nope/metrics').status_int == 404
    bad = _api('GET', '/v1/storages/%s/metrics?begin_time=soon' % sid)
    assert bad.status_int == 400
    assert 'begin_time' in bad.json['error_msg']


def test_retention_drops_old_samples(database):
    sid = conftest.register_fake_storage()
    CONF.set_override('performance_sample_retention', 5 * MIN,
                      group='telemetry')
    clock = Clock(1_800_000_030.0)
    c = _collect([sql.SqlExporter()], clock)
    c.stop(10)
    stamps = {r['timestamp'] for r in sql.query(sid)}
    assert stamps and min(stamps) >= (clock.now - 5 * MIN) * 1000


def test_metrics_config_shows_and_changes_the_collection(database):
    sid = conftest.register_fake_storage()
    resp = _api('GET', '/v1/storages/%s/metrics-config' % sid)
    assert resp.status_int == 200
    assert resp.json['array_polling'] == {'perf_collection': True,
                                          'interval': 600}
    assert resp.json['windows_collected'] == 0
    resp = _api('PUT', '/v1/storages/%s/metrics-config' % sid,
                {'array_polling': {'perf_collection': True,
                                   'interval': 300}})
    assert resp.status_int == 200, resp.text
    assert resp.json['interval'] == 300
    assert resp.json['storage_interval'] == 300
    resp = _api('PUT', '/v1/storages/%s/metrics-config' % sid,
                {'perf_collection': False})
    assert resp.json['perf_collection'] is False
    assert resp.json['interval'] == 300
    resp = _api('PUT', '/v1/storages/%s/metrics-config' % sid,
                {'interval': 0, 'perf_collection': True})
    assert resp.json['interval'] == 600
    assert resp.json['storage_interval'] is None
    for body in ({'interval': -1}, {'interval': 'often'}, {'x': 1},
                 {'array_polling': {'interval': 1.5}}):
        resp = _api('PUT', '/v1/storages/%s/metrics-config' % sid, body)
        assert resp.status_int == 400, body
        assert resp.json['error_code'] == 'InvalidInput'
    assert _api('PUT', '/v1/storages/nope/metrics-config',
                {'interval': 60}).status_int == 404


class _Sink(local_http.JSONHandler):
    received = []

    def handle_request(self, method, path, body):
        type(self).received.append((method, path, self.headers.get(
            'Content-Type'), body))
        return 200, {}


def test_json_lines_to_a_file_and_a_webhook(database, tmp_path):
    sid = conftest.register_fake_storage()
    path = tmp_path / 'samples.jsonl'
    _Sink.received = []
    with local_http.serve(_Sink) as port:
        exporter = jsonl.JsonLinesExporter(
            path=str(path), url='http://127.0.0.1:%d/in' % port)
        c = _collect([exporter], Clock(1_800_000_030.0))
        c.stop(10)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines
    assert {x['labels']['storage_id'] for x in lines} == {sid}
    assert set(lines[0]) == {'name', 'labels', 'timestamp', 'value'}
    method, where, ctype, body = _Sink.received[0]
    assert (method, where, ctype) == ('POST', '/in', 'application/x-ndjson')
    assert [json.loads(x) for x in body.decode().splitlines()] == lines


def test_kafka_gets_delfin_shaped_messages(database):
    confluent_kafka = pytest.importorskip('confluent_kafka')
    sid = conftest.register_fake_storage()
    exporter = kafka.KafkaExporter(config={'test.mock.num.brokers': 1},
                                   topic='delfin-kafka')
    c = _collect([exporter], Clock(1_800_000_030.0))
    assert exporter.flush(10) == 0
    brokers = exporter._get().list_topics(timeout=10).brokers.values()
    bootstrap = ','.join('%s:%d' % (b.host, b.port) for b in brokers)
    consumer = confluent_kafka.Consumer({
        'bootstrap.servers': bootstrap, 'group.id': 'test',
        'auto.offset.reset': 'earliest'})
    consumer.subscribe(['delfin-kafka'])
    series = []
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                if series:
                    break
                continue
            assert msg.key() == sid.encode()
            series.extend(json.loads(msg.value()))
    finally:
        consumer.close()
        c.stop(10)      # stops the producer, and its mock cluster
    assert series
    name, labels, values = series[0]
    assert labels['storage_id'] == sid
    assert labels['storage_sn']
    assert all(len(k) == 13 and k.isdigit() for k in values)
    assert {s[1]['resource_type'] for s in series} >= {'storage', 'volume'}


class _Stuck(exporters.PerformanceExporter):
    name = 'stuck'

    def __init__(self):
        self.release = threading.Event()

    def export(self, batch):
        self.release.wait(30)


def test_a_stuck_exporter_delays_no_one_and_its_drops_are_counted():
    stuck, rec = _Stuck(), Recorder()
    dispatcher = exporters.Dispatcher([stuck, rec], queue_limit=2)
    dispatcher.start()
    from delfin.common import constants
    metric = constants.metric_struct('iops', {'resource_type': 'storage',
                                              'resource_id': 's'},
                                     {1: 1.0, 2: 2.0})
    before = exporters.DROPPED.labels('stuck')._value.get()
    try:
        started = time.monotonic()
        for n in range(10):
            dispatcher.publish(exporters.Batch({'id': 's'}, [metric], n, n))
            # Time for the recorder (which has the same small queue).
            conftest.wait_for(lambda: len(rec.batches) == n + 1, 5)
        assert time.monotonic() - started < 5
        # One batch in the stuck exporter's hands, two queued, 7 dropped.
        dropped = exporters.DROPPED.labels('stuck')._value.get() - before
        assert dropped == 7 * 2
    finally:
        stuck.release.set()
        dispatcher.stop(10)


def test_streamed_exposition_reads_as_prometheus_client_writes_it():
    from delfin.common import constants
    store = prometheus.SeriesStore()
    shared = {'resource_type': 'volume', 'resource_id': 'v1',
              'unit': 'IOPS'}
    metrics = [
        constants.metric_struct('iops', shared, {60000: 12.5}),
        constants.metric_struct('readIops', shared, {60000: 2,
                                                     120000: 3.25}),
        constants.metric_struct('writeIops', shared,
                                {60000: float('nan')}),
        constants.metric_struct(
            'throughput', {'resource_type': 'port', 'resource_id': 'p 1',
                           'unit': 'MB/s', 'type': 'RAW'},
            {60000: float('inf')})]
    store.update(exporters.Batch(
        {'id': 's1', 'name': 'array "one"\\\n', 'serial_number': None},
        metrics, 0, 120000))
    store.update(exporters.Batch({'id': 's2', 'name': 'two'},
                                 metrics[:1], 0, 60000))
    registry = prometheus_client.CollectorRegistry()
    registry.register(store)
    reference = prometheus_client.generate_latest(registry).decode()
    streamed = b''.join(store.text(chunk=2)).decode()

    def samples(text):
        return sorted((s.name, tuple(sorted(s.labels.items())),
                       repr(s.value), s.timestamp)
                      for f in parser.text_string_to_metric_families(text)
                      for s in f.samples)
    assert samples(streamed) == samples(reference)
    assert len(samples(streamed)) == 5
    assert ('volume_readIops' in streamed
            and ' 3.25 120000\n' in streamed)
