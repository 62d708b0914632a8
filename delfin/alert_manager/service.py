"""The alert service: the component that receives and stores traps.

`AlertService` assembles the pipeline of ``delfin-alert`` and
``delfin-all``:

    UDP socket -> TrapListener (read, decode, authenticate)
               -> AlertProcessor (storage, driver parse_alert)
               -> AlertStore (SQL) -> exporters

With ``[alerts] parse_in_workers`` the per-trap work of the processor
(driver ``parse_alert``, attribution, normalisation, fingerprint) runs in
the listener's worker processes (`alert_processor.TrapPreparer`, swapped
along with the credentials), so this process only counts and stores.

It keeps the pipeline configured: a `sources.SourceWatcher` reloads the alert
sources when they change and swaps the listener's credentials and the
processor's storage snapshot, so snmp-config changes and removed storages
take effect without a restart.  It owns the process's alert exporter
dispatcher (with the periodic re-send of open alerts to Alertmanager) and
reports the listener's counters as Prometheus metrics; with ``[alerts]
metrics_port`` set it also serves them on a port of its own, for a
``delfin-alert`` process running without the API.
"""
import threading

# Native threads before anything loads oslo.messaging or tooz.
from delfin import rpc  # noqa: F401
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

from delfin.alert_manager import listener as trap_listener
from delfin.alert_manager import metrics
from delfin.alert_manager import processor as alert_processor
from delfin.alert_manager import sources
from delfin.alert_manager import store as alert_store
from delfin.exporter import alert as alert_exporter
from delfin import service

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


class AlertService(service.Component):
    """SNMP trap listener plus the alert pipeline behind it.

    Arguments override the configuration (tests use ``port=0`` and read
    `port` after `start`).
    """

    name = 'alert'

    def __init__(self, host=None, port=None, processes=None,
                 dispatcher=None, poll=None):
        self.host = host or CONF.trap_receiver_address
        self.requested_port = (CONF.trap_receiver_port if port is None
                               else port)
        self.processes = (CONF.alerts.listener_processes if processes is None
                          else processes)
        self._dispatcher = dispatcher
        self._poll = poll
        self.processor = None
        self.listener = None
        self.watcher = None
        self.dispatcher = None
        self.poll_trigger = None
        self._metrics_server = None
        self._lock = threading.Lock()

    @property
    def port(self):
        return self.listener.port if self.listener is not None else None

    def start(self):
        dispatcher = self._dispatcher
        if dispatcher is None:
            dispatcher = alert_exporter.Dispatcher(refresh=True)
            previous = alert_exporter.set_dispatcher(dispatcher)
            if previous is not None:
                previous.stop(1.0)
        self.dispatcher = dispatcher
        try:
            self._start_pipeline()
        except BaseException:
            self.listener = None
            self._stop_pipeline(1.0)
            raise
        LOG.info("Alert service receiving traps on %s port %s", self.host,
                 self.port)

    def _start_pipeline(self):
        self.poll_trigger = self._poll or alert_processor.PollTrigger()
        self.processor = alert_processor.AlertProcessor(
            alert_store.AlertStore(), self.dispatcher, self.poll_trigger,
            writer=True)
        self._credentials = None
        self._preparer = None
        self.watcher = sources.SourceWatcher(self._apply_sources)
        # The first load happens before the socket opens, so the first
        # datagram already meets the configured sources.
        self.watcher.refresh(force=True)
        opts = CONF.alerts
        self.listener = trap_listener.TrapListener(
            self.processor, self._credentials, host=self.host,
            port=self.requested_port, processes=self.processes,
            rcvbuf=opts.receive_buffer, queue_size=opts.queue_size,
            batch_size=opts.batch_size, prepare=self._preparer)
        self.listener.start()
        self.watcher.start()
        metrics.register_pipeline(self)
        if opts.metrics_port:
            import prometheus_client
            self._metrics_server = prometheus_client.start_http_server(
                opts.metrics_port, addr=opts.metrics_address)

    def _apply_sources(self, credentials, rows, hosts_of):
        storage_ids = [r['storage_id'] for r in rows]
        infos = alert_processor.load_storages(storage_ids)
        with self._lock:
            # Storages first: a trap admitted by new credentials must find
            # its storage.
            self.processor.set_storages(infos)
            self._credentials = credentials
            if CONF.alerts.parse_in_workers:
                self._preparer = self.processor.preparer()
            if self.listener is not None:
                if not self.listener.set_credentials(
                        credentials, prepare=self._preparer):
                    LOG.warning("A trap worker did not take the new alert "
                                "sources in time")
        LOG.info("Alert sources: %d storages, %s", len(infos), credentials)

    def trap_stats(self):
        """The listener's statistics, with the processor's drops added."""
        stats = self.listener.stats()
        dropped = dict(stats['dropped'])
        for reason, count in self.processor.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + count
        stats['dropped'] = dropped
        stats['stored'] = self.processor.stored
        stats['ignored'] = dict(self.processor.ignored)
        return stats

    def stop(self, timeout=None):
        timeout = 10.0 if timeout is None else timeout
        metrics.unregister_pipeline(self)
        if self._metrics_server is not None:
            server = self._metrics_server[0] if isinstance(
                self._metrics_server, tuple) else self._metrics_server
            try:
                server.shutdown()
                server.server_close()
            except Exception:
                LOG.exception("Stopping the metrics listener failed")
            self._metrics_server = None
        if self.watcher is not None:
            self.watcher.stop(timeout)
        if self.listener is not None:
            # Drains what was received into the store before returning.
            self.listener.stop(timeout)
        self._stop_pipeline(timeout)

    def _stop_pipeline(self, timeout):
        if self.processor is not None:
            self.processor.stop(timeout)
        if self.poll_trigger is not None and hasattr(self.poll_trigger,
                                                     'cancel'):
            self.poll_trigger.cancel()
        if self._dispatcher is None and self.dispatcher is not None:
            # Ours: the process's exporters stop with the alert service
            # (another user of the process's dispatcher starts a new one).
            current = alert_exporter.set_dispatcher(None)
            if current is not None and current is not self.dispatcher:
                alert_exporter.set_dispatcher(current)
            self.dispatcher.stop(timeout)
