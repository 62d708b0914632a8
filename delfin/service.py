"""Components and the process that runs them.

A component is one long-running part of the service with ``start()`` and
``stop(timeout)``: the HTTP API server, the task RPC server, the
coordination membership, the periodic sync scheduler, the SNMP trap
listener with its alert pipeline.  A `Process` starts its components in
order and stops them in reverse order when it receives SIGTERM or SIGINT,
so the API stops taking requests before the task side stops working.

``delfin-api``, ``delfin-task``, ``delfin-alert`` and ``delfin-all`` are
the same components assembled differently (see `api_components`,
`task_components`, `alert_components`); separate processes talk over the
RPC transport and share storages through the coordination backend, which
is only configuration.
"""
import importlib
import os
import signal
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from delfin import coordination
from delfin import rpc

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

STOP_TIMEOUT = 30


class Component(object):
    """One long-running part of a process."""

    name = 'component'

    def start(self):
        """Start working; return once started (raise if that fails)."""

    def stop(self, timeout=None):
        """Stop working, waiting at most ``timeout`` seconds for work in
        progress."""

    def alive(self):
        """False once the component died on its own."""
        return True

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__, self.name)


class Process(object):
    """Components started in order and stopped in reverse order."""

    def __init__(self, name, components, stop_timeout=STOP_TIMEOUT):
        self.name = name
        self.components = [c for c in components if c is not None]
        self.stop_timeout = stop_timeout
        self._started = []
        self._stop_requested = threading.Event()
        self._stopping = False

    def start(self):
        """Start every component; on a failure stop those already started
        and re-raise."""
        for component in self.components:
            LOG.info("Starting %s", component.name)
            try:
                component.start()
            except BaseException:
                LOG.error("%s failed to start", component.name)
                self.stop()
                raise
            self._started.append(component)

    def stop(self):
        """Stop the started components, last started first."""
        self._stopping = True
        while self._started:
            component = self._started.pop()
            LOG.info("Stopping %s", component.name)
            try:
                component.stop(self.stop_timeout)
            except Exception:
                LOG.exception("%s failed to stop cleanly", component.name)

    def request_stop(self, signum=None, _frame=None):
        """Ask `run` to stop (signal handler)."""
        if self._stop_requested.is_set() and signum is not None:
            LOG.warning("Second signal %s: exiting at once", signum)
            os._exit(1)
        if signum is not None:
            LOG.info("Received signal %s, stopping %s", signum, self.name)
        self._stop_requested.set()

    def run(self):
        """Start, wait for SIGTERM/SIGINT (or a component dying), stop.

        Returns the exit code: 0 after a requested stop, 1 when starting
        failed or a component died.
        """
        previous = self._install_signal_handlers()
        try:
            started = time.monotonic()
            try:
                self.start()
            except Exception:
                LOG.exception("%s could not start", self.name)
                return 1
            LOG.info("%s started in %.2f s", self.name,
                     time.monotonic() - started)
            code = 0
            while not self._stop_requested.wait(1.0):
                dead = [c.name for c in self._started
                        if not getattr(c, 'alive', lambda: True)()]
                if dead:
                    LOG.error("Component(s) %s stopped unexpectedly",
                              ', '.join(dead))
                    code = 1
                    break
            self.stop()
            LOG.info("%s stopped", self.name)
            return code
        finally:
            self._restore_signal_handlers(previous)

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self.request_stop)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous):
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- the API ------------------------------------------------------------


