"""Fixtures shared by the whole test suite.

* Every test runs with its own state directory (``[DEFAULT] state_path``,
  unless a wider fixture already set one) and leaves the configuration as
  it found it: overrides and defaults set during the test are undone, and
  an engine created during the test is disposed.
* ``sqlite_engine`` / ``pg_engine`` / ``mysql_engine``: a database with the
  current schema (from the migrations) for a test module; on the servers
  (``DELFIN_TEST_PG_URL``, ``DELFIN_TEST_MYSQL_URL``) a database of the
  module's own, created for the run and dropped at its end.
* ``coordinator_nodes(url)``: coordination nodes that are stopped at exit.
* ``service``: the API application and a task node on the in-process
  transport, on a fresh SQLite database.
* ``require_service(name)``: skip unless a server the test needs is
  reachable; under ``CI=true`` a missing server fails the test instead.

Helpers are importable as ``from delfin.tests import conftest``.
"""
import contextlib
import hashlib
import json
import os
import shutil
import socket
import threading
import time
import urllib.parse

import pytest

# Native threads before anything loads oslo.messaging or tooz.
from delfin import rpc  # noqa: F401
from oslo_config import cfg  # noqa: E402

import delfin.conf  # noqa: E402,F401
from delfin.db import engine as db_engine  # noqa: E402
from delfin.tests.fixtures.db import db_servers  # noqa: E402,F401

CONF = cfg.CONF

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SERVICE_URLS = {
    'postgresql': ('DELFIN_TEST_PG_URL',
                   'postgresql+psycopg2://postgres@127.0.0.1:5432/test'),
    'mariadb': ('DELFIN_TEST_MYSQL_URL',
                'mysql+pymysql://root@127.0.0.1:3306/test'),
    'redis': ('DELFIN_TEST_REDIS_URL', 'redis://127.0.0.1:6379'),
    'rabbitmq': ('DELFIN_TEST_RABBIT_URL',
                 'rabbit://guest:guest@127.0.0.1:5672/'),
}
SERVICE_URLS['mysql'] = SERVICE_URLS['mariadb']
SERVICE_URLS['postgres'] = SERVICE_URLS['postgresql']

_DEFAULT_PORTS = {'postgresql': 5432, 'mysql': 3306, 'redis': 6379,
                  'rabbit': 5672, 'amqp': 5672}


def in_ci():
    return os.environ.get('CI', '').lower() == 'true'


def _missing(message):
    if in_ci():
        pytest.fail(message + ' (CI=true: required)', pytrace=False)
    pytest.skip(message)


def service_url(name):
    """The URL of a test server: env override or this machine's default."""
    env, default = SERVICE_URLS[name]
    return os.environ.get(env) or default


def require_service(name, timeout=2.0):
    """Return the URL of server ``name`` ('postgresql', 'mariadb', 'redis',
    'rabbitmq') once it accepts TCP connections; skip the test otherwise
    (fail it under CI=true)."""
    url = service_url(name)
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.split('+')[0]
    host = parts.hostname or '127.0.0.1'
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        _missing('%s is not reachable at %s:%s (%s); start it or set %s'
                 % (name, host, port, e, SERVICE_URLS[name][0]))
    return url


def require_program(name):
    """Return the path of executable ``name``; skip (fail in CI) when it
    is not installed."""
    path = shutil.which(name)
    if path is None:
        _missing('%s is not installed (installer/test.sh installs it)'
                 % name)
    return path


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.05, what='condition'):
    """Poll ``predicate`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %s s waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


# -- configuration ------------------------------------------------------


def _opt_infos():
    # Read-only look at where oslo.config keeps overrides and defaults.
    for name, info in CONF._opts.items():
        yield None, name, info
    for group_name, group in CONF._groups.items():
        for name, info in group._opts.items():
            yield group_name, name, info


def _snapshot():
    return {(g, n): (i.get('override'), i.get('default'))
            for g, n, i in _opt_infos()}


def _restore(snapshot):
    for group, name, info in list(_opt_infos()):
        override, default = snapshot.get((group, name), (None, None))
        if info.get('override') is not override:
            if override is None:
                CONF.clear_override(name, group)
            else:
                CONF.set_override(name, override, group)
        if info.get('default') is not default:
            if default is None:
                CONF.clear_default(name, group)
            else:
                CONF.set_default(name, default, group)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path):
    """Per test: a private state directory and no configuration leaks."""
    snapshot = _snapshot()
    engine_before = db_engine.set_engine(None)
    db_engine.set_engine(engine_before)
    if snapshot.get((None, 'state_path'), (None,))[0] is None:
        CONF.set_override('state_path', str(tmp_path / 'state'))
    yield
    _restore(snapshot)
    engine_after = db_engine.set_engine(engine_before)
    if engine_after is not None and engine_after is not engine_before:
        engine_after.dispose()


# -- databases ------------------------------------------------------------


def upgrade_schema(engine):
    """Bring ``engine``'s database to the current schema."""
    from delfin.db import migration
    migration.upgrade(engine)


