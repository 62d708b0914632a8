"""The Grafana dashboard of installer/grafana against a real Prometheus
server scraping the performance exposition.

Two fake storages are collected once (the clock is the real one, so
Prometheus takes the samples' own timestamps), the Prometheus exporter
serves them, and a private ``prometheus`` (Debian package) on a loopback
port scrapes that page every second.  Then every query of the dashboard's
panels and of its storage variable runs through Prometheus's HTTP API with
the variables substituted, and must return data of the selected storage.
One server per module; about 5 s.
"""
import json
import os
import pathlib
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from oslo_config import cfg

from delfin.tests import conftest
from delfin.telemetry import collector as collector_mod
from delfin.telemetry import exporters
from delfin.telemetry.exporters import prometheus

CONF = cfg.CONF
DASHBOARD = (pathlib.Path(__file__).resolve().parents[4] / 'installer'
             / 'grafana' / 'delfin-performance.json')
LOOKBACK = '15m'


def _dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def _panel_queries():
    out = []
    for panel in _dashboard()['panels']:
        for target in panel.get('targets', ()):
            out.append(pytest.param(target['expr'], id='%s/%s' % (
                panel['title'], target['refId'])))
    return out


def _variable(name):
    return next(v for v in _dashboard()['templating']['list']
                if v['name'] == name)


class Prometheus(object):
    def __init__(self, url, storages, names):
        self.url = url
        self.storages = storages        # the storage ids collected
        self.names = names              # storage id -> name

    def query(self, expr):
        data = urllib.parse.urlencode({'query': expr}).encode()
        try:
            with urllib.request.urlopen(self.url + '/api/v1/query', data,
                                        timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as e:
            raise AssertionError('%s: %s' % (expr, e.read()[:500]))
        assert body['status'] == 'success', body
        return body['data']['result']


@pytest.fixture(scope='module')
def server(sqlite_engine, tmp_path_factory):
    binary = conftest.require_program('prometheus')
    CONF.set_override('fake_perf_resource_limit', 3, group='fake_driver')
    CONF.set_override('performance_collection_interval', 600,
                      group='telemetry')
    exposition_port = conftest.free_port()
    CONF.set_override('metric_server_port', exposition_port,
                      group='PROMETHEUS_EXPORTER')
    storages = [conftest.register_fake_storage(host='192.0.2.%d' % i)
                for i in (1, 2)]
    dispatcher = exporters.Dispatcher([prometheus.PrometheusExporter()])
    dispatcher.start()
    collector = collector_mod.PerformanceCollector(
        owns=lambda sid: True, clock=time.time, dispatcher=dispatcher)
    proc = None
    try:
        collector.tick(wait=True)
        conftest.wait_for(dispatcher.idle, 10, what='exposition updated')
        from delfin.db import api as db_api
        names = {sid: db_api.get('storage', sid)['name']
                 for sid in storages}

        work = tmp_path_factory.mktemp('prometheus')
        config = work / 'prometheus.yml'
        config.write_text(
            'global:\n'
            '  scrape_interval: 1s\n'
            'scrape_configs:\n'
            '  - job_name: delfin-performance\n'
            '    honor_timestamps: true\n'
            '    static_configs:\n'
            '      - targets: ["127.0.0.1:%d"]\n' % exposition_port)
        port = conftest.free_port()
        log = open(work / 'prometheus.log', 'wb')
        proc = subprocess.Popen(
            [binary, '--config.file=%s' % config,
             '--storage.tsdb.path=%s' % (work / 'data'),
             '--web.listen-address=127.0.0.1:%d' % port,
             '--log.level=warn'],
            stdout=log, stderr=subprocess.STDOUT, cwd=str(work))
        log.close()
        prom = Prometheus('http://127.0.0.1:%d' % port, storages, names)

        def scraped():
            if proc.poll() is not None:
                raise AssertionError(
                    'prometheus exited: %s'
                    % (work / 'prometheus.log').read_text()[-2000:])
            try:
                return len(prom.query('disk_iops')) >= 6
            except OSError:
                return False
        conftest.wait_for(scraped, 30, interval=0.2,
                          what='prometheus to scrape the exposition')
        yield prom
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        collector.stop(10)
        for sid in storages:
            prometheus.STORE.forget(sid)
        prometheus.stop_serving()


def _substitute(expr, storage_id):
    """What Grafana sends with one storage selected (a regex-escaped
    value, as Grafana escapes it for Prometheus's =~)."""
    value = re.sub(r'([\\^$*+?.()|\[\]{}])', r'\\\\\1', storage_id)
    return (expr.replace('$storage', value)
            .replace('$lookback', LOOKBACK))


def test_prometheus_keeps_the_samples_own_timestamps(server):
    sid = server.storages[0]
    collected = {s.labels['storage_id']: s
                 for f in prometheus.STORE.collect()
                 if f.name == 'storage_iops' for s in f.samples}
    (result,) = server.query('storage_iops{storage_id="%s"}' % sid)
    stamp, value = result['value']
    (own,) = server.query('timestamp(storage_iops{storage_id="%s"})' % sid)
    assert float(own['value'][1]) == pytest.approx(
        collected[sid].timestamp, abs=0.001)
    assert float(value) == pytest.approx(collected[sid].value)
    labels = result['metric']
    assert labels['storage_name'] == server.names[sid]
    assert {k: labels[k] for k in ('resource_type', 'resource_id', 'type',
                                   'unit', 'value_type')} == {
        'resource_type': 'storage', 'resource_id': sid, 'type': 'RAW',
        'unit': 'IOPS', 'value_type': 'gauge'}


def test_storage_variable_lists_the_storages_by_name(server):
    variable = _variable('storage')
    inner = re.fullmatch(r'query_result\((.*)\)', variable['definition'])
    assert inner, variable['definition']
    # Grafana's query_result: one line per series, labels sorted.
    lines = ['{%s} %s' % (', '.join(
        '%s="%s"' % kv for kv in sorted(r['metric'].items())),
        r['value'][1]) for r in server.query(inner.group(1))]
    pattern = re.compile(variable['regex'].strip('/').replace('(?<',
                                                              '(?P<'))
    options = {}
    for line in lines:
        match = pattern.search(line)
        assert match, line
        options[match.group('value')] = match.group('text')
    assert options == server.names


@pytest.mark.parametrize('expr', _panel_queries())
def test_dashboard_panel_query_returns_data(server, expr):
    assert '$storage' in expr
    sid = server.storages[1]
    result = server.query(_substitute(expr, sid))
    assert result, 'no data for %s' % expr
    for series in result:
        labels = series['metric']
        assert labels.get('storage_id', sid) == sid
        assert labels.get('storage_name') == server.names[sid]
        assert float(series['value'][1]) >= 0


def test_every_resource_row_of_the_dashboard_has_panels():
    rows = {}
    current = None
    for panel in _dashboard()['panels']:
        if panel['type'] == 'row':
            current = rows.setdefault(panel['title'], [])
        else:
            current.append(panel['title'])
    assert set(rows) == {'Storages', 'Pools', 'Volumes', 'Ports', 'Disks'}
    assert all(rows.values())


def test_scrape_configuration_example_is_valid():
    promtool = conftest.require_program('promtool')
    example = DASHBOARD.parent / 'prometheus.yml'
    out = subprocess.run([promtool, 'check', 'config', str(example)],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stdout + out.stderr
