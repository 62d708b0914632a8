"""Fixtures of the API tests: the real application on a fresh SQLite
database (``api``), and with the task node (RPC server, sync engine, fake
driver) running in-process on the ``fake://`` transport (``api_service``),
both built on the shared fixtures of delfin/tests/conftest.py.
"""
import json
import time

import pytest
import webob

from delfin import rpc  # noqa: F401  (native threads for oslo.messaging)
import delfin.conf  # noqa: F401,E402
from delfin.db import api as db  # noqa: E402

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

    def wait_task_idle(self, timeout=30):
        """Wait until the task node has nothing queued or running."""
        deadline = time.monotonic() + timeout
        while not self.task.manager.idle():
            if time.monotonic() > deadline:
                raise AssertionError('task node still busy')
            time.sleep(0.02)


@pytest.fixture(scope='module')
def api(sqlite_engine):
    """A client of the application on a fresh database (no task node)."""
    from delfin.api import app as api_app
    return Client(api_app.make_app())


@pytest.fixture(scope='module')
def api_service(service):
    """A client of the application with a task node in-process."""
    client = Client(service.app)
    client.task = service.task
    return client


def make_storage(name='array', serial=None, conn=None, **values):
    """A storage row, as registration would leave it."""
    row = dict(name=name, vendor='fake_vendor', model='fake_model',
               status='normal', serial_number=serial or db.new_id(),
               sync_status=0, deleted=False)
    row.update(values)
    return db.create('storage', row, conn=conn)
