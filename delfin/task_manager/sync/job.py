"""A sync job: the storage row, then every inventory kind in sync order,
with the job's progress, heartbeat and outcome recorded as it goes."""
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception
from delfin.common import constants
from delfin.resources import registry
from delfin.task_manager import jobs
from delfin.task_manager.sync import tolerance
from delfin.task_manager.sync.errors import JobStopped
from delfin.task_manager.sync.kind import KindSync
from delfin.task_manager.sync.storage import backend_status
from delfin.task_manager.sync.storage import set_storage_status
from delfin.task_manager.sync.storage import update_storage

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

State = constants.SyncJobState

# Kind states in a job's progress, beside the job states.
UNSUPPORTED = 'unsupported'
SKIPPED = 'skipped'

# How often a running job refreshes its progress (its heartbeat), seconds.
PROGRESS_INTERVAL = 2.0


def _plan():
    """[(kind, relation kind or None)] in sync order; a group kind and its
    membership kind come from one driver call."""
    plan = []
    members = {k.relation.kind for k in registry.inventory_kinds()
               if k.relation}
    for kind in registry.inventory_kinds():
        if kind.name in members:
            continue
        relation = registry.by_name(kind.relation.kind) \
            if kind.relation else None
        plan.append((kind, relation))
    return plan


def _message(error):
    text = str(error) or type(error).__name__
    if isinstance(error, exception.DelfinException):
        return '%s: %s' % (error.error_code, text)
    return '%s: %s' % (type(error).__name__, text)


