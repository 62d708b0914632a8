"""List bodies rendered from the database driver's values are the bodies
rendered from repository rows, on SQLite, PostgreSQL and MariaDB."""
import datetime

import pytest

from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.resources import registry

TEXTS = ['plain', 'caf\u00e9 \u4e2d\u6587 \U0001f600', 'quote " back \\ /',
         'tab\tline\nctl\x01', '%s %d %% {}', '</script>', ' padded  ']
INTEGERS = {registry.INTEGER: [0, 2 ** 31 - 1, -2 ** 31],
            registry.BIGINT: [0, 2 ** 63 - 1, -2 ** 63, 10 ** 15 + 1]}
TIMES = [datetime.datetime(2024, 1, 2, 3, 4, 5),
         datetime.datetime(2024, 12, 31, 23, 59, 59, 999999),
         datetime.datetime(1000, 1, 1, 0, 0, 0, 1)]


def _value(field, i):
    """A value of ``field`` for the ``i``-th row; every third is NULL."""
    if i % 3 == 2:
        return None
    if field.type in INTEGERS:
        values = INTEGERS[field.type]
        return values[i % len(values)]
    if field.type == registry.BOOLEAN:
        return bool(i % 2)
    if field.type == registry.DATETIME:
        return TIMES[i % len(TIMES)]
    if field.type == registry.JSON:
        return {'i': i, 'text': TEXTS[i % len(TEXTS)], 'list': [1, None]}
    text = TEXTS[i % len(TEXTS)]
    return text[:field.length] if field.type == registry.STRING else text


def _fill(kind, storage_id, count):
    table = schema.INVENTORY[kind.name]
    with db_engine.writer() as conn:
        for i in range(count):
            values = {'storage_id': storage_id,
                      'created_at': TIMES[i % len(TIMES)],
                      'updated_at': None if i % 2 else TIMES[-1 - i % 2]}
            for field in kind.fields:
                values[field.name] = _value(field, i)
            for name in kind.identity:
                values[name] = '%s-%d' % (name, i)
            values = {k: v for k, v in values.items() if k in table.c}
            db_api.create(kind.name, values, conn=conn)


def _generic(kind, rows, total):
    table = schema.INVENTORY[kind.name]
    project = views.kind_projection(kind, table.c.keys())
    return wsgi.dumps(views.collection(kind.plural,
                                       [project(r) for r in rows], total))


@pytest.mark.parametrize('kind', registry.inventory_kinds(),
                         ids=lambda k: k.name)
def test_rendered_bodies_are_the_generic_ones(database, make_storage, kind):
    storage = make_storage()
    _fill(kind, storage['id'], 7)
    renderer = views.kind_renderer(kind)
    columns = renderer.columns(schema.INVENTORY[kind.name].c.keys())
    filters = {'storage_id': storage['id']}
    pages = [dict(limit=100), dict(limit=3), dict(limit=0),
             dict(limit=4, sort=[(kind.identity[0], db_api.ASC)]),
             dict(limit=4, sort=[('updated_at', db_api.DESC)])]
    for paging in pages:
        rows = db_api.list_rows(kind.name, filters, **paging)
        page = db_api.list_raw(kind.name, columns, filters, **paging)
        assert [r['id'] for r in rows] == [v[0] for v in page.rows]
        assert renderer.render(page, 7) == _generic(kind, rows, 7)
    marker = db_api.list_rows(kind.name, filters, limit=2)[-1]['id']
    rows = db_api.list_rows(kind.name, filters, limit=3, marker=marker)
    page = db_api.list_raw(kind.name, columns, filters, limit=3,
                           marker=marker)
    assert renderer.render(page) == _generic(kind, rows, None)


def test_raw_pages_are_the_pages_of_list_rows(database, make_storage):
    kind = registry.by_name('volume')
    storage = make_storage()
    _fill(kind, storage['id'], 9)
    columns = ('id', 'name')
    queries = [
        dict(filters={'storage_id': [storage['id'], 'other']}, limit=4),
        dict(filters={'storage_id': (storage['id'],)}, limit=4, offset=2),
        dict(filters={'storage_id': storage['id'], 'wwn': None}, limit=9),
        dict(filters={'storage_id': storage['id'], 'status': []}),
        dict(filters={'name': TEXTS[1][:255]},
             sort=[('total_capacity', db_api.ASC)]),
        dict(sort=[('total_capacity', db_api.DESC), ('name', db_api.ASC)],
             limit=5, offset=1),
    ]
    for query in queries:
        rows = db_api.list_rows(kind.name, **query)
        markers = [None] + [r['id'] for r in rows[:3]]
        for marker in markers:
            expected = db_api.list_rows(kind.name, marker=marker, **query)
            page = db_api.list_raw(kind.name, columns, marker=marker,
                                   **query)
            assert list(page.rows) == [(r['id'], r['name'])
                                       for r in expected], (query, marker)
    with pytest.raises(db_api.exception.VolumeNotFound):
        db_api.list_raw(kind.name, columns, marker='no-such-volume')
