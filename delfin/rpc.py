"""Remote procedure calls between the service's components.

The API asks the task component to do work (sync a storage, forget a
removed storage, poll a storage's alerts) by casting messages on the task
topic.  oslo.messaging carries them; which transport it uses is purely a
matter of configuration (``[DEFAULT] transport_url``):

* ``fake://`` (the default) keeps messages inside the process.  It serves
  ``delfin-all``, where API, task and alert components live together, and
  needs no broker.
* ``rabbit://user:password@host:5672/`` sends them through RabbitMQ, so that
  ``delfin-api``, ``delfin-task`` and ``delfin-alert`` can run as separate
  processes on several machines.

Servers use oslo.messaging's threading executor: every part of the service
runs on native threads.  The request context travels as the dict of
``RequestContext.to_dict()`` and payloads as JSON primitives; only
exceptions of ``delfin.exception`` are rebuilt on the calling side.
"""
import logging as std_logging
import sys
import threading
import time
import urllib.parse

# oslo.messaging, tooz and futurist probe for eventlet when they are imported
# and use it when it happens to be installed (oslo.service pulls it in as a
# dependency).  This service runs on native threads only, so those probes
# must fail, and oslo.service must use its threading backend.  The block is
# lifted once these libraries are loaded: a driver written for Delfin that
# imports eventlet itself (some do, for a timer) still loads.
_block_eventlet = 'eventlet' not in sys.modules
if _block_eventlet:
    sys.modules['eventlet'] = None
try:
    from oslo_service import backend as _service_backend  # noqa: E402

    if _service_backend.get_backend_type() is None:
        _service_backend.init_backend(
            _service_backend.BackendType.THREADING)

    import futurist  # noqa: E402,F401
    import oslo_messaging  # noqa: E402,F401
    from oslo_utils import eventletutils  # noqa: E402,F401
    from tooz import coordination as _tooz_coordination  # noqa: E402,F401
finally:
    if _block_eventlet and sys.modules.get('eventlet', False) is None:
        del sys.modules['eventlet']

import oslo_messaging as messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402
from oslo_messaging import opts as _messaging_opts  # noqa: E402
from oslo_serialization import jsonutils  # noqa: E402

from delfin import context as delfin_context  # noqa: E402

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

DEFAULT_TRANSPORT_URL = 'fake://'

# Only these modules' exceptions are re-raised by name on the caller side.
ALLOWED_EXMODS = ['delfin.exception']

_lock = threading.Lock()
_transport = None


def register_opts(conf):
    """Register oslo.messaging's [DEFAULT] options (``transport_url``...).

    The library registers them itself when it builds a transport; doing it
    earlier lets the service read ``transport_url`` first.  Registering the
    library's own option definitions again is harmless.
    """
    for group, opts in _messaging_opts.list_opts():
        if group is None:
            conf.register_opts(opts)
    # The library defaults to RabbitMQ; the service defaults to needing no
    # broker at all.
    conf.set_default('transport_url', DEFAULT_TRANSPORT_URL)


def transport_url(conf=None):
    """The configured transport URL (``fake://`` unless configured)."""
    conf = conf or CONF
    register_opts(conf)
    return conf.transport_url or DEFAULT_TRANSPORT_URL


def is_in_process(conf=None):
    """True when messages never leave this process (``fake://``)."""
    return urllib.parse.urlsplit(transport_url(conf)).scheme == 'fake'


def safe_url(url):
    """``url`` with any password masked, for logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(':%s@' % parts.password, ':***@')
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def init(conf=None):
    """Create this process's transport (once) and return it."""
    global _transport
    conf = conf or CONF
    with _lock:
        if _transport is None:
            url = transport_url(conf)
            quiet_reconnect_logs()
            _transport = messaging.get_rpc_transport(
                conf, url=url, allowed_remote_exmods=ALLOWED_EXMODS)
            LOG.info("RPC transport %s", safe_url(url))
        return _transport


def get_transport():
    """The process's transport, created from the configuration on first
    use.  In-process (``fake://``) clients and servers must share it."""
    return _transport if _transport is not None else init()


def cleanup():
    """Close the transport; the next use creates a new one."""
    global _transport
    with _lock:
        transport, _transport = _transport, None
    if transport is not None:
        transport.cleanup()


class JsonPayloadSerializer(messaging.NoOpSerializer):
    """Turns payloads into JSON primitives (datetimes become strings)."""

    @staticmethod
    def serialize_entity(context, entity):
        return jsonutils.to_primitive(entity, convert_instances=True)


class RequestContextSerializer(messaging.Serializer):
    """Carries the `RequestContext` as a dict beside the payload."""

    def __init__(self, base=None):
        self._base = base or JsonPayloadSerializer()

    def serialize_entity(self, context, entity):
        return self._base.serialize_entity(context, entity)

    def deserialize_entity(self, context, entity):
        return self._base.deserialize_entity(context, entity)

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return delfin_context.RequestContext.from_dict(context)


