"""The alert processor: from accepted traps to stored alerts.

The listener hands over batches of `Trap`s that it already authenticated
against the alert sources; each trap names the storage(s) whose source
admitted it (``trap.owners``).  For each trap the processor

1. finds the storage (its name, vendor, model, serial number, the driver
   class from its access information, and the names of its controllers by
   management address), from a snapshot rebuilt whenever the alert sources
   change and at least every ``[alerts] storage_refresh_interval``: nothing
   is read from the database per trap;
2. builds the dict Delfin gives drivers: ``{oid: value text, ...,
   'transport_address': <source ip>, 'storage_id': <id>}`` plus
   ``'controller_name'`` when a controller's ``mgmt_ip`` is the source;
3. calls the driver's static ``parse_alert(context, trap_dict)``;
4. attributes the alert to another storage when the driver says so
   (an alert carrying a ``serial_number`` or ``storage_name`` that is not
   the sender's, as centralized managers do), among the storages of the same
   vendor and model that have an alert source;
5. stores the alerts in one transaction per batch (`store.AlertStore`)
   and queues the changes for the exporters.  While the database is away
   the batch is held and written once it is back; the bounded queues in
   front of it fill meanwhile, and the listener counts the traps it
   cannot queue (``queue_full``), so nothing is lost below that bound.

Storing runs in a writer thread of its own, fed by a short bounded queue:
SQLite and the database drivers release the GIL while they work, so the
next batch is parsed while the previous one is written, and batches that
arrive within ``[alerts] store_linger`` of each other are written together
in one transaction (a commit costs about as much as hundreds of rows).
When the writer falls behind, the queue fills and the listener's handler
waits, which makes the listener queue (and, beyond its bounds, count
``queue_full`` drops) instead of holding unbounded memory.

Traps that cannot be attributed (the storage is gone, or the named storage
is unknown) count as ``unknown_source``; a driver failure as
``parse_failed``.  A driver raising ``IncompleteTrapInformation`` asks for
an alert poll of the storage (`PollTrigger`), as Delfin does; a driver
returning nothing means the trap is not an alert (counted as ignored).
"""
import queue
import threading
import time

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin.alert_manager import metrics
from delfin.alert_manager.snmp.decoder import Reason
from delfin.alert_manager import store as alert_store
from delfin.common import constants
from delfin.common import outage
from delfin import context as delfin_context
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# Reasons this stage drops traps for (the listener counts the others).
REASONS = (Reason.UNKNOWN_SOURCE, Reason.PARSE_FAILED)
# A driver failure is logged at most this often per storage.
_ERROR_LOG_INTERVAL = 60.0
# Parsed batches waiting for the writer thread.
_WRITE_QUEUE_BATCHES = 4
# Most alerts the writer stores in one transaction.
_WRITE_BATCH_MAX = 8192


class StorageInfo(object):
    """What the processor needs of one storage, read ahead of traps."""
    __slots__ = ('id', 'name', 'vendor', 'model', 'serial_number',
                 'driver_class', 'context', 'controllers', 'attrs',
                 'last_error_log', 'row', 'driver_kind')

    def __init__(self, row, driver_class, controllers, driver_kind=None):
        self.row = row
        # (vendor, model) of the access information: what names the driver.
        self.driver_kind = driver_kind
        self.id = row['id']
        self.name = row['name']
        self.vendor = row['vendor']
        self.model = row['model']
        self.serial_number = row['serial_number']
        self.driver_class = driver_class
        self.controllers = controllers
        self.attrs = {'storage_id': self.id, 'storage_name': self.name,
                      'vendor': self.vendor, 'model': self.model,
                      'serial_number': self.serial_number}
        # Drivers may read context.storage_id; one context per storage,
        # used by the processing thread only.
        ctx = delfin_context.get_admin_context()
        ctx.storage_id = self.id
        self.context = ctx
        self.last_error_log = -_ERROR_LOG_INTERVAL


def _driver_class_resolver():
    from delfin.drivers import manager as driver_manager
    manager = driver_manager.get_manager()
    return manager.get_driver_class


