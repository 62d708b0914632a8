"""RPC plumbing: transport choice, context and payload serialisation,
remote exceptions, native threads only."""
import datetime
import os
import subprocess
import sys
import threading

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from delfin import context
from delfin import exception
from delfin import rpc
from delfin.tests import conftest

CONF = cfg.CONF


class Recorder(object):
    """An endpoint that remembers what reached it."""

    target = messaging.Target(version='1.0')

    def __init__(self):
        self.calls = []
        self.arrived = threading.Event()

    def note(self, ctxt, when, values):
        self.calls.append((ctxt, when, values))
        self.arrived.set()

    def missing_storage(self, ctxt, storage_id):
        raise exception.StorageNotFound(storage_id)

    def echo(self, ctxt, value):
        return value


@pytest.fixture(scope='module')
def endpoint():
    rpc.cleanup()
    recorder = Recorder()
    target = messaging.Target(topic='test-topic', server='node-1')
    server = rpc.get_server(target, [recorder])
    assert server.executor_type == 'threading'
    server.start()
    client = rpc.get_client(messaging.Target(topic='test-topic',
                                             version='1.0'))
    yield recorder, client
    server.stop()
    server.wait()
    rpc.cleanup()


def test_default_transport_is_in_process():
    assert rpc.transport_url() == 'fake://'
    assert rpc.is_in_process()


def test_configured_transport_is_used():
    rpc.register_opts(CONF)
    CONF.set_override('transport_url', 'rabbit://u:pw@10.0.0.1:5672/')
    assert rpc.transport_url() == 'rabbit://u:pw@10.0.0.1:5672/'
    assert not rpc.is_in_process()


def test_safe_url_hides_the_password():
    assert rpc.safe_url('rabbit://guest:s3cret@h:5672/') == \
        'rabbit://guest:***@h:5672/'
    assert rpc.safe_url('fake://') == 'fake://'


def test_cast_carries_context_and_json_payload(endpoint):
    recorder, client = endpoint
    ctxt = context.RequestContext(user_id='alice', project_id='p1',
                                  storage_id='s-1')
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    client.cast(ctxt, 'note', when=when, values={'a': [1, 2]})
    assert recorder.arrived.wait(10)
    got_ctxt, got_when, got_values = recorder.calls.pop()
    assert isinstance(got_ctxt, context.RequestContext)
    assert got_ctxt.user_id == 'alice'
    assert got_ctxt.project_id == 'p1'
    assert got_ctxt.storage_id == 's-1'
    # Payloads are JSON: a datetime travels as text.
    assert got_when == '2024-01-02T03:04:05.000000'
    assert got_values == {'a': [1, 2]}


def test_delfin_exceptions_cross_by_name(endpoint):
    _recorder, client = endpoint
    ctxt = context.get_admin_context()
    with pytest.raises(exception.StorageNotFound) as info:
        client.call(ctxt, 'missing_storage', storage_id='abc')
    assert 'abc' in str(info.value)
    assert client.call(ctxt, 'echo', value=[1, 'x']) == [1, 'x']


def test_private_methods_are_not_callable(endpoint):
    recorder, client = endpoint
    with pytest.raises(Exception) as info:
        client.call(context.get_admin_context(), '__init__')
    assert 'does not support RPC method __init__' in str(info.value)
    assert not recorder.calls


def test_no_eventlet_is_loaded():
    code = ('import sys; import delfin.rpc, oslo_messaging, '
            'tooz.coordination, delfin.service; '
            'from oslo_service import backend; '
            'assert sys.modules.get("eventlet") is None, "eventlet loaded"; '
            'print(backend.get_backend_type().value)')
    out = subprocess.run([sys.executable, '-c', code], cwd=conftest.REPO_ROOT,
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'threading'


def test_a_driver_may_still_import_eventlet_itself():
    # Some Delfin-written drivers import eventlet for a timer; the service
    # keeps its own libraries off eventlet without refusing theirs.
    code = ('import sys; import delfin.rpc, delfin.service; '
            'import eventlet; '
            'assert sys.modules["eventlet"] is eventlet; '
            'from oslo_service import backend; '
            'print(backend.get_backend_type().value)')
    out = subprocess.run([sys.executable, '-c', code], cwd=conftest.REPO_ROOT,
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'threading'


# -- the courier -------------------------------------------------------------


def test_courier_answers_within_its_wait_and_sends_once_the_broker_is_back():
    import threading
    import time
    broker_up = threading.Event()
    sent = []

    def cast():
        if not broker_up.is_set():
            raise ConnectionRefusedError('broker away')
        sent.append(1)

    courier = rpc.Courier(wait=0.3, give_up=30)
    started = time.monotonic()
    assert courier.send(cast, 'first') is False
    assert time.monotonic() - started < 1.0
    # The broker is known to be away: the next caller does not wait.
    started = time.monotonic()
    assert courier.send(cast, 'second') is False
    assert time.monotonic() - started < 0.1
    broker_up.set()
    deadline = time.monotonic() + 10
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sent) == 2 and courier.retried >= 1
    assert not courier.broker_down
    assert courier.send(cast, 'third') is True


def test_courier_gives_up_a_cast_after_its_time():
    import time

    def cast():
        raise ConnectionRefusedError('broker away')

    courier = rpc.Courier(wait=0.1, give_up=0.3)
    assert courier.send(cast, 'doomed') is False
    deadline = time.monotonic() + 10
    while not courier.dropped and time.monotonic() < deadline:
        time.sleep(0.05)
    assert courier.dropped == 1


def test_broker_outage_is_logged_once_not_per_retry():
    import logging
    logger = logging.getLogger('oslo.messaging._drivers.impl_rabbit')
    rpc.quiet_reconnect_logs()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        for delay in (1, 2, 4, 8):
            logger.error('[x] AMQP server on 127.0.0.1:5672 is unreachable: '
                         'refused. Trying again in %d seconds.', delay)
        logger.info('[x] Reconnected to AMQP server on 127.0.0.1:5672')
        logger.info('[y] Reconnected to AMQP server on 127.0.0.1:5672')
        logger.error('[x] AMQP server on 127.0.0.1:5672 is unreachable: '
                     'refused. Trying again in 1 seconds.')
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [r.split(' ')[1] for r in records] == \
        ['AMQP', 'Reconnected', 'AMQP']
    assert len(records) == 3