def get_client(target, version_cap=None, at_least_once=False):
    """An RPC client for ``target`` on the process's transport.

    With ``at_least_once`` a cast the broker cannot route to any queue
    (no server listens on the topic yet) fails with
    ``MessageUndeliverable`` instead of vanishing; fanout casts are never
    checked so.
    """
    kwargs = {}
    if at_least_once:
        kwargs['transport_options'] = messaging.TransportOptions(
            at_least_once=True)
    return messaging.get_rpc_client(
        get_transport(), target, version_cap=version_cap,
        serializer=RequestContextSerializer(), **kwargs)


def get_server(target, endpoints):
    """An RPC server dispatching ``target`` to ``endpoints`` on threads.

    oslo.messaging picks its threading executor by itself as nothing is
    monkey-patched (naming it is deprecated).  Only the endpoints' public
    methods can be called remotely.
    """
    return messaging.get_rpc_server(
        get_transport(), target, endpoints,
        serializer=RequestContextSerializer(),
        access_policy=messaging.DefaultRPCAccessPolicy)


# -- sending without hanging the caller ------------------------------------

# Seconds a caller waits for its cast to reach the broker before it goes on
# (the cast is still sent once the broker is back).
SEND_WAIT = 1.0
# Seconds a cast that could not be sent is tried again before it is given
# up; the work a cast asks for is recorded in the database first, so a task
# node finds it there even when its news never arrive.
SEND_GIVE_UP = 300.0
SEND_QUEUE_SIZE = 10000


class Courier(object):
    """Sends casts from one thread, so that no caller hangs on the broker.

    `send` queues a cast and waits up to ``wait`` seconds for the broker to
    take it (publisher confirms; with ``at_least_once`` the broker must
    also route it to a queue, else it comes back as undeliverable).  A
    cast the broker did not take is tried again with a growing delay until
    it is taken or ``give_up`` seconds have passed.  The broker's
    outages are logged once each (lost, back).
    """

    def __init__(self, wait=SEND_WAIT, give_up=SEND_GIVE_UP,
                 size=SEND_QUEUE_SIZE):
        import queue
        from delfin.common import outage
        self.wait = wait
        self.give_up = give_up
        self._queue = queue.Queue(maxsize=size)
        self._thread = None
        self._lock = threading.Lock()
        self._outage = outage.Outage('broker', 'RPC sender')
        self.sent = 0
        self.dropped = 0
        self.retried = 0

    @property
    def broker_down(self):
        return self._outage.down

    def _ensure_thread(self):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name='delfin-rpc-sender', daemon=True)
                self._thread.start()

    def send(self, cast, what='', wait=None):
        """Queue ``cast()`` (a function that casts); True when it was sent
        within ``wait`` seconds (default: the courier's), False when it is
        still being tried.  While the broker is known to be away nobody
        waits, so that a request casting many messages answers at once."""
        import queue
        done = threading.Event()
        item = [cast, what, time.monotonic(), done]
        self._ensure_thread()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            LOG.warning("RPC send queue full; %s not sent", what)
            return False
        wait = self.wait if wait is None else wait
        if self._outage.down or wait <= 0:
            return done.is_set()
        return done.wait(wait)

    def _loop(self):
        import queue
        delay = 0.2
        held = []
        while True:
            if held:
                item = held.pop(0)
            else:
                try:
                    item = self._queue.get(timeout=60)
                except queue.Empty:
                    continue
            cast, what, queued_at, done = item
            try:
                cast()
            except Exception as e:
                self._outage.failed(e)
                if time.monotonic() - queued_at > self.give_up:
                    self.dropped += 1
                    LOG.error("Gave up sending %s after %d s", what,
                              self.give_up)
                    continue
                self.retried += 1
                held.append(item)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            self.sent += 1
            self._outage.ok()
            done.set()


_courier = None


def courier():
    """The process's `Courier`."""
    global _courier
    with _lock:
        if _courier is None:
            _courier = Courier()
        return _courier


class _QuietReconnects(std_logging.Filter):
    """Lets one record of each broker outage through (the first failure,
    then the first reconnection) instead of one per retry and
    connection."""

    LOST = ('is unreachable', 'Connection failed', 'Unable to connect')
    BACK = ('Reconnected to AMQP server',)

    def __init__(self):
        super().__init__()
        self._down = False
        self._back_at = 0.0

    def filter(self, record):
        text = record.getMessage() if record.args else str(record.msg)
        if any(s in text for s in self.LOST):
            if self._down:
                return False
            self._down = True
            return True
        if any(s in text for s in self.BACK):
            if self._down:
                self._down = False
                self._back_at = time.monotonic()
                return True
            # Other connections of the process reconnecting soon after.
            return time.monotonic() - self._back_at > 30
        return True


def quiet_reconnect_logs():
    """Install the filter on the RabbitMQ driver's logger (once)."""
    quiet = _QuietReconnects()
    # oslo.log names the library's loggers with a dot.
    for name in ('oslo_messaging._drivers.impl_rabbit',
                 'oslo.messaging._drivers.impl_rabbit'):
        logger = std_logging.getLogger(name)
        if not any(isinstance(f, _QuietReconnects) for f in logger.filters):
            logger.addFilter(quiet)
