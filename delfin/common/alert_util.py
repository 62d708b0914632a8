"""Helpers for alert models: the time-window filter drivers apply in
``list_alerts`` and the copy of storage attributes into an alert."""
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def is_alert_in_time_range(query_para, occur_time):
    """Whether `occur_time` (epoch ms) lies in the window of `query_para`.

    `query_para` may hold ``begin_time`` and ``end_time`` (epoch ms, both
    bounds inclusive).  No query means every alert matches; so does a query
    whose bounds are not numbers (after a warning).  A non-empty query
    without any bound matches nothing, as drivers written for Delfin
    expect.
    """
    if not query_para:
        return True
    begin_time = query_para.get('begin_time')
    end_time = query_para.get('end_time')
    try:
        begin_time = int(begin_time) if begin_time else None
        end_time = int(end_time) if end_time else None
    except (TypeError, ValueError):
        LOG.warning("Ignoring alert time range with non-numeric bounds: "
                    "begin_time=%s end_time=%s", begin_time, end_time)
        return True
    if begin_time is not None and end_time is not None:
        return begin_time <= occur_time <= end_time
    if begin_time is not None:
        return begin_time <= occur_time
    if end_time is not None:
        return end_time >= occur_time
    return False


def fill_storage_attributes(alert_model, storage):
    """Copy the identity of `storage` into `alert_model` and return it."""
    alert_model['storage_id'] = storage['id']
    alert_model['storage_name'] = storage['name']
    alert_model['vendor'] = storage['vendor']
    alert_model['model'] = storage['model']
    alert_model['serial_number'] = storage['serial_number']
    return alert_model