class _Database(object):
    """Points the process at one database for a module, then restores."""

    def __init__(self, url, state_path):
        self.url = url
        self.state_path = str(state_path)

    def __enter__(self):
        CONF.set_override('connection', self.url, group='database')
        CONF.set_override('state_path', self.state_path)
        self.engine = db_engine.create_engine(self.url)
        self.previous = db_engine.set_engine(self.engine)
        return self.engine

    def __exit__(self, *exc):
        db_engine.set_engine(self.previous)
        self.engine.dispose()
        CONF.clear_override('connection', group='database')
        CONF.clear_override('state_path')


@pytest.fixture(scope='module')
def sqlite_engine(tmp_path_factory):
    """A fresh SQLite database file with the current schema, used by the
    whole module (``db_engine.get_engine()`` returns it)."""
    path = tmp_path_factory.mktemp('sqlite')
    with _Database('sqlite:///%s' % (path / 'delfin.sqlite'),
                   path / 'state') as engine:
        upgrade_schema(engine)
        yield engine


def _server_engine(backend, request, tmp_path_factory):
    # Each module gets a database of its own on the server, created for
    # this run and dropped at its end, so concurrent runs never meet.
    suffix = '_m%s' % hashlib.sha1(
        request.module.__name__.encode()).hexdigest()[:8]
    url = request.getfixturevalue('db_servers').url(backend, suffix)
    path = tmp_path_factory.mktemp(backend)
    with _Database(url, path / 'state') as engine:
        upgrade_schema(engine)
        yield engine


@pytest.fixture(scope='module')
def pg_engine(request, tmp_path_factory):
    """A private PostgreSQL database with the current schema."""
    yield from _server_engine('postgresql', request, tmp_path_factory)


@pytest.fixture(scope='module')
def mysql_engine(request, tmp_path_factory):
    """A private MariaDB database with the current schema."""
    yield from _server_engine('mysql', request, tmp_path_factory)


@contextlib.contextmanager
def coordinator_nodes(url):
    """``make(name)`` starts a coordination node on ``url``; every node
    made is stopped at the end (together: a file-backend node takes a
    second to stop)."""
    from delfin import coordination
    made = []

    def make(name):
        node = coordination.Coordinator(name, url=url, heartbeat_interval=1,
                                        member_timeout=2)
        node.start()
        made.append(node)
        return node

    try:
        yield make
    finally:
        stoppers = [threading.Thread(target=node.stop, args=(5,))
                    for node in made if node._tooz is not None]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()


def register_fake_storage(extra_attributes=None, host='192.0.2.1'):
    """Register a ``fake_storage fake_driver`` storage the way the API does
    (the driver describes it, then storage and access info are stored) on
    the current database; returns the storage id.  ``extra_attributes``
    may carry ``[fake_driver]`` options for this storage only."""
    from delfin import context
    from delfin import cryptor
    from delfin.db import api as db_api
    from delfin.drivers import api as driver_api
    access_info = dict(vendor='fake_storage', model='fake_driver',
                       rest={'host': host, 'port': 8443, 'username': 'admin',
                             'password': cryptor.encode('secret')},
                       extra_attributes=extra_attributes)
    storage = driver_api.API().discover_storage(
        context.get_admin_context(), access_info)
    db_api.create('storage', storage)
    db_api.create('access_info', dict(access_info, storage_id=storage['id']))
    return storage['id']


# -- in-process service ---------------------------------------------------


class InProcessService(object):
    """The API application plus a task node, in this process.

    ``request`` calls the WSGI application as an HTTP client would and
    returns ``(status code, decoded JSON body or None)``.
    """

    def __init__(self, app, task):
        self.app = app
        self.task = task

    def request(self, method, path, body=None):
        import webob
        req = webob.Request.blank(path, method=method)
        if body is not None:
            req.body = json.dumps(body).encode('utf-8')
            req.content_type = 'application/json'
        resp = req.get_response(self.app)
        data = None
        if resp.body and resp.content_type == 'application/json':
            data = json.loads(resp.body)
        return resp.status_int, data

    def wait_idle(self, timeout=30.0):
        """Wait until the task node has nothing queued or running."""
        wait_for(self.task.manager.idle, timeout, what='idle task node')


@pytest.fixture(scope='module')
def service(sqlite_engine):
    """API app + task RPC server on the ``fake://`` transport."""
    from delfin import service as delfin_service
    from delfin.api import app as api_app
    rpc.cleanup()
    rpc.init()
    task = delfin_service.RpcServer()
    task.start()
    try:
        yield InProcessService(api_app.make_app(), task)
    finally:
        task.stop(10)
        rpc.cleanup()
