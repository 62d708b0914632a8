"""The webhook exporter: alert changes POSTed as JSON to one URL.

The body is ``{"alerts": [<alert>, ...]}``; each alert carries the stored
fields (``id``, ``storage_id``, Delfin's alert fields, ``occurrence_count``,
``first_occur_time``, ``last_occur_time``, ``state``, ``source``,
``cleared_at``...), the storage's ``storage_name``, ``vendor``, ``model``,
``serial_number``, and ``change`` (``new``, ``reopened``, ``cleared``, or
``removed`` when the storage is removed).
Any 2xx answer is success; anything else (or no answer within
``[webhook_exporter] timeout``) is a failure the dispatcher retries.
"""
import datetime
import json

import requests
from oslo_config import cfg

from delfin.exporter.alert import AlertExporter

CONF = cfg.CONF


def _default(value):
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%dT%H:%M:%S.%f')
    return str(value)


class WebhookAlertExporter(AlertExporter):
    """POSTs alert changes to ``[webhook_exporter] url``."""

    def __init__(self, url=None, timeout=None, ca_file=None):
        super().__init__()
        opts = CONF.webhook_exporter
        self.url = url or opts.url
        if not self.url:
            raise ValueError('[webhook_exporter] url is not set')
        self.timeout = timeout or opts.timeout
        self.verify = ca_file or opts.ca_file or True
        self.session = requests.Session()

    def export(self, alerts):
        body = json.dumps({'alerts': alerts}, default=_default)
        resp = self.session.post(
            self.url, data=body, timeout=self.timeout, verify=self.verify,
            headers={'Content-Type': 'application/json'})
        if not 200 <= resp.status_code < 300:
            raise RuntimeError('webhook answered %s' % resp.status_code)

    def close(self):
        self.session.close()
