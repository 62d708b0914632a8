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


def messages(batch, per_message=METRICS_PER_MESSAGE):
    """The batch as JSON texts of at most ``per_message`` series each;
    series without a sample are left out.

    The labels dict a driver shares between the metrics of a resource is
    encoded once, and a single finite sample is written directly: a
    million series are a million small encodings otherwise.
    """
    encode = json.JSONEncoder(default=str).encode
    labels_text = {}    # id(labels) -> (labels, JSON)
    names = {}
    part = []
    for m in batch.metrics:
        values = m.values
        if not values:
            continue
        labels = labels_text.get(id(m.labels))
        if labels is None:
            labels = labels_text[id(m.labels)] = (m.labels,
                                                  encode(m.labels))
        name = names.get(m.name)
        if name is None:
            name = names[m.name] = encode(m.name)
        text = None
        if len(values) == 1:
            ((ts, value),) = values.items()
            if (type(ts) is int and type(value) is float
                    and value - value == 0.0):
                text = '{"%d": %r}' % (ts, value)
        if text is None:
            # json writes the int timestamps as the strings Delfin sends.
            text = encode(values)
        part.append('[%s, %s, %s]' % (name, labels[1], text))
        if len(part) >= per_message:
            yield '[%s]' % ', '.join(part)
            part = []
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