class ApiServer(Component):
    """The REST API on ``delfin_listen:delfin_listen_port``, served by
    granian from this process (`delfin.api.server`) with ``api_threads``
    threads running reads and ``api_backend_threads`` threads running the
    requests that may wait on a backend."""

    name = 'api'

    def __init__(self, app=None, host=None, port=None, threads=None,
                 client_timeout=None):
        self.app = app
        self.host = (host or CONF.delfin_listen).strip('[]')
        self.port = CONF.delfin_listen_port if port is None else port
        self.threads = threads
        self.backend_threads = CONF.api_backend_threads
        self.client_timeout = client_timeout or CONF.api_client_timeout
        self._server = None
        self.addresses = []

    def start(self):
        import sys
        from delfin.api import server as api_server
        # A request needs the interpreter lock many times (each read of
        # the database gives it up); behind a thread that keeps it, such as
        # a sync's, each of those waits up to the switch interval.
        sys.setswitchinterval(CONF.api_switch_interval / 1000.0)
        if not self.threads:
            self.threads = api_server.read_threads()
        if self.app is None:
            from delfin.api import app as api_app
            self.app = api_app.make_app()
        if self.port:
            api_server.check_port(self.host, self.port)
        self._server = api_server.EmbeddedServer(
            self.app, self.host, self.port, threads=self.threads,
            client_timeout=self.client_timeout, backlog=CONF.api_backlog,
            max_body_size=CONF.api_max_body_size,
            backend_threads=self.backend_threads,
            page_threads=CONF.api_page_threads)
        self._server.start()
        self.port = self._server.port
        self.addresses = [(self.host, self.port)]
        LOG.info("API listening on %s port %s (threads: %d for reads, %d "
                 "for pages of large collections, %d for requests that "
                 "may wait on a backend)", self.host, self.port,
                 self.threads, CONF.api_page_threads, self.backend_threads)

    def stop(self, timeout=None):
        if self._server is None:
            return
        timeout = STOP_TIMEOUT if timeout is None else timeout
        # Refuse new connections, let requests in progress finish and their
        # answers reach the clients, then close everything.
        self._server.stop(timeout)
        self._server = None

    def alive(self):
        return self._server is not None and self._server.alive()


class ApiWorkers(Component):
    """``delfin_workers`` API processes serving one port.

    Each worker is this process's command run again with
    ``DELFIN_API_WORKER`` set (`delfin.cmd.api`): a whole ``delfin-api``
    with its own `ApiServer`, binding the port with ``SO_REUSEPORT`` so
    that the kernel spreads new connections over the workers.  A worker
    that dies is started again (at most once a second); stopping sends
    each worker SIGTERM, which lets its requests in progress finish.
    """

    name = 'api-workers'
    WORKER_ENV = 'DELFIN_API_WORKER'
    RESTART_DELAY = 1.0

    def __init__(self, command, workers=None, host=None, port=None):
        self.command = list(command)
        self.workers = workers or CONF.delfin_workers
        self.host = (host or CONF.delfin_listen).strip('[]')
        self.port = CONF.delfin_listen_port if port is None else port
        self.procs = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor = None

    def _spawn(self, index):
        import subprocess
        env = dict(os.environ)
        env[self.WORKER_ENV] = str(index)
        proc = subprocess.Popen(self.command, env=env)
        LOG.info("API worker %d started (pid %d)", index, proc.pid)
        return proc

    def start(self):
        from delfin.api import server as api_server
        api_server.check_port(self.host, self.port)
        self._stopping.clear()
        self.procs = [self._spawn(i) for i in range(self.workers)]
        self._monitor = threading.Thread(target=self._watch, daemon=True,
                                         name='api-workers')
        self._monitor.start()

    def _watch(self):
        while not self._stopping.wait(self.RESTART_DELAY):
            with self._lock:
                for i, proc in enumerate(self.procs):
                    if proc.poll() is not None and \
                            not self._stopping.is_set():
                        LOG.error("API worker %d (pid %d) exited with %s; "
                                  "starting it again", i, proc.pid,
                                  proc.returncode)
                        self.procs[i] = self._spawn(i)

    def stop(self, timeout=None):
        timeout = STOP_TIMEOUT if timeout is None else timeout
        self._stopping.set()
        with self._lock:
            procs = list(self.procs)
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except Exception:
                LOG.warning("API worker %d did not stop; killing it",
                            proc.pid)
                proc.kill()
                proc.wait()
        if self._monitor is not None:
            self._monitor.join(timeout)
            self._monitor = None


class ParentWatch(Component):
    """Dies when the process that started this one is gone, so that an
    API worker never outlives its `ApiWorkers`."""

    name = 'parent-watch'

    def __init__(self):
        self._parent = os.getppid()

    def alive(self):
        return os.getppid() == self._parent


# -- the task side -------------------------------------------------------


