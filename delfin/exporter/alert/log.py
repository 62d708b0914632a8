"""The log exporter: one log line per alert change."""
from oslo_log import log as logging

from delfin.exporter.alert import AlertExporter

LOG = logging.getLogger(__name__)


class LogAlertExporter(AlertExporter):
    """Logs new and reopened alerts at WARNING, clears at INFO."""

    def export(self, alerts):
        for alert in alerts:
            log = LOG.info if alert.get('change') == 'cleared' \
                else LOG.warning
            log("Alert %s on storage %s (%s): %s [%s, %s] %s, "
                "occurrences %s", alert.get('change'),
                alert.get('storage_name') or alert.get('storage_id'),
                alert.get('serial_number'), alert.get('alert_name'),
                alert.get('severity'), alert.get('category'),
                alert.get('location'), alert.get('occurrence_count'))
