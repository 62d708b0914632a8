"""Sync jobs of a storage: ``/v1/storages/{storage_id}/jobs``.

Each sync of a storage is a job with a state (queued, running, succeeded,
failed, cancelled), the trigger that started it, the node that runs or ran
it (``host``), per-resource-kind progress, an error, and its times; while
it runs, ``heartbeat_at`` is refreshed every few seconds by that node (a
stale one shows a stuck or dead node), and ``attempts`` counts how many
times it was started (more than once when a node died while running it).
The list pages like every other collection (filters ``state`` and
``trigger``).

``warnings`` counts what the sync stored or skipped of the driver's data
instead of failing (values outside the vocabulary, duplicates, items that
cannot be stored); the kinds concerned carry the counts and a few examples
in their ``progress`` entry (see `delfin.task_manager.sync.tolerance`).
"""
from delfin import exception
from delfin.api.common import params as list_params
from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.api.v1 import storages
from delfin.db import api as db
from delfin.db import schema

TABLE = 'sync_job'
db.register_table(TABLE, schema.sync_jobs, key='id',
                  not_found='SyncJobNotFound')

JOB_KEYS = ('id', 'storage_id', 'state', 'trigger', 'host', 'progress',
            'error', 'started_at', 'finished_at', 'created_at', 'updated_at',
            'heartbeat_at', 'attempts')
FILTERS = ('id', 'state', 'trigger')


def _progress(value):
    if isinstance(value, dict):
        return {k: ({f: views.format_datetime(x) for f, x in v.items()}
                    if isinstance(v, dict) else v)
                for k, v in value.items()}
    return value


def _warnings(progress):
    total = 0
    for entry in (progress or {}).values():
        found = entry.get('warnings') if isinstance(entry, dict) else None
        if isinstance(found, dict):
            total += sum(v for k, v in found.items()
                         if k != 'examples' and isinstance(v, int))
    return total


def job_view(job):
    view = views.project(job, JOB_KEYS)
    view['progress'] = _progress(job.get('progress'))
    view['warnings'] = _warnings(job.get('progress'))
    return view


def job_schema():
    """The schema of a job as the API shows it."""
    return openapi.table_schema(schema.sync_jobs, JOB_KEYS,
                                extra={'progress': {}})


class JobController(wsgi.Controller):
    """List and show the sync jobs of one storage."""

    def describe(self, action):
        job = job_schema()
        if action == 'index':
            return {'query': openapi.query_parameters(
                schema.sync_jobs, FILTERS, fixed=('storage_id',)),
                'response': openapi.collection('jobs', job)}
        return {'response': job}

    @wsgi.reads_pages
    def index(self, req, storage_id):
        storages.get_storage(storage_id)
        query = list_params.parse(req.GET, schema.sync_jobs, FILTERS,
                                  fixed={'storage_id': storage_id})
        rows, total = list_params.list_page(TABLE, query)
        return views.collection('jobs', [job_view(r) for r in rows], total)

    def show(self, req, storage_id, job_id):
        storages.get_storage(storage_id)
        job = db.get(TABLE, job_id)
        if job['storage_id'] != storage_id:
            raise exception.SyncJobNotFound(job_id)
        return job_view(job)


ROUTES = [
    wsgi.Route('GET', '/v1/storages/{storage_id}/jobs', JobController,
               'index', name='job_index'),
    wsgi.Route('GET', '/v1/storages/{storage_id}/jobs/{job_id}',
               JobController, 'show', name='job_show'),
]
