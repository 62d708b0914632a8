"""Storages: registration, listing, removal, sync and capabilities.

Registering a storage asks its driver, once and within
``api_backend_timeout``, what the backend is (notably its serial number),
stores the storage with its access information in one transaction, and
starts its first sync job.  Everything else that touches the backend runs as
a job on a task node: the API records the job and casts it.

A storage's ``sync_status`` (Delfin's SYNCED / SYNCING) is read from its
sync jobs, so it is true at any moment, including in the registration
response.  ``GET /v1/storages/{id}/freshness`` (an addition) tells per
resource kind when its last successful sync happened, how long the last
attempt took, how many items it found and its last error; the storage's
list and detail views carry Delfin's fields only, so that polling them
stays cheap.
"""
import threading

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import cryptor
from delfin import exception
from delfin.api.common import backend
from delfin.api.common import params as list_params
from delfin.api.common import views as common_views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.api.schemas import access_info as access_schema
from delfin.api.schemas import storages as schema
from delfin.api import validation
from delfin.api.v1 import views
from delfin.db import api as db
from delfin.db import direct
from delfin.db import engine
from delfin.db import schema as db_schema
from delfin.resources import registry

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

SECTIONS = access_schema.SECTIONS
# Registrations check for duplicates and insert under this lock, so two
# concurrent requests for one backend cannot both succeed in this process;
# the check is repeated inside the inserting transaction.
_REGISTRATION_LOCK = threading.Lock()


def _jobs():
    from delfin.task_manager import jobs
    return jobs


def _alert_store():
    from delfin.alert_manager import store
    return store


def _alert_exporter():
    from delfin.exporter import alert
    return alert


def driver_api():
    from delfin.drivers import api as driver_api
    return driver_api.API()


