"""Access information: how the service reaches a storage's backend.

An update changes only the storage named in the path.  Each access section
of the request is merged into the stored one (a section the storage did not
have yet is added); new passwords are encrypted before anything else sees
them.  The storage's driver then checks, within ``api_backend_timeout``,
that the new access reaches the same device (same serial number) before the
access information and the storage's attributes are stored together.
Passwords are never shown.
"""
from delfin import exception
from delfin.api.common import backend
from delfin.api.common import views as common_views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.api.schemas import access_info as schema
from delfin.api import validation
from delfin.api.v1 import storages
from delfin.api.v1 import views
from delfin.db import api as db
from delfin.db import engine
from delfin.db import schema as db_schema

SECTIONS = schema.SECTIONS


def access_info_schema():
    """The schema of access information as the API shows it."""
    sections = {
        name: {'type': ['object', 'null'], 'properties': {
            key: openapi.nullable('integer' if key == 'port' else 'string')
            for key in keys}}
        for name, keys in views.SECTION_KEYS.items()}
    return openapi.table_schema(db_schema.access_info,
                                views.ACCESS_INFO_KEYS, extra=sections)


class AccessInfoController(wsgi.Controller):
    """``/v1/storages/{id}/access-info`` and ``/v1/access-infos``."""

    def describe(self, action):
        item = access_info_schema()
        if action == 'show_all':
            return {'response': openapi.collection('access_infos', item,
                                                   total=False)}
        return {'response': item}

    def show(self, req, id):
        return _view(db.get('access_info', id))

    @validation.schema(schema.update)
    def update(self, req, id, body):
        context = self.context(req)
        row = db.get('access_info', id)
        changes = {}
        for name in SECTIONS:
            if name in body:
                merged = dict(row.get(name) or {})
                merged.update(storages.encrypt_section(body[name]))
                changes[name] = merged
        if 'extra_attributes' in body:
            changes['extra_attributes'] = body['extra_attributes']
        candidate = dict(row, **changes)
        candidate.pop('created_at', None)
        candidate.pop('updated_at', None)
        storage = backend.call(storages.driver_api().update_access_info,
                               context, id, candidate)
        with engine.writer() as conn:
            try:
                storages.get_storage(id, conn=conn)
            except exception.StorageNotFound:
                # Removed while the backend was being asked.
                raise exception.AccessInfoNotFound(id)
            updated = db.update('access_info', id, changes, conn=conn)
            values = storages.storage_values(storage)
            values.pop('serial_number', None)
            if values:
                db.update('storage', id, values, conn=conn)
        return _view(updated)

    def show_all(self, req):
        rows = db.list_rows('access_info', sort=[('created_at', db.ASC)])
        names = _storage_names([r['storage_id'] for r in rows])
        return common_views.collection(
            'access_infos',
            [views.access_info(r, names.get(r['storage_id'])) for r in rows],
            len(rows))


def _storage_names(storage_ids):
    """{storage id: name} of the storages, one query."""
    if not storage_ids:
        return {}
    rows = db.list_rows('storage', filters={'id': list(storage_ids)})
    return {r['id']: r.get('name') for r in rows}


def _view(row):
    names = _storage_names([row['storage_id']])
    return views.access_info(row, names.get(row['storage_id']))


ROUTES = [
    wsgi.Route('GET', '/v1/storages/{id}/access-info', AccessInfoController,
               'show', name='access_info_show'),
    wsgi.Route('PUT', '/v1/storages/{id}/access-info', AccessInfoController,
               'update', name='access_info_update'),
    wsgi.Route('GET', '/v1/access-infos', AccessInfoController, 'show_all',
               name='access_info_index'),
]
