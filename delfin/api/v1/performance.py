"""Performance collection of a storage (additions to Delfin's v1 API).

``GET /v1/storages/{id}/metrics-config`` shows how a storage is collected:
its interval, whether it is collected, and the window accounting
(``collected_until`` in epoch ms, windows collected, failed and lost,
samples, last error).  ``PUT`` changes the interval and the switch, in
Delfin's ``metrics-config`` shape::

    {"array_polling": {"perf_collection": true, "interval": 300}}

or flat (``{"interval": 300, "perf_collection": true}``); an interval of
0 goes back to the driver's or the configured default.

``GET /v1/storages/{id}/metrics`` answers the recent samples kept in the
database (the ``sql`` exporter), oldest first, filtered by
``resource_type``, ``resource_id``, ``metric``, ``begin_time`` and
``end_time`` (epoch ms), at most ``limit`` (``api_max_limit``)::

    {"metrics": [{"resource_type", "resource_id", "metric", "timestamp",
                  "value"}, ...]}
"""
from oslo_config import cfg

from delfin.api import validation
from delfin.api.common import params
from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.api.v1 import storages
from delfin.telemetry import state
from delfin.telemetry.exporters import sql

CONF = cfg.CONF

_INTERVAL = {'type': 'integer', 'minimum': 0, 'maximum': 31536000}
_POLLING = {
    'type': 'object',
    'properties': {'perf_collection': {'type': 'boolean'},
                   'interval': _INTERVAL,
                   'is_historic': {'type': 'boolean'}},
    'additionalProperties': False,
}
put_schema = {
    'type': 'object',
    'properties': dict(_POLLING['properties'], array_polling=_POLLING),
    'additionalProperties': False,
}

_QUERY = ('resource_type', 'resource_id', 'metric')


def config_view(storage_id, record):
    record = record or {}
    own = record.get('interval')
    enabled = record.get('enabled', True)
    interval = own or CONF.telemetry.performance_collection_interval
    return {
        'storage_id': storage_id,
        'array_polling': {'perf_collection': bool(enabled),
                          'interval': interval},
        'interval': interval,
        'storage_interval': own,
        'perf_collection': bool(enabled),
        'collected_until': record.get('collected_until'),
        'windows_collected': record.get('windows_collected', 0),
        'windows_failed': record.get('windows_failed', 0),
        'windows_lost': record.get('windows_lost', 0),
        'samples_collected': record.get('samples_collected', 0),
        'last_error': record.get('last_error'),
        'last_success_at': views.format_datetime(
            record.get('last_success_at')),
    }


class PerformanceController(wsgi.Controller):

    def show_config(self, req, id):
        storages.get_storage(id)
        return config_view(id, state.get(id))

    @validation.schema(put_schema)
    def update_config(self, req, id, body):
        storages.get_storage(id)
        values = dict(body.get('array_polling') or {})
        values.update({k: v for k, v in body.items()
                       if k != 'array_polling'})
        record = state.configure(id, interval=values.get('interval'),
                                 enabled=values.get('perf_collection'))
        return config_view(id, record)

    def samples(self, req, id):
        storages.get_storage(id)
        query = {}
        for name in _QUERY:
            value = req.GET.get(name)
            if value is not None:
                query[name] = value
        for name in ('begin_time', 'end_time'):
            value = req.GET.get(name)
            if value is not None:
                query[name] = params.parse_int(name, value)
        limit = params.parse_limit(req.GET.get('limit'))
        return {'metrics': sql.query(id, limit=limit, **query)}


ROUTES = [
    wsgi.Route('GET', '/v1/storages/{id}/metrics-config',
               PerformanceController, 'show_config',
               name='metrics_config_show'),
    wsgi.Route('PUT', '/v1/storages/{id}/metrics-config',
               PerformanceController, 'update_config',
               name='metrics_config_update'),
    wsgi.Route('GET', '/v1/storages/{id}/metrics', PerformanceController,
               'samples', name='metrics_index'),
]