class RpcServer(Component):
    """The task RPC endpoint (`TaskManager`) on ``delfin_task_topic``."""

    name = 'task-rpc'

    def __init__(self, manager=None, topic=None, server=None):
        from delfin.task_manager import manager as task_manager
        self.manager = manager or task_manager.TaskManager()
        self.topic = topic or CONF.delfin_task_topic
        self.server_name = server or CONF.host
        self._server = None

    def start(self):
        import oslo_messaging as messaging
        rpc.init()
        target = messaging.Target(topic=self.topic, server=self.server_name)
        self.manager.start()
        self._server = rpc.get_server(target, [self.manager])
        self._server.start()
        LOG.info("Task RPC server on topic %s as %s", self.topic,
                 self.server_name)

    def stop(self, timeout=None):
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        self.manager.stop(timeout)


class Coordination(Component):
    """This node's membership in the task group (storage ownership)."""

    name = 'coordination'

    def __init__(self, coordinator=None):
        self.coordinator = coordinator

    def start(self):
        if self.coordinator is None:
            self.coordinator = coordination.Coordinator()
        self.coordinator.start()
        coordination.set_current(self.coordinator)

    def stop(self, timeout=None):
        if coordination.get_current() is self.coordinator:
            coordination.set_current(None)
        self.coordinator.stop(timeout)


class LogCheckpoints(Component):
    """On SQLite, copies the write-ahead log into the database from a
    thread of its own, so that this process's commits do not stop to do
    it (see `db_engine.LogCheckpointer`).  Nothing on other databases."""

    name = 'log-checkpoints'

    def start(self):
        from delfin.db import engine as db_engine
        db_engine.start_log_checkpoints()

    def stop(self, timeout=None):
        from delfin.db import engine as db_engine
        db_engine.stop_log_checkpoints(timeout)


def _optional_component(module_name, factory_name, what):
    """The component made by ``module_name.factory_name()``, or None (with
    a warning) when that module is not part of this installation."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is None or not module_name.startswith(e.name):
            raise
        LOG.warning("%s is not available: %s is missing", what, module_name)
        return None
    factory = getattr(module, factory_name, None)
    if factory is None:
        LOG.warning("%s is not available: %s has no %s", what, module_name,
                    factory_name)
        return None
    return factory()


# The SNMP trap listener and the alert pipeline behind it: a component
# class built without arguments.
ALERT_COMPONENT = ('delfin.alert_manager.service', 'AlertService')


def periodic_sync(manager):
    """The periodic sync scheduler, handing the jobs it creates to the
    local ``manager`` for the storages this node owns."""
    from delfin import context
    try:
        from delfin.task_manager import periodic
    except ImportError as e:
        if getattr(e, 'name', None) not in ('delfin.task_manager.periodic',
                                            'delfin.task_manager'):
            raise
        LOG.warning("Periodic sync is not available: %s", e)
        return None

    def submit(job):
        manager.sync_storage(context.get_admin_context(), job['storage_id'],
                             job['id'])

    return periodic.PeriodicSync(submit, owns=coordination.owns)


def job_recovery(manager):
    """The component that recovers this node's sync jobs (see
    `delfin.task_manager.recovery`), handing them to ``manager``."""
    from delfin.task_manager import recovery
    return recovery.JobRecovery(manager)


def performance_collection():
    """The performance collector of this task node (see
    `delfin.telemetry.collector`), or None when it is switched off."""
    if not CONF.telemetry.enable_performance_collection:
        return None
    from delfin.telemetry import collector
    return collector.PerformanceCollector()


def api_components():
    return [ApiServer()]


def api_worker_components():
    """One API worker of `ApiWorkers`."""
    return [ParentWatch(), ApiServer()]


def task_components():
    rpc_server = RpcServer()
    return [Coordination(), rpc_server, periodic_sync(rpc_server.manager),
            job_recovery(rpc_server.manager), performance_collection()]


def alert_components():
    return [_optional_component(ALERT_COMPONENT[0], ALERT_COMPONENT[1],
                                'The alert service')]


def all_components():
    """Everything in one process: the task side first, so that work cast
    by the first API request is taken; then the alert service, so that
    the trap port is bound before the API first answers (a script that
    configures a storage and sends a trap as soon as the service is up
    loses nothing); the API last.  They stop in the reverse order: the API
    first, then the alert service (which stores what it still holds), then
    the task side."""
    return task_components() + alert_components() + api_components()
