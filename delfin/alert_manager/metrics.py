"""Prometheus metrics of the alert pipeline.

They live in prometheus_client's default registry, which ``GET /metrics``
serves, so every process reports what happens in it: the alert service its
traps and stored alerts, any process its exporters.

Trap counters come from the listener's own statistics and the processor's
drop counts, read when metrics are collected (`register_pipeline`):

* ``delfin_snmp_traps_received_total``: datagrams read from the socket;
* ``delfin_snmp_traps_accepted_total``: decoded and authenticated traps;
* ``delfin_snmp_traps_dropped_total{reason}``: dropped datagrams and traps
  by reason (``undecodable``, ``unknown_source``, ``bad_community``,
  ``auth_failed``, ``decrypt_failed``, ``parse_failed``, ``queue_full``);
* ``delfin_snmp_trap_queue_depth`` / ``_capacity``: datagrams waiting;
* ``delfin_snmp_trap_delivery_seconds``: from receipt to processing.

The rest are ordinary metrics updated as things happen:
``delfin_alert_batch_processing_seconds`` (one batch: mapping, parsing,
storing), ``delfin_snmp_traps_ignored_total{reason}`` (traps a driver did
not turn into an alert: ``not_alert``, ``incomplete``),
``delfin_alerts_stored_total{result}`` (``new``, ``repeated``,
``cleared``, ``reopened``), ``delfin_alert_polls_total{result}`` (``ok``,
``failed``: reconciliations with a storage's alert list), and per exporter
``delfin_alert_exporter_sent_total``, ``_failures_total`` (failed
attempts), ``_dropped_total`` and ``_queue_depth``.
"""
import threading
import weakref

import prometheus_client
from prometheus_client import core

BATCH_SECONDS = prometheus_client.Histogram(
    'delfin_alert_batch_processing_seconds',
    'Time to map, parse and store one batch of traps.',
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
             2.5, 5.0, 10.0))
TRAPS_IGNORED = prometheus_client.Counter(
    'delfin_snmp_traps_ignored',
    'Accepted traps that did not become an alert, by reason.', ['reason'])
ALERTS_STORED = prometheus_client.Counter(
    'delfin_alerts_stored',
    'Alert occurrences written to the alert store, by result.', ['result'])
POLLS = prometheus_client.Counter(
    'delfin_alert_polls',
    'Alert polls of storages (reconciliations), by result.', ['result'])
EXPORTER_SENT = prometheus_client.Counter(
    'delfin_alert_exporter_sent', 'Alerts delivered by an exporter.',
    ['exporter'])
EXPORTER_FAILURES = prometheus_client.Counter(
    'delfin_alert_exporter_failures',
    'Failed export attempts (each retry counts).', ['exporter'])
EXPORTER_DROPPED = prometheus_client.Counter(
    'delfin_alert_exporter_dropped',
    'Alerts an exporter never delivered (queue full or retries exhausted).',
    ['exporter'])
EXPORTER_QUEUE = prometheus_client.Gauge(
    'delfin_alert_exporter_queue_depth', 'Alerts waiting for an exporter.',
    ['exporter'])

_pipelines = weakref.WeakSet()
_lock = threading.Lock()


def register_pipeline(pipeline):
    """Report the trap counters of ``pipeline`` (anything with a
    ``trap_stats()`` method returning the listener's stats dict whose
    ``dropped`` includes the processor's drops) until it is garbage."""
    with _lock:
        _pipelines.add(pipeline)


def unregister_pipeline(pipeline):
    with _lock:
        _pipelines.discard(pipeline)


def record_save(result):
    """Count what a `store.SaveResult` did."""
    for name in ('new', 'repeated', 'cleared', 'reopened'):
        value = getattr(result, name)
        if value:
            ALERTS_STORED.labels(name).inc(value)


# Listener statistics summed over the alert pipelines of the process:
# (metric family, name, help, key of the stats snapshot).
_WIRE_TOTALS = (
    (core.CounterMetricFamily, 'delfin_snmp_traps_received',
     'SNMP datagrams read from the trap socket.', 'received'),
    (core.CounterMetricFamily, 'delfin_snmp_traps_accepted',
     'Traps decoded and authenticated.', 'accepted'),
    (core.GaugeMetricFamily, 'delfin_snmp_trap_queue_depth',
     'Datagrams waiting to be decoded.', 'queue_depth'),
    (core.GaugeMetricFamily, 'delfin_snmp_trap_queue_capacity',
     'Datagrams that may wait before new ones are dropped.',
     'queue_capacity'),
)


class _TrapCollector(object):
    """Sums the trap statistics of the running pipelines."""

    def collect(self):
        with _lock:
            pipelines = list(_pipelines)
        stats = []
        for pipeline in pipelines:
            try:
                stats.append(pipeline.trap_stats())
            except Exception:
                continue
        if not stats:
            return
        for family, name, text, key in _WIRE_TOTALS:
            metric = family(name, text)
            metric.add_metric([], sum(s[key] for s in stats))
            yield metric
        dropped = core.CounterMetricFamily(
            'delfin_snmp_traps_dropped',
            'Dropped SNMP datagrams and traps, by reason.',
            labels=['reason'])
        totals = {}
        for s in stats:
            for reason, count in s['dropped'].items():
                totals[reason] = totals.get(reason, 0) + count
        for reason in sorted(totals):
            dropped.add_metric([reason], totals[reason])
        yield dropped
        yield self._latency(stats)

    @staticmethod
    def _latency(stats):
        buckets = {}
        total = 0.0
        for s in stats:
            latency = s['latency_seconds']
            total += latency['sum']
            for bound, count in latency['buckets']:
                buckets[bound] = buckets.get(bound, 0) + count
        family = core.HistogramMetricFamily(
            'delfin_snmp_trap_delivery_seconds',
            'Time from the receipt of a trap to its processing.')
        family.add_metric(
            [], [(_bound(b), buckets[b]) for b in sorted(buckets)],
            sum_value=total)
        return family


def _bound(value):
    return '+Inf' if value == float('inf') else repr(float(value))


prometheus_client.REGISTRY.register(_TrapCollector())


def exposition():
    """(body, content type) of the default registry in the text format."""
    return (prometheus_client.generate_latest(prometheus_client.REGISTRY),
            prometheus_client.CONTENT_TYPE_LATEST)