class _TaskClient(object):
    """The task RPC client, created on first use."""

    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def __call__(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from delfin.task_manager import rpcapi
                    self._client = rpcapi.TaskAPI()
        return self._client


task_api = _TaskClient()


def get_storage(storage_id, conn=None):
    """The storage row; `StorageNotFound` when absent or deleted."""
    row = db.get('storage', storage_id, conn=conn)
    if row.get('deleted'):
        raise exception.StorageNotFound(storage_id)
    return row


FRESHNESS = 'sync_freshness'
db.register_table(FRESHNESS, db_schema.sync_freshness, key='storage_id')
FRESHNESS_KEYS = ('last_success_at', 'last_attempt_at', 'last_duration',
                  'item_count', 'last_error', 'last_job_id')
_fresh = db_schema.sync_freshness
# Built once: the statement's cache key is computed once too.
_FRESHNESS_OF = sa.select(
    _fresh.c.kind, *[_fresh.c[k] for k in FRESHNESS_KEYS]).where(
    _fresh.c.storage_id == sa.bindparam('storage_id')).order_by(
    _fresh.c.kind)


def freshness(storage_id, conn):
    """{kind: {last_success_at, ...}} of one storage."""
    return {row[0]: common_views.project(row._mapping, FRESHNESS_KEYS)
            for row in conn.execute(_FRESHNESS_OF,
                                    {'storage_id': storage_id})}


def storage_view(row, conn):
    """The view of a storage row with its sync status."""
    statuses = _jobs().storage_sync_statuses([row['id']], conn=conn)
    return views.storage(row, statuses[row['id']])


# The storage list and detail views are what dashboards poll: they are
# read by one statement each through `delfin.db.direct` and rendered from
# the texts kept by row (`views.StorageTexts`).
_TEXTS = views.StorageTexts()
_COLUMNS = tuple(k for k in views.STORAGE_KEYS if k in db_schema.storages.c)
_DELETED = _COLUMNS.index('deleted')


class _Reads(object):
    """The direct statements, built on first use (the jobs module is
    imported late)."""

    def __init__(self):
        self._show = self._syncing = None

    @property
    def syncing(self):
        """The column "has an active sync job" of a storage row (bind
        ``cutoff``)."""
        if self._syncing is None:
            self._syncing = _jobs().syncing_clause(
                db_schema.storages.c.id).label('syncing_now')
        return self._syncing

    @property
    def show(self):
        if self._show is None:
            table = db_schema.storages
            self._show = direct.Query(sa.select(
                *[table.c[k] for k in _COLUMNS], self.syncing,
            ).where(table.c.id == sa.bindparam('id')))
        return self._show


_reads = _Reads()


def _text(kind, values, decoders):
    """The text of a storage row read with `_Reads.syncing` last."""
    status = views.SYNCING if values[-1] else views.SYNCED
    return _TEXTS.text((kind, values), _COLUMNS, values, decoders, status)


def storage_text(storage_id, since=None):
    """The JSON text of a storage's view (`StorageNotFound` when absent
    or deleted), as of ``since`` at least (`direct.Connection.memo`)."""
    query = _reads.show
    key = ('storage', storage_id)
    with direct.reader() as conn:
        memo = conn.memo(since)
        if memo is not None:
            text = memo.get(key)
            if text is not None:
                return text
        rows = query.rows(conn, {'id': storage_id,
                                 'cutoff': _jobs().sync_cutoff()},
                          decode=False)
        decoders = query.decoders(conn)
        kind = conn.dialect.name
    if not rows or rows[0][_DELETED]:
        raise exception.StorageNotFound(storage_id)
    text = _text(kind, rows[0], decoders)
    # A syncing storage's status changes with time alone (its job is lost
    # when no longer updated): its view is read each time.
    if memo is not None and not rows[0][-1]:
        memo.keep(key, text)
    return text


def storage_list_text(query_string, parse, since=None):
    """The JSON text of a page of storages with its total: the page of
    the request's ``query_string``, parsed by ``parse()``, as of ``since``
    at least (`direct.Connection.memo`)."""
    # The page a query string names depends on the largest page too.
    key = ('storages', query_string, CONF.api_max_limit)
    with direct.reader() as conn:
        memo = conn.memo(since)
        if memo is not None:
            text = memo.get(key)
            if text is not None:
                return text
        query = parse()
        page = db.direct_page('storage', _COLUMNS, filters=query.filters,
                              sort=query.sort, limit=query.limit,
                              offset=query.offset, marker=query.marker,
                              conn=conn,
                              extra=(_reads.syncing,),
                              params={'cutoff': _jobs().sync_cutoff()})
        kind = conn.dialect.name
        rows = page.rows
        if query.marker is None and query.offset == 0 and (
                query.limit is None or len(rows) < query.limit):
            total = len(rows)
        else:
            total = db.count('storage', filters=query.filters)
    texts = [_text(kind, values, page.decoders) for values in rows]
    text = '{"storages": [%s], "total": %d}' % (', '.join(texts), total)
    if memo is not None and not any(values[-1] for values in rows):
        memo.keep(key, text)
    return text


def start_sync(context, storage_id, trigger):
    """Create a sync job of the storage and hand it to a task node.

    The job row is the record of the request; the message to the task
    nodes only hastens it.  When the broker does not take the message
    within a second (it is away), the job is accepted all the same: the
    message is sent once the broker is back, and the task node owning the
    storage runs a job left queued without waiting for it.

    :raises StorageIsSyncing: a job of the storage is already active.
    :returns: the job dict.
    """
    job = _jobs().create_sync_job(storage_id, trigger=trigger)
    try:
        if not task_api().sync_storage(context, storage_id, job['id']):
            LOG.info("Sync job %s of storage %s accepted; the broker has "
                     "not taken its message yet", job['id'], storage_id)
    except Exception:
        LOG.exception("Could not hand sync job %s of storage %s to a task "
                      "node", job['id'], storage_id)
        _jobs().cancel_jobs(storage_id)
        raise
    return job


def storage_values(storage):
    """The columns of a storage row from what its driver reported."""
    return {k: storage[k] for k in registry.STORAGE.field_names
            if k in storage}


def _same_endpoint(stored, given):
    return bool(stored) and stored.get('host') == given.get('host') \
        and stored.get('port') == given.get('port')


def _find_duplicate(access, conn=None):
    """The registered access info that reaches the same backend, if any.

    Same vendor and model (and storage name or extra attributes when given),
    and every access section of the request at the same host and port.
    """
    rows = db.list_rows('access_info', filters={
        'vendor': access['vendor'], 'model': access['model']}, conn=conn)
    for row in rows:
        if 'storage_name' in access and \
                row.get('storage_name') != access['storage_name']:
            continue
        if 'extra_attributes' in access and \
                row.get('extra_attributes') != access['extra_attributes']:
            continue
        if all(_same_endpoint(row.get(s), access[s])
               for s in SECTIONS if access.get(s)):
            return row
    return None


def encrypt_section(section):
    """A copy of an access section with its password encrypted."""
    section = dict(section)
    if section.get('password') is not None:
        section['password'] = cryptor.encode(section['password'])
    return section


def _serial_taken(serial_number, conn):
    return db.find('storage', conn=conn, serial_number=serial_number,
                   deleted=False) is not None


def storage_schema():
    """The schema of a storage as the API shows it."""
    return openapi.kind_schema(registry.STORAGE, extra={
        'sync_status': {'type': 'string',
                        'enum': [views.SYNCED, views.SYNCING]},
        'deleted': {'type': 'boolean'},
        'deleted_at': openapi.nullable('string')})


class StorageController(wsgi.Controller):
    """``/v1/storages``."""

    table = db_schema.storages

    def describe(self, action):
        storage = storage_schema()
        job = job_schema()
        return {
            'index': {'query': openapi.query_parameters(
                self.table, registry.STORAGE.filters, fixed=('deleted',)),
                'response': openapi.collection('storages', storage)},
            'show': {'response': storage},
            'create': {'response': storage},
            'delete': {'response': None},
            'sync': {'response': job},
            'sync_all': {'response': openapi.collection('jobs', job,
                                                        total=False)},
            'capabilities': {'response': {'type': 'object'}},
        }.get(action)

    def index(self, req):
        return wsgi.JSONText(storage_list_text(
            req.environ.get('QUERY_STRING', ''),
            lambda: list_params.parse(req.GET, self.table,
                                      registry.STORAGE.filters,
                                      fixed={'deleted': False}),
            req.environ.get(wsgi.RECEIVED_AT)))

    def show(self, req, id):
        return wsgi.JSONText(storage_text(
            id, req.environ.get(wsgi.RECEIVED_AT)))

    def freshness(self, req, id):
        """``{"freshness": {kind: {...}}}``: how fresh each resource kind
        of the storage is (an addition to Delfin's API)."""
        with engine.reader() as conn:
            get_storage(id, conn)
            return {'freshness': freshness(id, conn)}

    @wsgi.response(201)
    @validation.schema(schema.create)
    def create(self, req, body):
        context = self.context(req)
        access = {k: body[k] for k in ('vendor', 'model', 'storage_name',
                                       'extra_attributes') if k in body}
        for name in SECTIONS:
            if body.get(name):
                access[name] = body[name]
        with _REGISTRATION_LOCK:
            if _find_duplicate(access):
                raise exception.StorageAlreadyExists()
        secret_access = dict(access)
        for name in SECTIONS:
            if name in secret_access:
                secret_access[name] = encrypt_section(secret_access[name])
        storage = backend.call(driver_api().discover_storage, context,
                               dict(secret_access))
        storage_id = storage['id']
        with _REGISTRATION_LOCK, engine.writer() as conn:
            if _find_duplicate(access, conn=conn) or \
                    _serial_taken(storage['serial_number'], conn):
                raise exception.StorageAlreadyExists()
            values = storage_values(storage)
            values.update(id=storage_id, sync_status=0, deleted=False)
            row = db.create('storage', values, conn=conn)
            info = {k: secret_access.get(k) for k in
                    ('vendor', 'model', 'storage_name', 'extra_attributes')
                    + SECTIONS}
            info['storage_id'] = storage_id
            db.create('access_info', info, conn=conn)
        LOG.info("Registered storage %s (%s %s, serial %s)", storage_id,
                 access['vendor'], access['model'], row['serial_number'])
        try:
            start_sync(context, storage_id, 'register')
        except Exception:
            LOG.exception("First sync of storage %s did not start",
                          storage_id)
        try:
            task_api().sync_storage_alerts(context, storage_id, None)
        except Exception:
            LOG.exception("Alert sync of storage %s did not start",
                          storage_id)
        with engine.reader() as conn:
            return storage_view(row, conn)

    @wsgi.response(202)
    def delete(self, req, id):
        context = self.context(req)
        storage = get_storage(id)
        _jobs().cancel_jobs(id)
        try:
            task_api().remove_storage(context, id)
        except Exception:
            LOG.exception("Could not tell task nodes that storage %s is "
                          "removed", id)
        try:
            resolved = _alert_store().removed_storage_changes(storage)
        except Exception:
            LOG.exception("Could not read the open alerts of storage %s",
                          id)
            resolved = []
        # Rows of every kind, access info, alert source, alerts and jobs
        # cascade.
        db.delete('storage', id)
        # The exporters resolve the storage's alerts now rather than let
        # them fire on until they expire.
        _alert_exporter().dispatch(resolved)
        LOG.info("Removed storage %s", id)

    @wsgi.response(202)
    def sync(self, req, id):
        get_storage(id)
        return job_view(start_sync(self.context(req), id, 'manual'))

    @wsgi.response(202)
    def sync_all(self, req):
        context = self.context(req)
        rows = db.list_rows('storage', filters={'deleted': False},
                            sort=[('created_at', db.ASC)])
        started, skipped = [], []
        for row in rows:
            try:
                started.append(start_sync(context, row['id'], 'manual'))
            except exception.StorageIsSyncing as exc:
                LOG.info("Storage %s is syncing; not started again",
                         row['id'])
                skipped.append({'storage_id': row['id'],
                                'error_code': exc.error_code,
                                'error_msg': exc.msg})
            except exception.StorageNotFound:
                pass  # removed meanwhile
            except Exception:
                LOG.exception("Sync of storage %s did not start", row['id'])
                skipped.append({'storage_id': row['id'],
                                'error_code': 'SyncNotStarted',
                                'error_msg': 'The sync could not be handed '
                                             'to a task node.'})
        return {'jobs': [job_view(j) for j in started], 'skipped': skipped}

    @wsgi.waits_on_backend
    def capabilities(self, req, id):
        context = self.context(req)
        get_storage(id)
        # Every driver answers: one without performance metrics has an
        # empty metric list, and the resource kinds it fills.
        return backend.call(driver_api().get_capabilities, context, id)


def job_view(job):
    from delfin.api.v1 import jobs as jobs_api
    return jobs_api.job_view(job)


def job_schema():
    from delfin.api.v1 import jobs as jobs_api
    return jobs_api.job_schema()


ROUTES = [
    wsgi.Route('GET', '/v1/storages', StorageController, 'index',
               name='storage_index'),
    wsgi.Route('POST', '/v1/storages', StorageController, 'create',
               name='storage_create'),
    wsgi.Route('POST', '/v1/storages/sync', StorageController, 'sync_all',
               name='storage_sync_all'),
    wsgi.Route('GET', '/v1/storages/{id}', StorageController, 'show',
               name='storage_show'),
    wsgi.Route('DELETE', '/v1/storages/{id}', StorageController, 'delete',
               name='storage_delete'),
    wsgi.Route('POST', '/v1/storages/{id}/sync', StorageController, 'sync',
               name='storage_sync'),
    wsgi.Route('GET', '/v1/storages/{id}/capabilities', StorageController,
               'capabilities', name='storage_capabilities'),
    wsgi.Route('GET', '/v1/storages/{id}/freshness', StorageController,
               'freshness', name='storage_freshness'),
]