def load_storages(storage_ids, class_of=None):
    """{storage_id: `StorageInfo`} of existing storages among the ids.

    Three queries whatever the number of storages.  A storage whose driver
    cannot be loaded is kept without a driver class (its traps then fail
    to parse, visibly).
    """
    storage_ids = list(storage_ids)
    if not storage_ids:
        return {}
    class_of = class_of or _driver_class_resolver()
    storages, access, controllers = schema.storages, schema.access_info, \
        schema.INVENTORY['controller']
    with db_engine.reader() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(storages.c.id, storages.c.name, storages.c.vendor,
                      storages.c.model, storages.c.serial_number,
                      storages.c.deleted).where(
                storages.c.id.in_(storage_ids)))]
        kinds = {r[0]: (r[1], r[2]) for r in conn.execute(
            sa.select(access.c.storage_id, access.c.vendor,
                      access.c.model).where(
                access.c.storage_id.in_(storage_ids)))}
        ctrl = {}
        for storage_id, name, ip in conn.execute(
                sa.select(controllers.c.storage_id, controllers.c.name,
                          controllers.c.mgmt_ip).where(
                    controllers.c.storage_id.in_(storage_ids),
                    controllers.c.mgmt_ip.isnot(None))):
            for address in str(ip).split(','):
                address = address.strip()
                if address:
                    ctrl.setdefault(storage_id, {}).setdefault(address, name)
    infos = {}
    for row in rows:
        if row.get('deleted'):
            continue
        cls = None
        kind = kinds.get(row['id'])
        if kind is not None:
            try:
                cls = class_of(*kind)
            except Exception as exc:
                LOG.error("No driver for storage %s (%s %s): %s", row['id'],
                          kind[0], kind[1], exc)
        infos[row['id']] = StorageInfo(row, cls, ctrl.get(row['id'], {}),
                                       kind)
    return infos


class PollTrigger(object):
    """Asks a task node to poll a storage's alerts, at most once per
    ``delay`` seconds per storage, ``delay`` seconds after the first ask
    (traps that arrive meanwhile share the poll)."""

    def __init__(self, delay=None, cast=None):
        self.delay = (CONF.alerts.incomplete_trap_poll_delay
                      if delay is None else delay)
        self._cast = cast or _cast_alert_sync
        self._pending = {}
        self._lock = threading.Lock()

    def __call__(self, storage_id):
        with self._lock:
            if storage_id in self._pending:
                return False
            timer = threading.Timer(self.delay, self._fire, (storage_id,))
            timer.daemon = True
            self._pending[storage_id] = timer
        timer.start()
        return True

    def _fire(self, storage_id):
        with self._lock:
            self._pending.pop(storage_id, None)
        try:
            self._cast(storage_id)
        except Exception:
            LOG.exception("Could not ask for an alert poll of storage %s",
                          storage_id)

    def cancel(self):
        with self._lock:
            pending, self._pending = self._pending, {}
        for timer in pending.values():
            timer.cancel()


def _cast_alert_sync(storage_id):
    from delfin.task_manager import rpcapi
    rpcapi.TaskAPI().sync_storage_alerts(
        delfin_context.get_admin_context(), storage_id, None)


# What mapping one trap came to (first item of `TrapMapper.outcome`):
# (ALERT, the driver's alert dict, the `StorageInfo` it belongs to), or
# (ALERT, prepared alert) from the workers; (UNKNOWN,) no storage for the trap
# or its alert; (FAILED, storage_id) no driver or parse_alert raised;
# (INCOMPLETE, storage_id) the storage needs a poll; (NOT_ALERT,).
ALERT = 'a'
UNKNOWN = 'u'
FAILED = 'f'
INCOMPLETE = 'i'
NOT_ALERT = 'n'


class TrapMapper(object):
    """Steps 1-4 of the module docstring over a storage snapshot
    ({storage_id: `StorageInfo`}); no database access."""

    def __init__(self, infos):
        by_kind = {}
        for info in infos.values():
            by_kind.setdefault((info.vendor, info.model), []).append(info)
        self.storages = dict(infos)
        self.by_kind = by_kind

    def outcome(self, trap):
        owners = trap.owners
        info = None
        for owner in owners:
            info = self.storages.get(owner)
            if info is not None:
                break
        if info is None:
            return (UNKNOWN,)
        if info.driver_class is None:
            return (FAILED, info.id)
        source_ip = trap.source_ip
        data = dict(trap.varbinds)
        data['transport_address'] = source_ip
        data['storage_id'] = info.id
        controller = info.controllers.get(source_ip)
        if controller is not None:
            data['controller_name'] = controller
        try:
            alert = info.driver_class.parse_alert(info.context, data)
        except exception.IncompleteTrapInformation:
            return (INCOMPLETE, info.id)
        except Exception as exc:
            self._log_parse_error(info, exc)
            return (FAILED, info.id)
        if not alert:
            return (NOT_ALERT,)
        target = self._attribute(info, alert, owners)
        if target is None:
            return (UNKNOWN,)
        return (ALERT, alert, target)

    def _attribute(self, info, alert, owners):
        """The storage an alert belongs to (see step 4), or None."""
        serial = alert.get('serial_number')
        name = alert.get('storage_name')
        if serial:
            if serial == info.serial_number:
                return info
            key = 'serial_number'
            wanted = serial
        elif name:
            if name == info.name:
                return info
            key = 'name'
            wanted = name
        else:
            return info
        candidates = [self.storages.get(o) for o in owners]
        candidates += self.by_kind.get((info.vendor, info.model), [])
        for other in candidates:
            if other is not None and getattr(other, key) == wanted:
                return other
        LOG.info("Dropping an alert from storage %s for unknown storage "
                 "%s %s", info.id, key, wanted)
        return None

    @staticmethod
    def _log_parse_error(info, exc):
        now = time.monotonic()
        if now - info.last_error_log >= _ERROR_LOG_INTERVAL:
            info.last_error_log = now
            LOG.warning("Driver of storage %s failed to parse a trap: %s: "
                        "%s", info.id, type(exc).__name__, exc)


