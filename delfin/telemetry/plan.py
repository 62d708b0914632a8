"""A storage's collection plan, built from its driver's capabilities.

The driver's ``get_capabilities`` (Delfin's schema: ``is_historic``,
``resource_metrics``, optional ``performance_metric_retention_window``,
``collect_interval`` and ``failed_job_collect_interval``) says what can be
collected; the plan adds how often (the storage's own interval, else the
driver's ``collect_interval``, else ``[telemetry]
performance_collection_interval``) and how far back a window may start
(the retention window of a historic backend, else ``[telemetry]
performance_history_on_reschedule``; a backend without history only has
the present).  The plan is rebuilt at every collection, so a change of
capabilities (a firmware upgrade, a new resource type) takes effect at the
next window; its ``digest`` tells when it changed.
"""
import dataclasses
import hashlib
import json

from oslo_config import cfg

from delfin import exception
from delfin.drivers import capabilities

CONF = cfg.CONF


@dataclasses.dataclass(frozen=True)
class Plan:
    resource_metrics: dict
    is_historic: bool
    interval: int           # seconds between windows
    history: int            # seconds back a window may start
    retry_interval: int     # seconds before a failed window is tried again
    digest: str

    @property
    def empty(self):
        return not any(self.resource_metrics.values())

    @property
    def metric_count(self):
        return sum(len(m) for m in self.resource_metrics.values())


def build(spec, driver_name, interval=None):
    """The plan of a driver's capabilities ``spec``.

    :param driver_name: ``"<vendor> <model>"``, for messages.
    :param interval: the storage's own interval (seconds) or None.
    :raises InvalidStorageCapability: naming the driver and the bad entry.
    """
    spec = spec or {}
    try:
        if spec:
            capabilities.validate_capabilities(spec)
    except exception.InvalidStorageCapability as e:
        raise exception.InvalidStorageCapability(
            'driver %s: %s' % (driver_name, e.error_args[0]
                               if e.error_args else e))
    resource_metrics = {rtype: dict(metrics or {}) for rtype, metrics in
                        (spec.get('resource_metrics') or {}).items()
                        if metrics}
    historic = bool(spec.get('is_historic'))
    every = int(interval or spec.get('collect_interval')
                or CONF.telemetry.performance_collection_interval)
    if historic:
        history = int(spec.get('performance_metric_retention_window')
                      or CONF.telemetry.performance_history_on_reschedule)
        history = max(history, every)
    else:
        history = every
    retry = int(spec.get('failed_job_collect_interval')
                or CONF.telemetry.performance_retry_interval)
    digest = hashlib.sha256(json.dumps(
        [resource_metrics, historic, every, history],
        sort_keys=True, default=str).encode('utf-8')).hexdigest()[:16]
    return Plan(resource_metrics=resource_metrics, is_historic=historic,
                interval=every, history=history, retry_interval=retry,
                digest=digest)
