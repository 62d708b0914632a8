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
import sys
import threading
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


def get_client(target, version_cap=None):
    """An RPC client for ``target`` on the process's transport."""
    return messaging.get_rpc_client(
        get_transport(), target, version_cap=version_cap,
        serializer=RequestContextSerializer())


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