class TrapPreparer(object):
    """The per-trap work of the processor, done in the listener's workers.

    Given to `listener.TrapListener` as its ``prepare``: it travels to the
    worker processes (pickled: the storages as plain values) with every
    change of the alert sources, loads the drivers' classes there, and
    turns each decoded trap into a `TrapMapper` outcome whose alert is
    already `store.prepare`d, so that the handler in the parent only
    counts and stores.  A driver whose class cannot be loaded fails the
    traps of its storages (``parse_failed``), as in the parent.
    """

    def __init__(self, infos=None, class_of=None):
        infos = infos or {}
        self._entries = [(dict(i.row), i.driver_kind, dict(i.controllers))
                         for i in infos.values()]
        self._class_of = class_of
        self._mapper = None

    def __getstate__(self):
        return {'entries': self._entries}

    def __setstate__(self, state):
        self._entries = state['entries']
        self._class_of = None
        self._mapper = None

    def _build(self):
        class_of = self._class_of or _driver_class_resolver()
        failed = {}
        infos = {}
        for row, kind, controllers in self._entries:
            cls = None
            if kind is not None:
                kind = tuple(kind)
                if kind in failed:
                    cls = None
                else:
                    try:
                        cls = class_of(*kind)
                    except Exception as exc:
                        failed[kind] = exc
                        LOG.error("No driver for storage %s (%s %s): %s",
                                  row['id'], kind[0], kind[1], exc)
            infos[row['id']] = StorageInfo(row, cls, controllers, kind)
        return TrapMapper(infos)

    def __call__(self, traps):
        """One outcome per trap (plain values, see `TrapMapper.outcome`)."""
        mapper = self._mapper
        if mapper is None:
            mapper = self._mapper = self._build()
        prepare = alert_store.prepare
        outcomes = []
        for trap in traps:
            result = mapper.outcome(trap)
            if result[0] == ALERT:
                result = (ALERT, prepare(result[1], result[2].attrs))
            outcomes.append(result)
        return outcomes


