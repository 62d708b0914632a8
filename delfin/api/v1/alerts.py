"""Alerts: the alert store over HTTP, and the storage's own alert actions.

* ``GET /v1/storages/{id}/alerts`` lists the storage's stored alerts
  (Delfin asked the device live; here traps and polls fill the store), with
  Delfin's ``begin_time``/``end_time`` (ms, inclusive, on ``occur_time``)
  and the list parameters of ``GET /v1/alerts``.
* ``DELETE /v1/storages/{id}/alerts/{sequence_number}`` clears the stored
  alert of that sequence number (as listed) on the storage through its
  driver (within ``api_backend_timeout``), then marks it cleared in the
  store; a sequence number the store does not hold for the storage is a
  404 ``AlertNotFound``, one whose alerts are all cleared already a 200
  that changes nothing.
* ``POST /v1/storages/{id}/alerts/sync`` (body ``{begin_time?,
  end_time?}``) asks a task node to poll the storage's alerts and reconcile
  the store (`delfin.alert_manager.poller`); 200 at once, as in Delfin.
* ``GET /v1/alerts`` lists alerts of every storage; filters
  ``storage_id``, ``severity``, ``state``, ``category``, ``source``,
  ``alert_id``, ``sequence_number`` (repeat a parameter for any of several
  values), ``begin_time``/``end_time``; ``sort`` (default ``occur_time``
  descending), ``limit``, ``offset``, ``marker`` (id of the last alert of
  the previous page) and ``total`` in the answer.

Each alert shows Delfin's alert fields with the storage's ``storage_name``,
``vendor``, ``model`` and ``serial_number``, plus its ``id``,
``occurrence_count``, ``first_occur_time``, ``last_occur_time``, ``state``
(open/cleared), ``source`` (trap/poll), ``cleared_at``, ``created_at`` and
``updated_at``.
"""
from delfin import exception
from delfin.alert_manager import store as alert_store
from delfin.api.common import backend
from delfin.api.common import params as list_params
from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.api import validation
from delfin.api.v1 import storages
from delfin.common import constants
from delfin.exporter import alert as alert_exporter

TABLE = alert_store.TABLE
FILTERS = ('storage_id', 'severity', 'state', 'category', 'source',
           'alert_id', 'sequence_number')
TIME_KEYS = ('begin_time', 'end_time')
DEFAULT_SORT = 'occur_time:desc'

VIEW_KEYS = ('id', 'storage_id', 'storage_name', 'vendor', 'model',
             'serial_number', 'alert_id', 'alert_name', 'severity',
             'category', 'type', 'sequence_number', 'occur_time',
             'description', 'recovery_advice', 'resource_type', 'location',
             'match_key', 'clear_category', 'occurrence_count',
             'first_occur_time', 'last_occur_time', 'state', 'source',
             'cleared_at', 'created_at', 'updated_at')

# Times are ms since the epoch, stored in 64-bit columns.
_TIME = {'type': 'integer', 'minimum': list_params.INT64[0],
         'maximum': list_params.INT64[1]}

sync_schema = {
    'type': 'object',
    'properties': {
        'begin_time': _TIME,
        'end_time': _TIME,
    },
    'additionalProperties': False,
}


def view(row):
    return views.project(row, VIEW_KEYS)


def _time(name, value):
    if isinstance(value, int):
        return value
    return list_params.parse_int(name + ' (ms since the epoch)', value)


def time_window(begin_time, end_time):
    """Delfin's checks of an alert time window; returns (begin, end)."""
    begin = None if begin_time is None else _time('begin_time', begin_time)
    end = None if end_time is None else _time('end_time', end_time)
    if begin is not None and end is not None and end <= begin:
        raise exception.InvalidInput(
            'end_time should be greater than begin_time.')
    return begin, end


def _query(req):
    """The query string as {name: [values]}, with the default sort."""
    query = {k: req.GET.getall(k) for k in dict.fromkeys(req.GET.keys())}
    if 'sort' not in query and 'sort_key' not in query:
        query['sort'] = [DEFAULT_SORT]
    return query


def _list(req, fixed=None):
    query = _query(req)
    window = {}
    for name in TIME_KEYS:
        values = query.get(name)
        if values is not None:
            if len(values) != 1:
                raise exception.InvalidInput(
                    'Parameter %s must be given at most once' % name)
            window[name] = values[0]
    begin, end = time_window(window.get('begin_time'),
                             window.get('end_time'))
    params = list_params.parse(query, TABLE, FILTERS, fixed=fixed,
                               ignored=TIME_KEYS)
    rows, total = alert_store.query(
        filters=params.filters, begin_time=begin, end_time=end,
        sort=params.sort, limit=params.limit, offset=params.offset,
        marker=params.marker, with_total=True)
    return views.collection('alerts', [view(r) for r in rows], total)


def _describe_list(fixed=()):
    return {'query': openapi.query_parameters(
        TABLE, FILTERS, fixed=fixed,
        extra=openapi.time_parameters(*TIME_KEYS)),
        'response': openapi.collection(
            'alerts', openapi.table_schema(TABLE, VIEW_KEYS))}


class AlertController(wsgi.Controller):
    """The alerts of one storage."""

    def describe(self, action):
        if action == 'show':
            return _describe_list(fixed=('storage_id',))
        return {'response': None}

    def show(self, req, id):
        storages.get_storage(id)
        return _list(req, fixed={'storage_id': id})

    def delete(self, req, id, sequence_number):
        context = self.context(req)
        storage = storages.get_storage(id)
        stored = alert_store.query(
            filters={'storage_id': id, 'sequence_number': sequence_number})
        if not stored:
            raise exception.AlertNotFound(sequence_number)
        if all(a['state'] != constants.AlertState.OPEN for a in stored):
            return  # cleared already
        backend.call(storages.driver_api().clear_alert, context, id,
                     sequence_number)
        changes = alert_store.AlertStore().clear(id, sequence_number,
                                                 storage=storage)
        alert_exporter.dispatch(changes)

    @validation.schema(sync_schema)
    def sync(self, req, id, body):
        begin, end = time_window(body.get('begin_time'),
                                 body.get('end_time'))
        storages.get_storage(id)
        query = {k: v for k, v in (('begin_time', begin),
                                   ('end_time', end)) if v is not None}
        storages.task_api().sync_storage_alerts(self.context(req), id,
                                                query or None)


class AlertListController(wsgi.Controller):
    """``GET /v1/alerts``: alerts of every storage."""

    def describe(self, action):
        return _describe_list()

    @wsgi.reads_pages
    def index(self, req):
        return _list(req)


ROUTES = [
    wsgi.Route('GET', '/v1/storages/{id}/alerts', AlertController, 'show',
               name='storage_alerts_index'),
    wsgi.Route('DELETE', '/v1/storages/{id}/alerts/{sequence_number}',
               AlertController, 'delete', name='storage_alert_clear'),
    wsgi.Route('POST', '/v1/storages/{id}/alerts/sync', AlertController,
               'sync', name='storage_alerts_sync'),
    wsgi.Route('GET', '/v1/alerts', AlertListController, 'index',
               name='alerts_index'),
]
