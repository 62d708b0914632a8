"""Can this process reach what it needs?  The checks behind
``GET /v1/health``.

Each check answers within about a second: the database (``SELECT 1`` on
the process's engine), the broker (a passive declare of a built-in
exchange on a connection kept for the purpose; nothing to check with the
in-process transport) and, in a process that is a task node, the
coordination backend (the node's view of its group is recent).  The
results are kept a second, so a load balancer polling often costs little.
"""
import concurrent.futures
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

TIMEOUT = 1.5
CACHE_SECONDS = 1.0

OK = 'ok'
UNAVAILABLE = 'unavailable'


def check_database():
    import sqlalchemy as sa
    from delfin.db import engine
    with engine.get_engine().connect() as conn:
        conn.execute(sa.text('SELECT 1'))


class _BrokerProbe(object):
    """One AMQP connection kept for probing the broker."""

    def __init__(self):
        self._lock = threading.Lock()
        self._conn = None

    @staticmethod
    def _url():
        import oslo_messaging as messaging
        from delfin import rpc
        parsed = messaging.TransportURL.parse(CONF, rpc.transport_url())
        urls = []
        for host in parsed.hosts:
            auth = ''
            if host.username:
                auth = host.username
                if host.password:
                    auth += ':' + host.password
                auth += '@'
            urls.append('amqp://%s%s:%s/%s' % (
                auth, host.hostname, host.port or 5672,
                parsed.virtual_host or ''))
        return ';'.join(urls)

    def _probe(self):
        import kombu
        if self._conn is None:
            self._conn = kombu.Connection(
                self._url(), connect_timeout=1,
                transport_options={'max_retries': 0})
            self._conn.ensure_connection(max_retries=1, timeout=1)
        self._conn.default_channel.exchange_declare(
            'amq.direct', 'direct', passive=True)

    def _drop(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    def __call__(self):
        with self._lock:
            kept = self._conn is not None
            try:
                self._probe()
                return
            except Exception:
                self._drop()
                if not kept:
                    raise
            # The kept connection may have died in an outage since: a
            # fresh one tells whether the broker is there now.
            try:
                self._probe()
            except Exception:
                self._drop()
                raise


_broker_probe = _BrokerProbe()


def check_broker():
    from delfin import rpc
    if rpc.is_in_process():
        return
    _broker_probe()


def check_coordination():
    from delfin import coordination
    coordinator = coordination.get_current()
    if coordinator is None:
        return
    if not coordinator.in_group():
        raise RuntimeError('out of the task group')


CHECKS = {'database': check_database, 'broker': check_broker,
          'coordination': check_coordination}

_pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=len(CHECKS), thread_name_prefix='delfin-health')
_cache = {'at': None, 'result': None}
_cache_lock = threading.Lock()


def _run(name, check):
    try:
        check()
        return {'status': OK}
    except Exception as e:
        return {'status': UNAVAILABLE, 'error': type(e).__name__}


def status(timeout=TIMEOUT, checks=None):
    """{component: {'status': 'ok' | 'unavailable', 'error': ...}}."""
    checks = CHECKS if checks is None else checks
    now = time.monotonic()
    with _cache_lock:
        if checks is CHECKS and _cache['at'] is not None and \
                now - _cache['at'] < CACHE_SECONDS:
            return _cache['result']
    futures = {name: _pool.submit(_run, name, check)
               for name, check in checks.items()}
    deadline = now + timeout
    result = {}
    for name, future in futures.items():
        try:
            result[name] = future.result(
                max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            result[name] = {'status': UNAVAILABLE, 'error': 'Timeout'}
    if checks is CHECKS:
        with _cache_lock:
            _cache['at'], _cache['result'] = time.monotonic(), result
    return result


def failing(result):
    """Names of the components ``result`` reports unavailable."""
    return sorted(n for n, r in result.items() if r['status'] != OK)