class JobRunner(object):
    """Runs one sync job; see `run_sync_job`."""

    def __init__(self, context, job_id, driver_api=None, chunk_size=None,
                 clock=time.monotonic):
        self.context = context
        self.job_id = job_id
        self.chunk_size = chunk_size
        self.clock = clock
        if driver_api is None:
            from delfin.drivers import api as drivers_api
            driver_api = drivers_api.API()
        self.api = driver_api
        self.progress = {}
        self._last_beat = clock()
        self.storage_id = None
        self._deferred = []
        # {kind name: tolerance.Warnings} of the kinds that had any.
        self.warnings = {}

    # -- bookkeeping ----------------------------------------------------

    def _beat(self, force=False):
        now = self.clock()
        if not force and now - self._last_beat < PROGRESS_INTERVAL:
            return
        self._last_beat = now
        if not jobs.update_job(self.job_id, self.progress):
            raise JobStopped('job %s is no longer running' % self.job_id)

    def _checkpoint(self, kind_sync):
        entry = self.progress[kind_sync.kind.name]
        entry['items'] = kind_sync.items
        entry['written'] = kind_sync.written
        self._note_warnings(kind_sync.kind, kind_sync.warnings)
        self._beat()

    def _note_warnings(self, kind, warnings):
        if warnings:
            self.progress[kind.name]['warnings'] = warnings.as_dict()
            self.warnings[kind.name] = warnings

    def _log_warnings(self):
        """One line for everything the job tolerated."""
        if self.warnings:
            LOG.warning(
                "Sync job %s of storage %s stored the driver's data as "
                "given where it could (see the job's progress): %s",
                self.job_id, self.storage_id, '; '.join(
                    '%s: %s' % (name, w.summary())
                    for name, w in self.warnings.items()))

    def _begin(self, kind):
        self.progress[kind.name] = {'state': State.RUNNING, 'items': 0,
                                    'written': {'inserted': 0, 'updated': 0,
                                                'deleted': 0},
                                    'duration': None, 'error': None}
        self._beat()

    def _end(self, kind, started, state, items=None, written=None,
             error=None):
        duration = round(self.clock() - started, 3)
        entry = self.progress.setdefault(kind.name, {})
        entry.update(state=state, duration=duration, error=error)
        if items is not None:
            entry['items'] = items
        if written is not None:
            entry['written'] = written
        if state != UNSUPPORTED:
            jobs.record_freshness(self.storage_id, kind.name, self.job_id,
                                  duration, item_count=items,
                                  error=error)

    # -- steps ------------------------------------------------------------

    def _sync_storage(self):
        kind = registry.STORAGE
        started = self.clock()
        self._begin(kind)
        reported = self.api.get_storage(self.context, self.storage_id)
        warnings = tolerance.Warnings()
        changed = update_storage(self.storage_id, reported, warnings)
        self._note_warnings(kind, warnings)
        self._end(kind, started, State.SUCCEEDED, items=1,
                  written={'inserted': 0, 'updated': 1 if changed else 0,
                           'deleted': 0})

    def _defer(self, work):
        """Run ``work`` in a thread while the job goes on with the next
        kinds; the job ends once it has finished (`_finish_deferred`)."""
        def run():
            try:
                work()
            except Exception:
                LOG.warning("Sync job %s: %s failed", self.job_id,
                            getattr(work, '__name__', work), exc_info=True)
        thread = threading.Thread(target=run, name='sync-deferred',
                                  daemon=True)
        thread.start()
        self._deferred.append(thread)

    def _finish_deferred(self):
        while self._deferred:
            self._deferred.pop().join()

    def _sync(self, kind, items):
        started = self.clock()
        self._begin(kind)
        result = KindSync(kind, self.storage_id, self.chunk_size,
                          self._checkpoint, self._defer).run(items)
        self._note_warnings(kind, result.warnings)
        self._end(kind, started, State.SUCCEEDED, items=result.items,
                  written=result.written)

    def _listing(self, kind, relation):
        if relation is None:
            return [(kind, self.api.list_resources(
                self.context, self.storage_id, kind.name))]
        grouped = self.api.list_grouped_resources(
            self.context, self.storage_id, kind.name)
        return [(kind, grouped.get(kind.name) or []),
                (relation, grouped.get(relation.name) or [])]

    def _fail_kind(self, kind, started, error):
        if isinstance(error, exception.DelfinException) or \
                backend_status(error) is not None:
            LOG.warning("Sync of %s of storage %s failed: %s", kind.plural,
                        self.storage_id, error)
        else:
            LOG.error("Sync of %s of storage %s failed", kind.plural,
                      self.storage_id, exc_info=error)
        entry = self.progress.get(kind.name) or {}
        self._end(kind, started, State.FAILED, items=entry.get('items'),
                  written=entry.get('written'), error=_message(error))

    def _backend_down(self, error):
        status = backend_status(error)
        if status is not None:
            set_storage_status(self.storage_id, status)
            LOG.warning("Storage %s is %s: %s", self.storage_id, status,
                        error)
        return status is not None

    def run(self):
        job = jobs.start_job(self.job_id, host=CONF.host)
        if job is None:
            LOG.info("Sync job %s is not queued any more; not run",
                     self.job_id)
            return None
        self.storage_id = job['storage_id']
        LOG.info("Sync job %s of storage %s started", self.job_id,
                 self.storage_id)
        started = self.clock()
        errors = []
        try:
            try:
                self._run(errors)
            finally:
                self._finish_deferred()
        except JobStopped as e:
            LOG.info("Sync job %s of storage %s stopped: %s", self.job_id,
                     self.storage_id, e)
            return State.CANCELLED
        except Exception as e:
            LOG.exception("Sync job %s of storage %s failed", self.job_id,
                          self.storage_id)
            errors.append(_message(e))
        self._log_warnings()
        state = State.FAILED if errors else State.SUCCEEDED
        LOG.info("Sync job %s of storage %s %s in %.3f s", self.job_id,
                 self.storage_id, state, self.clock() - started)
        if not jobs.finish_job(self.job_id, state, self.progress,
                               '; '.join(errors) or None):
            LOG.info("Sync job %s ended after it was cancelled",
                     self.job_id)
            return State.CANCELLED
        return state

    def _run(self, errors):
        started = self.clock()
        try:
            self._sync_storage()
        except JobStopped:
            raise
        except Exception as e:
            self._fail_kind(registry.STORAGE, started, e)
            self._backend_down(e)
            errors.append('storage: %s' % _message(e))
            self._skip_rest(_plan())
            return
        plan = _plan()
        for index, (kind, relation) in enumerate(plan):
            started = self.clock()
            try:
                listing = self._listing(kind, relation)
            except exception.DriverNotSupported:
                for k in (kind, relation):
                    if k is not None:
                        self.progress[k.name] = {'state': UNSUPPORTED}
                continue
            except JobStopped:
                raise
            except Exception as e:
                self._fail_kind(kind, started, e)
                errors.append('%s: %s' % (kind.name, _message(e)))
                if self._backend_down(e):
                    self._skip_rest(plan[index + 1:])
                    return
                continue
            for k, items in listing:
                started = self.clock()
                try:
                    self._sync(k, items)
                except exception.DriverNotSupported:
                    self.progress[k.name] = {'state': UNSUPPORTED}
                except JobStopped:
                    raise
                except Exception as e:
                    self._fail_kind(k, started, e)
                    errors.append('%s: %s' % (k.name, _message(e)))
                    if self._backend_down(e):
                        self._skip_rest(plan[index + 1:])
                        return

    def _skip_rest(self, plan):
        for kind, relation in plan:
            for k in (kind, relation):
                if k is not None and k.name not in self.progress:
                    self.progress[k.name] = {'state': SKIPPED}


def run_sync_job(context, job_id, driver_api=None, chunk_size=None):
    """Run the queued sync job ``job_id``; returns its final state, or None
    when the job was not queued (already run, cancelled, or gone).

    :param driver_api: the driver facade (`delfin.drivers.api.API` by
        default); it must offer ``get_storage``, ``list_resources`` and
        ``list_grouped_resources``.
    """
    return JobRunner(context, job_id, driver_api, chunk_size).run()
