"""One performance collection cycle of a million samples, end to end.

A storage whose driver answers ``--volumes`` volumes x ``--metrics``
metrics, one sample each (Delfin's shape: a ``metric_struct`` per series,
its labels shared by the metrics of one volume as a driver builds them),
generated as it is read, is collected once by the real
`PerformanceCollector` (SQLite window accounting) and handed to the
Prometheus and Kafka exporters through the real `Dispatcher`.  Kafka is
librdkafka's built-in mock cluster (``test.mock.num.brokers``), so the
producer's batching and delivery are real.  Printed:

* driver stream alone: the driver's generator read to the end with
  nothing kept, before the cycle (what the driver itself costs);
* collect: the driver's stream read into the collector's columnar batch
  (dropping duplicates, adding the storage's labels) in the thread that
  is cut off at the timeout, the RSS at its end, then the window's
  accounting and handing the batch over;
* expose: the Prometheus exporter taking the batch (its series store);
* kafka: the Kafka exporter's messages produced and delivered
  (``flush``); it runs beside the Prometheus exporter, as in a node;
* cycle: from the collection's start until both exporters are done
  (target: 10 s);
* scrape: one GET of the exposition on ``metric_server_port`` (time,
  bytes, series), after the cycle;
* peak RSS of the process (target: 300 MB) and its RSS before the cycle.

    .venv/bin/python bench/perf_bench.py
    .venv/bin/python bench/perf_bench.py --volumes 10000
"""
import argparse
import os
import resource
import socket
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

METRICS = ('iops', 'readIops', 'writeIops', 'throughput', 'readThroughput',
           'writeThroughput', 'responseTime', 'readResponseTime',
           'writeResponseTime', 'cacheHitRatio', 'readCacheHitRatio',
           'writeCacheHitRatio', 'ioSize', 'readIoSize', 'writeIoSize')


def rss_mb(field='VmRSS'):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class BenchDriverAPI(object):
    """The part of `delfin.drivers.api.API` the collector uses, for one
    storage with many volumes."""

    def __init__(self, storage_id, volumes, metrics):
        from delfin.common import constants as c
        self.c = c
        self.storage_id = storage_id
        self.volumes = volumes
        self.metrics = METRICS[:metrics]
        self.driver_seconds = 0.0

    def get_driver(self, context, storage_id):
        return self

    def get_capabilities(self, context, filters=None):
        c = self.c
        return {'is_historic': True,
                'resource_metrics': {c.ResourceType.VOLUME: {
                    m: {'unit': c.METRIC_UNITS[m], 'description': m}
                    for m in self.metrics}}}

    def collect_perf_metrics(self, context, storage_id, resource_metrics,
                             start_time, end_time):
        """The samples, generated one series at a time as a driver reading
        its backend page by page would; the time and CPU spent generating
        them are recorded."""
        t0 = time.perf_counter()
        c0 = time.thread_time()
        c = self.c
        ts = int(end_time) - int(end_time) % 60000
        names = [m for m in self.metrics
                 if m in resource_metrics.get(c.ResourceType.VOLUME, {})]
        units = [c.METRIC_UNITS[m] for m in names]
        struct = c.metric_struct
        for i in range(self.volumes):
            rid = 'volume-%06d' % i
            base = {'storage_id': storage_id, 'resource_type': 'volume',
                    'resource_id': rid, 'resource_name': rid,
                    'type': 'RAW', 'value_type': 'gauge'}
            by_unit = {}
            for j, name in enumerate(names):
                unit = units[j]
                labels = by_unit.get(unit)
                if labels is None:
                    labels = by_unit[unit] = dict(base, unit=unit)
                yield struct(name, labels,
                             {ts: float((i * 31 + j * 7) % 1000)})
        self.driver_seconds = time.perf_counter() - t0
        self.driver_cpu = time.thread_time() - c0
        self.rss_after = rss_mb()


