"""Storages: registration, listing, removal, sync and capabilities.

Registering a storage asks its driver, once and within
``api_backend_timeout``, what the backend is (notably its serial number),
stores the storage with its access information in one transaction, and
starts its first sync job.  Everything else that touches the backend runs as
a job on a task node: the API records the job and casts it.

A storage's ``sync_status`` (Delfin's SYNCED / SYNCING) is read from its
sync jobs, so it is true at any moment, including in the registration
response.  Beside Delfin's fields a storage shows ``freshness``: per
resource kind, when its last successful sync happened, how long the last
attempt took, how many items it found and its last error.
"""
import threading

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
from delfin.db import engine
from delfin.db import schema as db_schema
from delfin.resources import registry

LOG = logging.getLogger(__name__)

SECTIONS = access_schema.SECTIONS
# Registrations check for duplicates and insert under this lock, so two
# concurrent requests for one backend cannot both succeed in this process;
# the check is repeated inside the inserting transaction.
_REGISTRATION_LOCK = threading.Lock()


def _jobs():
    from delfin.task_manager import jobs
    return jobs


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


def freshness(storage_ids):
    """{storage_id: {kind: {last_success_at, ...}}}, one query for all."""
    result = {sid: {} for sid in storage_ids}
    if not storage_ids:
        return result
    rows = db.list_rows(FRESHNESS, filters={'storage_id': list(storage_ids)},
                        sort=[('storage_id', db.ASC), ('kind', db.ASC)])
    for row in rows:
        result[row['storage_id']][row['kind']] = common_views.project(
            row, FRESHNESS_KEYS)
    return result


def sync_statuses(storage_ids):
    """{storage_id: 'SYNCED' | 'SYNCING'} from the storages' jobs."""
    jobs = _jobs()
    bulk = getattr(jobs, 'storage_sync_statuses', None)
    if bulk is not None:
        return dict(bulk(list(storage_ids)))
    return {sid: jobs.storage_sync_status(sid) for sid in storage_ids}


def storage_views(rows):
    """Views of storage rows with their sync status and freshness."""
    ids = [r['id'] for r in rows]
    statuses = sync_statuses(ids)
    fresh = freshness(ids)
    result = []
    for row in rows:
        view = views.storage(row, statuses[row['id']])
        view['freshness'] = fresh[row['id']]
        result.append(view)
    return result


def storage_view(row):
    return storage_views([row])[0]


def start_sync(context, storage_id, trigger):
    """Create a sync job of the storage and hand it to a task node.

    :raises StorageIsSyncing: a job of the storage is already active.
    :returns: the job dict.
    """
    job = _jobs().create_sync_job(storage_id, trigger=trigger)
    try:
        task_api().sync_storage(context, storage_id, job['id'])
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
        query = list_params.parse(req.GET, self.table,
                                  registry.STORAGE.filters,
                                  fixed={'deleted': False})
        rows, total = list_params.list_page('storage', query)
        return common_views.collection('storages', storage_views(rows),
                                       total)

    def show(self, req, id):
        return storage_view(get_storage(id))

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
        return storage_view(row)

    @wsgi.response(202)
    def delete(self, req, id):
        context = self.context(req)
        get_storage(id)
        _jobs().cancel_jobs(id)
        try:
            task_api().remove_storage(context, id)
        except Exception:
            LOG.exception("Could not tell task nodes that storage %s is "
                          "removed", id)
        # Rows of every kind, access info, alert source and jobs cascade.
        db.delete('storage', id)
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
        started = []
        for row in rows:
            try:
                started.append(start_sync(context, row['id'], 'manual'))
            except exception.StorageIsSyncing:
                LOG.info("Storage %s is syncing; not started again",
                         row['id'])
            except exception.StorageNotFound:
                pass  # removed meanwhile
            except Exception:
                LOG.exception("Sync of storage %s did not start", row['id'])
        return {'jobs': [job_view(j) for j in started]}

    def capabilities(self, req, id):
        context = self.context(req)
        get_storage(id)
        body = backend.call(driver_api().get_capabilities, context, id)
        if not body or not body.get('spec'):
            raise exception.StorageCapabilityNotSupported()
        return body


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
]
