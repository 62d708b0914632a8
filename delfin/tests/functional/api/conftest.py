"""Fixtures of the API tests: the real application on a fresh SQLite
database, with the task service (RPC server, sync engine, fake driver)
running in-process on the ``fake://`` transport.
"""
import json
import time

import pytest
import webob
from oslo_config import cfg

from delfin import rpc  # noqa: F401  (native threads for oslo.messaging)
import delfin.conf  # noqa: F401,E402
from delfin.db import api as db  # noqa: E402
from delfin.db import engine as db_engine  # noqa: E402

CONF = cfg.CONF
TERMINAL = ('succeeded', 'failed', 'cancelled')


class Client(object):
    """Calls the WSGI application the way an HTTP client would."""

    def __init__(self, app):
        self.app = app

    def request(self, method, path, body=None, raw=None,
                content_type='application/json', headers=None):
        req = webob.Request.blank(path, method=method)
        if raw is not None:
            req.body = raw
            req.content_type = content_type
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = content_type
        for k, v in (headers or {}).items():
            req.headers[k] = v
        resp = req.get_response(self.app)
        assert resp.headers['x-compute-request-id'].startswith('req-')
        assert resp.content_type == 'application/json' or \
            path == '/metrics'
        return resp

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request('PUT', path, body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)

    def wait_job(self, storage_id, job_id, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            job = self.get('/v1/storages/%s/jobs/%s'
                           % (storage_id, job_id)).json
            if job.get('state') in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise AssertionError('job %s still %s' % (job_id, job))
            time.sleep(0.02)

    def wait_idle(self, storage_id, timeout=30):
        deadline = time.monotonic() + timeout
        while self.get('/v1/storages/%s' % storage_id).json.get(
                'sync_status') != 'SYNCED':
            if time.monotonic() > deadline:
                raise AssertionError('storage %s still syncing'
                                     % storage_id)
            time.sleep(0.02)


def _database(path):
    CONF.set_override('connection', 'sqlite:///%s' % (path / 'delfin.db'),
                      group='database')
    CONF.set_override('state_path', str(path))
    db_engine.dispose()
    engine = db_engine.create_engine()
    db_engine.set_engine(engine)
    from delfin.db import migration
    migration.upgrade(engine)
    return engine


def _clear_overrides():
    CONF.clear_override('connection', group='database')
    CONF.clear_override('state_path')


@pytest.fixture(scope='module')
def database(tmp_path_factory):
    """A fresh SQLite database with the current schema."""
    _database(tmp_path_factory.mktemp('api-db'))
    yield
    db_engine.dispose()
    _clear_overrides()


@pytest.fixture(scope='module')
def api(database):
    """A client of the application (no task service)."""
    from delfin.api import app as api_app
    return Client(api_app.make_app())


@pytest.fixture(scope='module')
def service(tmp_path_factory):
    """Database, in-process task service and a client of the API."""
    _database(tmp_path_factory.mktemp('api-svc'))
    from delfin import service as delfin_service
    from delfin.api import app as api_app
    from delfin.drivers import manager as driver_manager
    task = delfin_service.RpcServer()
    task.start()
    try:
        yield Client(api_app.make_app())
    finally:
        task.stop(10)
        rpc.cleanup()
        reset = getattr(driver_manager, 'reset_manager', None)
        if reset is not None:
            reset()
        db_engine.dispose()
        _clear_overrides()


def make_storage(name='array', serial=None, **values):
    """A storage row, as registration would leave it."""
    row = dict(name=name, vendor='fake_vendor', model='fake_model',
               status='normal', serial_number=serial or db.new_id(),
               sync_status=0, deleted=False)
    row.update(values)
    return db.create('storage', row)