class Timed(object):
    """An exporter whose export time is recorded."""

    def __init__(self, exporter, after=None):
        self.exporter = exporter
        self.name = exporter.name
        self.after = after
        self.seconds = None
        self.cpu = None

    def start(self):
        self.exporter.start()

    def stop(self):
        self.exporter.stop()

    def forget(self, storage_id):
        self.exporter.forget(storage_id)

    def export(self, batch):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        self.exporter.export(batch)
        if self.after is not None:
            self.after()
        self.seconds = time.perf_counter() - t0
        self.cpu = time.thread_time() - c0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--volumes', type=int, default=100000)
    parser.add_argument('--metrics', type=int, default=10,
                        choices=range(1, len(METRICS) + 1), metavar='1-15')
    parser.add_argument('--no-kafka', action='store_true')
    args = parser.parse_args()

    from oslo_config import cfg
    from delfin import conf  # noqa: F401  (registers the options)
    from delfin.db import api as db_api
    from delfin.db import engine as db_engine
    from delfin.db import migration
    from delfin.telemetry import collector as collector_mod
    from delfin.telemetry import exporters
    from delfin.telemetry.exporters import kafka
    from delfin.telemetry.exporters import prometheus

    CONF = cfg.CONF
    CONF([], project='delfin')
    work = tempfile.mkdtemp(prefix='delfin-perf-bench-')
    CONF.set_override('state_path', work)
    url = 'sqlite:///%s/delfin.sqlite' % work
    CONF.set_override('connection', url, group='database')
    engine = db_engine.create_engine(url)
    db_engine.set_engine(engine)
    migration.upgrade(engine)
    port = free_port()
    CONF.set_override('metric_server_ip', '127.0.0.1',
                      group='PROMETHEUS_EXPORTER')
    CONF.set_override('metric_server_port', port,
                      group='PROMETHEUS_EXPORTER')
    CONF.set_override('performance_collection_interval', 60,
                      group='telemetry')

    sid = 'b0000000-0000-4000-8000-000000000001'
    db_api.create('storage', {'id': sid, 'name': 'bench-array',
                              'vendor': 'bench', 'model': 'bench',
                              'serial_number': 'BENCH0001',
                              'status': 'normal'})
    storage = next(s for s in collector_mod.state.storages()
                   if s['id'] == sid)
    driver = BenchDriverAPI(sid, args.volumes, args.metrics)

    lanes = [Timed(prometheus.PrometheusExporter())]
    kafka_exporter = None
    if not args.no_kafka:
        kafka_exporter = kafka.KafkaExporter(
            config={'test.mock.num.brokers': 1}, topic='delfin-bench')
        kafka_exporter._get().list_topics(timeout=10)   # cluster up
        lanes.append(Timed(kafka_exporter,
                           after=lambda: kafka_exporter.flush(60)))
    dispatcher = exporters.Dispatcher(lanes, queue_limit=4)
    dispatcher.start()
    collector = collector_mod.PerformanceCollector(
        owns=lambda s: True, dispatcher=dispatcher, driver=driver,
        timeout=300)
    expected = args.volumes * args.metrics
    wanted = driver.get_capabilities(None)['resource_metrics']
    t0 = time.perf_counter()
    c0 = time.thread_time()
    for _ in driver.collect_perf_metrics(None, sid, wanted, 0, 60000):
        pass
    alone = (time.perf_counter() - t0, time.thread_time() - c0)
    rss_before = rss_mb()

    t0 = time.perf_counter()
    c0 = time.thread_time()
    outcome = collector.collect(storage)
    t_collected = time.perf_counter()
    collect_cpu = time.thread_time() - c0
    while not dispatcher.idle():
        time.sleep(0.005)
    t_done = time.perf_counter()
    if outcome.get('result') != 'collected':
        sys.exit('collection failed: %s' % outcome)

    t_scrape = time.perf_counter()
    p0 = time.process_time()
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                timeout=120) as resp:
        size = series = 0
        tail = b''
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            chunk = tail + chunk
            series += chunk.count(b'\nvolume_')
            tail = chunk[-7:]       # shorter than what is counted
    scrape = time.perf_counter() - t_scrape
    scrape_cpu = time.process_time() - p0
    peak = rss_mb('VmHWM')

    def line(label, seconds, cpu=None, note=''):
        print('%-34s %8.2f s %s %s' % (
            label, seconds,
            '         ' if cpu is None else '(%5.2f s CPU)' % cpu, note))

    print('samples: %d (%d volumes x %d metrics), collected %d'
          % (expected, args.volumes, args.metrics, outcome['samples']))
    line('driver stream alone', alone[0], alone[1], '(before the cycle)')
    line('collect: stream into the batch', driver.driver_seconds,
         driver.driver_cpu)
    print('%-34s %8.0f MB' % ('RSS at the end of the stream',
                              driver.rss_after))
    line('collect: accounting + handover',
         t_collected - t0 - driver.driver_seconds, collect_cpu)
    line('expose: prometheus series store', lanes[0].seconds,
         lanes[0].cpu)
    if kafka_exporter is not None:
        line('kafka: produced and delivered', lanes[1].seconds,
             lanes[1].cpu)
    cycle = t_done - t0
    line('cycle (collect, expose, kafka)', cycle, None,
         '(target 10 s: %s)' % ('ok' if cycle <= 10 else 'MISS'))
    line('scrape of the exposition', scrape, scrape_cpu,
         '(%.1f MB, %d volume series)' % (size / 1e6, series))
    print('%-34s %8.0f MB (before the cycle: %.0f MB; target 300 MB: %s)'
          % ('peak RSS', peak, rss_before, 'ok' if peak <= 300 else 'MISS'))
    if series != expected or outcome['samples'] != expected:
        sys.exit('expected %d series, the exposition has %d'
                 % (expected, series))
    collector.stop(60)
    prometheus.stop_serving()


if __name__ == '__main__':
    main()