class AlertProcessor(object):
    """The listener's handler: maps, parses and stores batches of traps.

    :param store: the `store.AlertStore`.
    :param dispatcher: where alert changes go (a
        `delfin.exporter.alert.Dispatcher`), or None.
    :param poll: called with a storage id when its driver needs a poll.
    :param writer: store from a writer thread (see the module docstring);
        without it `handle` stores the batch before it returns.
    :param linger: seconds the writer waits for more batches to store in
        the same transaction (default ``[alerts] store_linger``).
    """

    def __init__(self, store=None, dispatcher=None, poll=None, writer=False,
                 linger=None):
        self.store = store or alert_store.AlertStore()
        self.linger = (CONF.alerts.store_linger if linger is None
                       else linger)
        self.dispatcher = dispatcher
        self.poll = poll
        self.dropped = {reason: 0 for reason in REASONS}
        self.ignored = {'not_alert': 0, 'incomplete': 0}
        self.stored = 0
        self.write_errors = 0
        # Alerts waiting for the database to come back.
        self.held = 0
        self._stopping = threading.Event()
        self._db = outage.Outage('database', 'alert store')
        self._mapper = TrapMapper({})
        self._queue = None
        self._writer = None
        self._pending = 0
        self._idle = threading.Condition()
        if writer:
            self._queue = queue.Queue(_WRITE_QUEUE_BATCHES)
            self._writer = threading.Thread(target=self._write_loop,
                                            daemon=True, name='alert-writer')
            self._writer.start()
            # On SQLite, the log the writer fills is copied into the
            # database beside it rather than in its commits.
            db_engine.start_log_checkpoints()

    # -- the storage snapshot ---------------------------------------------

    def set_storages(self, infos):
        """Replace the storage snapshot ({storage_id: `StorageInfo`})."""
        self._mapper = TrapMapper(infos)

    def storage(self, storage_id):
        return self._mapper.storages.get(storage_id)

    def _attribute(self, info, alert, owners):
        return self._mapper._attribute(info, alert, owners)

    def preparer(self):
        """A `TrapPreparer` of the current storage snapshot."""
        return TrapPreparer(self._mapper.storages)

    # -- the handler -------------------------------------------------------

    def __call__(self, traps):
        self.handle(traps)

    def handle(self, traps):
        """Process one batch of traps.

        Returns the `store.SaveResult` when storing is synchronous, else
        None (the batch is queued for the writer thread).
        """
        started = time.monotonic()
        # Outcomes the listener's workers computed (see `TrapPreparer`),
        # one per trap, or None where the work is done here.
        outcomes = getattr(traps, 'prepared', None)
        alerts = []
        outcome_of = self._mapper.outcome
        prepare = alert_store.prepare
        for i, trap in enumerate(traps):
            result = outcomes[i] if outcomes is not None else None
            if result is None:
                result = outcome_of(trap)
                if result[0] == ALERT:
                    alerts.append(prepare(result[1], result[2].attrs))
                    continue
            if result[0] == ALERT:
                alerts.append(result[1])
            else:
                self._count(result)
        if not alerts:
            metrics.BATCH_SECONDS.observe(time.monotonic() - started)
            return None
        if self._queue is None:
            result = self._write(alerts)
            metrics.BATCH_SECONDS.observe(time.monotonic() - started)
            return result
        with self._idle:
            self._pending += 1
        # Blocks while the writer is behind: back-pressure on the listener.
        self._queue.put((alerts, started))
        return None

    def _count(self, result):
        kind = result[0]
        if kind == UNKNOWN:
            self.dropped[Reason.UNKNOWN_SOURCE] += 1
        elif kind == FAILED:
            self.dropped[Reason.PARSE_FAILED] += 1
        elif kind == INCOMPLETE:
            self.ignored['incomplete'] += 1
            metrics.TRAPS_IGNORED.labels('incomplete').inc()
            if self.poll is not None:
                self.poll(result[1])
        else:
            self.ignored['not_alert'] += 1
            metrics.TRAPS_IGNORED.labels('not_alert').inc()

    def _save(self, alerts, report):
        """Save, waiting for the database while it is away (unless the
        processor stops): the batch is held meanwhile, the bounded queues
        before it fill, and the listener counts what it cannot queue."""
        delay = 0.2
        while True:
            try:
                result = self.store.save_prepared(
                    alerts, constants.AlertSourceType.TRAP, report=report)
            except sa.exc.DBAPIError as e:
                if not db_engine.unavailable(e) or self._stopping.is_set():
                    raise
                self._db.failed(e)
                self.held = len(alerts)
                self._stopping.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.held = 0
            self._db.ok()
            return result

    def _write(self, alerts):
        """Store prepared alerts (see `store.prepare`)."""
        report = self.dispatcher is not None and self.dispatcher.active
        try:
            result = self._save(alerts, report)
        except Exception:
            self.write_errors += 1
            LOG.exception("Storing %d alerts failed; they are lost",
                          len(alerts))
            return None
        if result.dropped:
            self.dropped[Reason.UNKNOWN_SOURCE] += result.dropped
        self.stored += len(alerts) - result.dropped
        metrics.record_save(result)
        if report and result.changes:
            self.dispatcher.dispatch(result.changes)
        return result

    def _write_loop(self):
        get = self._queue.get
        linger = self.linger
        while True:
            item = get()
            if item is None:
                return
            items = [item]
            size = len(item[0])
            stop = False
            # What arrives within the linger joins this transaction: a
            # commit costs about as much as writing a few hundred alerts.
            deadline = time.monotonic() + linger
            while size < _WRITE_BATCH_MAX:
                wait = deadline - time.monotonic()
                try:
                    more = get(timeout=wait) if wait > 0 else \
                        self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                items.append(more)
                size += len(more[0])
            alerts = items[0][0] if len(items) == 1 else [
                a for batch, _ in items for a in batch]
            self._write(alerts)
            now = time.monotonic()
            for _, started in items:
                metrics.BATCH_SECONDS.observe(now - started)
            with self._idle:
                self._pending -= len(items)
                self._idle.notify_all()
            if stop:
                return

    def flush(self, timeout=None):
        """Wait until every queued batch is stored; True if that happened
        within ``timeout`` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self, timeout=None):
        """Store what is queued, then stop the writer thread.  Alerts
        still waiting for the database when ``timeout`` has passed are
        given up (counted as write errors)."""
        if self._writer is None:
            self._stopping.set()
            return
        if not self.flush(timeout):
            self._stopping.set()
        self._queue.put(None)
        self._writer.join(timeout)
        self._writer = None
        self._stopping.set()
        db_engine.stop_log_checkpoints(timeout)
