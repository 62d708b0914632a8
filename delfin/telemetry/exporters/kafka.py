"""Performance samples to Kafka, as Delfin sends them.

One long-lived confluent-kafka producer per process writes to
``[KAFKA_EXPORTER] kafka_topic_name`` on ``kafka_ip:kafka_port``.  A batch
is cut into messages of at most `METRICS_PER_MESSAGE` series, each a JSON
array of Delfin's shape ``[[name, labels, {"<ts ms>": value}], ...]``;
librdkafka batches and retries them.  A message the producer cannot take
(its queue is full for longer than a few seconds) or that the brokers
finally refuse is counted as dropped.
"""
import json
import math
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from delfin.telemetry import exporters

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

METRICS_PER_MESSAGE = 1000
# Seconds a message waits for room in the producer's queue.
QUEUE_WAIT = 5.0


# A series of one sample.
_ONE = '[%s, %s, {"%d": %s}]'


def _number(value):
    """``value`` as json writes a float."""
    if value - value == 0.0:
        return repr(value)
    if value != value:
        return 'NaN'
    return 'Infinity' if value > 0 else '-Infinity'


def messages(batch, per_message=METRICS_PER_MESSAGE):
    """The batch as JSON texts of at most ``per_message`` series each;
    series without a sample are left out.

    Written from the batch's columns: the labels of a resource are encoded
    once for its consecutive series, the metric names once, and a sample
    is formatted directly (json writes the int timestamps as the strings
    Delfin sends, and the floats as ``repr``).
    """
    encode = json.JSONEncoder(default=str).encode
    names = [encode(n) for n in batch.metric_names]
    shapes = batch.shapes
    shape_of = batch.resource_shape
    resources = batch.resources
    recent = {}         # resource -> its labels as JSON
    stamps = batch.timestamps
    numbers = batch.values

    def labels(r):
        if len(recent) >= 4096:
            recent.clear()
        text = recent[r] = shapes[shape_of[r]].json(resources[r], encode)
        return text

    if batch.one_sample_each:
        # A message at a time, column slices formatted together.
        get = recent.get
        series = batch.series_resource
        metrics = batch.series_metric
        for a in range(0, len(series), per_message):
            b = a + per_message
            values = numbers[a:b]
            yield '[%s]' % ', '.join(map(_ONE.__mod__, zip(
                map(names.__getitem__, metrics[a:b]),
                [get(r) or labels(r) for r in series[a:b]],
                stamps[a:b],
                map(repr if all(map(math.isfinite, values)) else _number,
                    values))))
        return
    part = []
    append = part.append
    start = 0
    for r, m, end in zip(batch.series_resource, batch.series_metric,
                         batch.series_end):
        if end == start:
            continue
        text = recent.get(r) or labels(r)
        append('[%s, %s, {%s}]' % (names[m], text, ', '.join(
            '"%d": %s' % (stamps[j], _number(numbers[j]))
            for j in range(start, end))))
        start = end
        if len(part) >= per_message:
            yield '[%s]' % ', '.join(part)
            part = []
            append = part.append
    if part:
        yield '[%s]' % ', '.join(part)


class KafkaExporter(exporters.PerformanceExporter):
    name = 'kafka'

    def __init__(self, config=None, topic=None):
        group = CONF.KAFKA_EXPORTER
        self.topic = topic or group.kafka_topic_name
        if config is None:
            config = {'bootstrap.servers': '%s:%s' % (group.kafka_ip,
                                                      group.kafka_port)}
            config.update(group.kafka_producer_config)
        self.config = dict(config)
        self.config.setdefault('linger.ms', 50)
        # What waits in the producer is bounded (64 MB): a cycle of a
        # million samples waits for room instead of holding them all.
        self.config.setdefault('queue.buffering.max.kbytes', 65536)
        self._producer = None
        self._lock = threading.Lock()
        self.failed = 0

    def _get(self):
        with self._lock:
            if self._producer is None:
                import confluent_kafka
                self._producer = confluent_kafka.Producer(
                    dict(self.config, error_cb=self._on_error))
            return self._producer

    @staticmethod
    def _on_error(err):
        LOG.warning("Kafka performance exporter: %s", err)

    def _delivered(self, err, msg):
        if err is not None:
            self.failed += 1
            exporters.DROPPED.labels(self.name).inc(
                sum(len(series[2]) for series in json.loads(msg.value())))
            LOG.warning("Kafka refused performance samples: %s", err)

    def export(self, batch):
        producer = self._get()
        for text in messages(batch):
            deadline = time.monotonic() + QUEUE_WAIT
            while True:
                try:
                    producer.produce(self.topic, value=text.encode('utf-8'),
                                     key=batch.storage['id'].encode(),
                                     on_delivery=self._delivered)
                    break
                except BufferError:
                    if time.monotonic() > deadline:
                        raise
                    producer.poll(0.1)
            producer.poll(0)

    def flush(self, timeout=10.0):
        """Wait until what was produced is delivered; returns how many
        messages are still waiting."""
        return self._get().flush(timeout)

    def stop(self):
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            left = producer.flush(10.0)
            if left:
                LOG.warning("Kafka performance exporter stopped with %d "
                            "message(s) undelivered", left)
