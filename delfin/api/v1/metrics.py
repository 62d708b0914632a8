"""``GET /metrics``: the service's Prometheus metrics.

The text exposition format of prometheus_client's default registry: the
metrics of this process (trap listener, alert store, exporters, and what
other parts of the service register there), the performance series of
this process streamed by `delfin.telemetry.exporters.prometheus`.  See
`delfin.alert_manager.metrics` for the alert pipeline's metrics.
"""
import webob

from delfin.alert_manager import metrics  # noqa: F401 (registers)
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.task_manager import jobs
from delfin.telemetry.exporters import prometheus

# Sync freshness per storage and resource kind, read from the database at
# scrape time (so it covers the syncs of every task node).
jobs.register_metrics()


class MetricsController(wsgi.Controller):

    @openapi.describe(response={'type': 'string'},
                      content_type='text/plain')
    def show(self, req):
        # The performance series are streamed: a million of them make a
        # page of some 200 MB.
        resp = webob.Response(status=200,
                              app_iter=prometheus.exposition())
        resp.headers['Content-Type'] = prometheus.CONTENT_TYPE
        return resp


ROUTES = [
    wsgi.Route('GET', '/metrics', MetricsController, 'show', name='metrics'),
]
