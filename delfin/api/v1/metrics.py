"""``GET /metrics``: the service's Prometheus metrics.

The text exposition format of prometheus_client's default registry: the
metrics of this process (trap listener, alert store, exporters, and what
other parts of the service register there).  See
`delfin.alert_manager.metrics` for the alert pipeline's metrics.
"""
import webob

from delfin.alert_manager import metrics
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.task_manager import jobs

# Sync freshness per storage and resource kind, read from the database at
# scrape time (so it covers the syncs of every task node).
jobs.register_metrics()


class MetricsController(wsgi.Controller):

    @openapi.describe(response={'type': 'string'},
                      content_type='text/plain')
    def show(self, req):
        body, content_type = metrics.exposition()
        resp = webob.Response(status=200, body=body)
        resp.headers['Content-Type'] = content_type
        return resp


ROUTES = [
    wsgi.Route('GET', '/metrics', MetricsController, 'show', name='metrics'),
]
