"""JSON lines of performance samples, to a file and/or a webhook.

One line per sample: ``{"name": <metric>, "labels": {...}, "timestamp":
<epoch ms>, "value": <number>}``, with the labels of the batch
(`delfin.telemetry.exporters.Batch`).  ``[JSON_EXPORTER] path`` appends
the lines to a file; ``[JSON_EXPORTER] url`` POSTs each batch's lines
(``application/x-ndjson``) to a URL.
"""
import json
import threading

import requests
from oslo_config import cfg

from delfin.telemetry import exporters

CONF = cfg.CONF


def lines(batch):
    for m in batch.metrics:
        head = json.dumps(m.name)
        labels = json.dumps(m.labels, sort_keys=True, default=str)
        for ts, value in sorted(m.values.items()):
            yield '{"name": %s, "labels": %s, "timestamp": %d, ' \
                  '"value": %s}\n' % (head, labels, ts, json.dumps(value))


class JsonLinesExporter(exporters.PerformanceExporter):
    name = 'jsonl'

    def __init__(self, path=None, url=None, timeout=None):
        group = CONF.JSON_EXPORTER
        self.path = group.path if path is None else path
        self.url = group.url if url is None else url
        self.timeout = group.timeout if timeout is None else timeout
        self._session = None
        self._lock = threading.Lock()

    def export(self, batch):
        text = ''.join(lines(batch))
        if not text:
            return
        if self.path:
            with self._lock, open(self.path, 'a', encoding='utf-8') as f:
                f.write(text)
        if self.url:
            if self._session is None:
                self._session = requests.Session()
            resp = self._session.post(
                self.url, data=text.encode('utf-8'), timeout=self.timeout,
                headers={'Content-Type': 'application/x-ndjson'})
            resp.raise_for_status()

    def stop(self):
        if self._session is not None:
            self._session.close()
