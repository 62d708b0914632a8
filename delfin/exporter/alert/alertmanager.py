"""The Prometheus Alertmanager exporter (Alertmanager API v2).

Alert changes are POSTed to ``<url>/api/v2/alerts``; only changes are sent
(a new or reopened alert fires, a cleared one resolves), never the history.
Recovery alerts, which only report that another alert cleared, are not
sent: the alert they clear is sent as resolved.

An alert carries Delfin's labels, each a string (empty when the alert has
no value): ``alert_id``, ``alert_name``, ``sequence_number``, ``category``,
``severity``, ``type``, ``location``, ``recovery_advice``, ``storage_id``,
``storage_name``, ``vendor``, ``model``, ``serial_number`` and
``occur_time`` (milliseconds since the epoch when it began), so
that what reads Delfin's alerts from Alertmanager (the SODA dashboard's
alert view) finds them where it looks.  Beside them ``alertname`` (the
alert name, which Alertmanager's views group by) and ``uid`` (the stored
alert's id, so two stored alerts are never merged).  The ``summary``
annotation is the description, as Delfin sends it; ``description``,
``resource_type`` and ``occurrence_count`` are annotations too.
``startsAt`` is when the alert began; a cleared alert gets ``endsAt`` =
when it was cleared, and the open alerts of a storage that is removed are
sent resolved at once.

Alertmanager resolves an alert that is not re-sent in time.  The alert
service therefore re-sends every open alert each ``[alertmanager_exporter]
resend_interval`` seconds with ``endsAt`` four intervals ahead, as
Prometheus does; if the service stops, its alerts resolve on their own.
"""
import datetime

import requests
from oslo_config import cfg

from delfin.common import constants
from delfin.exporter.alert import AlertExporter

CONF = cfg.CONF

# Delfin's labels, always sent.
DELFIN_LABELS = ('alert_id', 'alert_name', 'sequence_number', 'category',
                 'severity', 'type', 'location', 'recovery_advice',
                 'storage_id', 'storage_name', 'vendor', 'model',
                 'serial_number', 'occur_time')
_EXTRA_LABELS = (('alertname', 'alert_name'), ('uid', 'id'))
_ANNOTATIONS = (('description', 'description'),
                ('resource_type', 'resource_type'),
                ('occurrence_count', 'occurrence_count'))
_PAGE = 500


def _rfc3339(value):
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(
            value / 1000.0, datetime.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def _url():
    opts = CONF.alertmanager_exporter
    if opts.url:
        return opts.url.rstrip('/')
    old = CONF.PROMETHEUS_ALERT_MANAGER_EXPORTER
    return 'http://%s:%s' % (old.alert_manager_host, old.alert_manager_port)


class AlertmanagerExporter(AlertExporter):
    """Sends alert changes to Prometheus Alertmanager."""

    def __init__(self, url=None, timeout=None, resend_interval=None,
                 ca_file=None):
        super().__init__()
        opts = CONF.alertmanager_exporter
        self.url = (url or _url()).rstrip('/') + '/api/v2/alerts'
        self.timeout = timeout or opts.timeout
        self.resend_interval = (opts.resend_interval if resend_interval is None
                                else resend_interval)
        self.refresh_interval = self.resend_interval or None
        self.verify = ca_file or opts.ca_file or True
        self.session = requests.Session()

    def _payload(self, alert, now):
        if alert.get('category') == constants.Category.RECOVERY:
            return None
        labels = {k: _text(v) for k, v in (
            (name, alert.get(name)) for name in DELFIN_LABELS)}
        for label, key in _EXTRA_LABELS:
            value = alert.get(key)
            if value is not None and value != '':
                labels[label] = str(value)
        annotations = {'summary': _text(alert.get('description')
                                        or alert.get('alert_name'))}
        for name, key in _ANNOTATIONS:
            value = alert.get(key)
            if value is not None and value != '':
                annotations[name] = str(value)
        starts = alert.get('occur_time')
        if not isinstance(starts, (int, float)) or starts <= 0:
            starts = now.timestamp() * 1000
        starts = min(starts, now.timestamp() * 1000)
        item = {'labels': labels, 'annotations': annotations,
                'startsAt': _rfc3339(starts)}
        if alert.get('state') == constants.AlertState.CLEARED:
            ends = alert.get('cleared_at') or now
            item['endsAt'] = _rfc3339(max(_aware(ends),
                                          _aware_ms(starts)))
        elif self.resend_interval:
            item['endsAt'] = _rfc3339(
                now + datetime.timedelta(seconds=4 * self.resend_interval))
        return item

    def _post(self, items):
        for i in range(0, len(items), _PAGE):
            resp = self.session.post(self.url, json=items[i:i + _PAGE],
                                     timeout=self.timeout,
                                     verify=self.verify)
            if not 200 <= resp.status_code < 300:
                raise RuntimeError('Alertmanager answered %s: %s'
                                   % (resp.status_code, resp.text[:200]))

    def export(self, alerts):
        now = datetime.datetime.now(datetime.timezone.utc)
        items = [p for p in (self._payload(a, now) for a in alerts) if p]
        if items:
            self._post(items)

    def refresh(self):
        """Re-send every open alert so that Alertmanager keeps it firing."""
        from delfin.alert_manager import store
        now = datetime.datetime.now(datetime.timezone.utc)
        for page in store.open_alerts_pages(_PAGE):
            items = [p for p in (self._payload(a, now) for a in page) if p]
            if items:
                self._post(items)

    def close(self):
        self.session.close()


def _text(value):
    return '' if value is None else str(value)


def _aware(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value


def _aware_ms(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0,
                                           datetime.timezone.utc)
