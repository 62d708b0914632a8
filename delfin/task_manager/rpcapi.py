"""Client side of the task RPC API: what other components ask the task
nodes to do.

Every method is a cast (fire and forget): the caller has already recorded
what it wants in the database (a sync job row, a deleted storage), so the
task node's work is observable there, not through a reply.  Casts go through
the process's `delfin.rpc.Courier`: a caller waits at most a second for the
broker for a sync (and not at all for the other casts, nor while the broker
is known to be away), and a cast the broker did not take (it was away, or
no task node listened yet) is sent again until it is taken.  Each method
returns True when its cast was taken before it returned.

API version history:

* 1.0 - ``sync_storage(storage_id, job_id)``, ``remove_storage(storage_id)``
  (fanout: every task node drops its driver instance of the storage),
  ``sync_storage_alerts(storage_id, query_para)``.

Messages name the method and carry plain JSON arguments; a change of
arguments bumps the version, and a new method bumps the minor version so
that an old task node refuses what it cannot do instead of misreading it.
"""
import oslo_messaging as messaging
from oslo_config import cfg

from delfin import rpc

CONF = cfg.CONF

RPC_API_VERSION = '1.0'


class TaskAPI(object):
    """Casts to the task nodes listening on ``[DEFAULT] delfin_task_topic``."""

    def __init__(self, topic=None):
        self.topic = topic or CONF.delfin_task_topic
        target = messaging.Target(topic=self.topic, version=RPC_API_VERSION)
        self._client = rpc.get_client(target, version_cap=RPC_API_VERSION,
                                      at_least_once=True)

    def _send(self, what, prepared, context, method, wait=None, **kwargs):
        def cast():
            prepared.cast(context, method, **kwargs)
        return rpc.courier().send(cast, what, wait=wait)

    def sync_storage(self, context, storage_id, job_id):
        """Run the sync job ``job_id`` (already created) of ``storage_id``."""
        return self._send('sync job %s' % job_id,
                          self._client.prepare(version='1.0', retry=0),
                          context, 'sync_storage', storage_id=storage_id,
                          job_id=job_id)

    def remove_storage(self, context, storage_id):
        """Tell every task node that ``storage_id`` is gone."""
        return self._send('removal of storage %s' % storage_id,
                          self._client.prepare(version='1.0', fanout=True,
                                               retry=0),
                          context, 'remove_storage', wait=0,
                          storage_id=storage_id)

    def sync_storage_alerts(self, context, storage_id, query_para):
        """Poll the storage's alerts and reconcile the alert store.

        ``query_para`` is Delfin's ``{'begin_time': ms, 'end_time': ms}``
        window, or None for everything the backend reports.
        """
        return self._send('alert sync of storage %s' % storage_id,
                          self._client.prepare(version='1.0', retry=0),
                          context, 'sync_storage_alerts', wait=0,
                          storage_id=storage_id, query_para=query_para)
