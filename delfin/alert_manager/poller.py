"""Alert polling: reconcile the alert store with what a storage holds.

Traps travel over UDP and can be lost; a storage's own alert list, read by
its driver's ``list_alerts``, is the truth.  `sync_alerts` (run by a task
node when the API's ``POST /v1/storages/{id}/alerts/sync`` casts it, after
registration, and when a driver could not make an alert of a trap) polls
that list and reconciles:

* an alert the store lacks is added (``source`` = ``poll``); for an alert
  it has, only occurrences newer than the stored ones are counted, since a
  poll lists what the storage still holds, not what happened again;
* an open alert the storage no longer reports is cleared: it is matched by
  ``match_key``, or ``alert_id`` when the driver gives no match key, the
  keys recoveries use, so an alert first received as a trap is recognised
  in the storage's list even when the driver words it differently there.
  With a time window (``begin_time``/``end_time``) only stored alerts that
  began within it are considered.  Only an alert the list could have held
  is cleared: never one without a key to match, one stored or repeated
  after the storage was asked (a trap arriving during the poll), or
  anything when the driver lists nothing (``None``).

Changes go to the alert exporters of the process.
"""
from oslo_log import log as logging

from delfin.alert_manager import metrics
from delfin.alert_manager import store as alert_store
from delfin.common import constants
from delfin.db import api as db_api
from delfin.drivers import api as driver_api
from delfin import exception
from delfin.exporter import alert as alert_exporter

LOG = logging.getLogger(__name__)


def _window(query_para):
    if not query_para:
        return None, None
    bounds = []
    for name in ('begin_time', 'end_time'):
        value = query_para.get(name)
        bounds.append(int(value) if value not in (None, '') else None)
    return tuple(bounds)


def _key(alert):
    return alert.get('match_key') or alert.get('alert_id')


def sync_alerts(context, storage_id, query_para=None, driver=None,
                store=None):
    """Poll the alerts of ``storage_id`` and reconcile the store.

    :param query_para: None, or Delfin's ``{'begin_time': ms, 'end_time':
        ms}`` (either optional), passed to the driver as is.
    :returns: dict with ``listed``, ``new``, ``repeated``, ``known`` and
        ``cleared`` counts, or None when the storage is gone.
    :raises: what the driver raises (nothing is changed then).
    """
    try:
        storage = db_api.get('storage', storage_id)
    except exception.StorageNotFound:
        LOG.info("Not polling alerts of storage %s: it is gone", storage_id)
        return None
    if storage.get('deleted'):
        return None
    driver = driver or driver_api.API()
    store = store or alert_store.AlertStore()
    try:
        summary = _reconcile(context, storage, query_para, driver, store)
    except Exception:
        metrics.POLLS.labels('failed').inc()
        raise
    metrics.POLLS.labels('ok').inc()
    LOG.info("Alerts of storage %s polled: %s", storage_id, summary)
    return summary


def _listable(row, reported, listed_from):
    """Whether the poll may clear the open alert ``row``: the storage's
    list could have held it (it has a key to match, and was stored before
    the list was read) and does not."""
    key = _key(row)
    if not key or key in reported:
        return False
    if row['category'] == constants.Category.RECOVERY:
        return False
    stored = row.get('updated_at') or row.get('created_at')
    return stored is not None and stored < listed_from


def _reconcile(context, storage, query_para, driver, store):
    storage_id = storage['id']
    # What is stored from now on (a trap arriving while the storage is
    # asked) cannot be in the list the storage gives.
    listed_from = db_api.utcnow()
    listed = driver.list_alerts(context, storage_id, query_para)
    alerts = []
    for alert in listed or []:
        if not alert:
            continue
        alert = dict(alert)
        alert.update(storage_id=storage_id, storage_name=storage['name'],
                     vendor=storage['vendor'], model=storage['model'],
                     serial_number=storage['serial_number'])
        alerts.append(alert)
    dispatcher = alert_exporter.get_dispatcher()
    result = store.save(alerts, constants.AlertSourceType.POLL,
                        report=dispatcher.active, only_newer=True)
    metrics.record_save(result)
    changes = list(result.changes)
    begin, end = _window(query_para)
    reported = {_key(a) for a in alerts if _key(a)}
    stale = []
    if listed is not None:
        stale = [r['id'] for r in alert_store.query(
            filters={'storage_id': storage_id,
                     'state': constants.AlertState.OPEN},
            begin_time=begin, end_time=end)
            if _listable(r, reported, listed_from)]
    cleared = store.clear_ids(storage_id, stale, storage=storage)
    changes.extend(cleared)
    if dispatcher.active:
        dispatcher.dispatch(changes)
    return {'listed': len(alerts), 'new': result.new,
            'repeated': result.repeated, 'known': result.known,
            'cleared': result.cleared + len(cleared)}
