"""Inventory resources: the list and show endpoints of every resource kind.

One controller class serves every inventory kind of the resource registry.
A global kind is listed at ``/v1/<path>`` (filterable by ``storage_id``) and
shown at ``/v1/<path>/{id}``; a per-storage kind is listed at
``/v1/storages/{storage_id}/<path>``, where the path's storage is the only
storage looked at (a ``storage_id`` in the query string cannot widen it) and
an unknown storage is a 404.

Group kinds carry the native ids of their members, as in Delfin: host
groups list ``storage_hosts``, port groups ``ports``, volume groups
``volumes``, and hosts their ``storage_host_initiators``.  The members of a
whole page are read in one query, within the page's storage only.
"""
import collections

from delfin.api.common import params as list_params
from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.db import api as db
from delfin.db import schema
from delfin.resources import registry


class _Members(object):
    """How the member native ids of a group row are found."""

    def __init__(self, kind, member_kind, group_field, member_field,
                 view_key):
        self.kind = kind
        self.member_kind = member_kind
        self.group_field = group_field
        self.member_field = member_field
        self.view_key = view_key

    def attach(self, views_, rows):
        """Add ``view_key`` to each view, one query for all the rows."""
        if not rows:
            return
        by_storage = collections.defaultdict(set)
        for row in rows:
            if row.get(self.kind.native_id) is not None:
                by_storage[row['storage_id']].add(row[self.kind.native_id])
        members = collections.defaultdict(list)
        for storage_id, group_ids in by_storage.items():
            rel_rows = db.list_rows(
                self.member_kind.name,
                filters={'storage_id': storage_id,
                         self.group_field: sorted(group_ids)},
                sort=[(self.group_field, db.ASC),
                      (self.member_field, db.ASC)])
            for rel in rel_rows:
                members[(storage_id, rel[self.group_field])].append(
                    rel[self.member_field])
        for view, row in zip(views_, rows):
            view[self.view_key] = members.get(
                (row['storage_id'], row.get(self.kind.native_id)), [])


def members_of(kind):
    """The `_Members` of ``kind``, or None for a kind without members."""
    if kind.relation is not None:
        rel = registry.by_name(kind.relation.kind)
        return _Members(kind, rel, kind.native_id, kind.relation.member_field,
                        kind.relation.view_key)
    if kind.name == 'storage_host':
        initiator = registry.by_name('storage_host_initiator')
        return _Members(kind, initiator, 'native_storage_host_id',
                        initiator.native_id, initiator.plural)
    return None


class InventoryController(wsgi.Controller):
    """List and show of one inventory kind."""

    def __init__(self, kind):
        self.kind = kind
        self.table = schema.TABLES[kind.name]
        self.project = views.kind_projection(kind, self.table.c.keys())
        self.members = members_of(kind)
        self.render = views.kind_renderer(kind)
        self.columns = self.render.columns(self.table.c.keys())
        unknown = [f for f in kind.filters if f not in self.table.c]
        if unknown:
            raise ValueError('filters of %s are not columns: %s'
                             % (kind.name, unknown))

    def describe(self, action):
        extra = {}
        if self.members is not None:
            extra[self.members.view_key] = {'type': 'array',
                                            'items': {'type': 'string'}}
        item = openapi.kind_schema(self.kind, extra=extra)
        if action == 'index':
            fixed = ('storage_id',) if self.kind.scope == \
                registry.PER_STORAGE else ()
            return {'query': openapi.query_parameters(
                self.table, self.kind.filters, fixed=fixed),
                'response': openapi.collection(self.kind.plural, item)}
        return {'response': item}

    @classmethod
    def factory(cls, kind):
        def build():
            return cls(kind)
        build.__name__ = '%s_controller' % kind.name
        return build

    def _views(self, rows):
        project = self.project
        result = [project(row) for row in rows]
        if self.members is not None:
            self.members.attach(result, rows)
        return result

    @wsgi.reads_pages
    def index(self, req, storage_id=None):
        fixed = None
        if storage_id is not None:
            db.get('storage', storage_id)
            fixed = {'storage_id': storage_id}
        query = list_params.parse(req.GET, self.table, self.kind.filters,
                                  fixed=fixed)
        if self.members is None:
            # No member lists to add: the body is rendered from the
            # driver's values, without a dict per row.
            page, total = list_params.list_page_raw(self.kind.name, query,
                                                    self.columns)
            return self.render.render(page, total)
        rows, total = list_params.list_page(self.kind.name, query)
        return views.collection(self.kind.plural, self._views(rows), total)

    def show(self, req, id):
        row = db.get(self.kind.name, id)
        return self._views([row])[0]


def routes():
    """The list and show routes of every routed inventory kind."""
    table = []
    for kind in registry.routed_kinds():
        controller = InventoryController.factory(kind)
        if kind.scope == registry.GLOBAL:
            table.append(wsgi.Route('GET', '/v1/%s' % kind.path, controller,
                                    'index', name='%s_index' % kind.name))
            table.append(wsgi.Route('GET', '/v1/%s/{id}' % kind.path,
                                    controller, 'show',
                                    name='%s_show' % kind.name))
        else:
            table.append(wsgi.Route(
                'GET', '/v1/storages/{storage_id}/%s' % kind.path,
                controller, 'index', name='%s_index' % kind.name))
    return table
