"""The inventory endpoints: list and show of every resource kind, on
SQLite, PostgreSQL and MariaDB."""
import contextlib
import datetime

import urllib.parse

import pytest
import sqlalchemy as sa

from delfin.db import api as db
from delfin.db import engine as db_engine
from delfin.resources import registry
from delfin.tests.functional.api.conftest import Client
from delfin.tests.functional.api.conftest import make_storage

GLOBAL = registry.routed_kinds(registry.GLOBAL)
PER_STORAGE = registry.routed_kinds(registry.PER_STORAGE)


@pytest.fixture(scope='module',
                params=['sqlite_engine', 'pg_engine', 'mysql_engine'])
def api(request):
    request.getfixturevalue(request.param)
    from delfin.api import app as api_app
    return Client(api_app.make_app())


@pytest.fixture(scope='module')
def data(api):
    with db_engine.writer() as conn:
        return _fill(conn)


def _fill(conn):
    def add(kind_name, **values):
        return db.create(kind_name, values, conn=conn)

    a = make_storage('a', conn=conn)
    b = make_storage('b', conn=conn)
    for i in range(25):
        add('volume', storage_id=a['id'], name='vol-%02d' % i,
            native_volume_id='v%d' % i,
            status='available' if i % 5 else 'error', total_capacity=i)
    for i in range(5):
        add('volume', storage_id=b['id'], name='b-vol-%d' % i,
            native_volume_id='v%d' % i, status='available',
            created_at=datetime.datetime(2024, 1, 1, i))
    # The same native group ids on both storages, with other members.
    for storage, members in ((a, ('h1', 'h2')), (b, ('h9',))):
        sid = storage['id']
        for h in ('h1', 'h2', 'h9'):
            add('storage_host', storage_id=sid, native_storage_host_id=h,
                name=h)
        for g in ('hg0', 'hg1'):
            add('storage_host_group', storage_id=sid,
                native_storage_host_group_id=g, name=g)
        for m in members:
            add('storage_host_grp_host_rel', storage_id=sid,
                native_storage_host_group_id='hg0',
                native_storage_host_id=m)
        add('storage_host_initiator', storage_id=sid,
            native_storage_host_initiator_id='iqn-' + storage['name'],
            native_storage_host_id='h1', name='i')
    add('port_group', storage_id=a['id'], native_port_group_id='pg0')
    add('port_grp_port_rel', storage_id=a['id'],
        native_port_group_id='pg0', native_port_id='p1')
    add('volume_group', storage_id=a['id'], native_volume_group_id='vg0')
    return {'a': a, 'b': b}


def test_every_global_kind_lists_with_total(api, data):
    for kind in GLOBAL:
        resp = api.get('/v1/%s' % kind.path)
        assert resp.status_int == 200, kind.name
        assert set(resp.json) == {kind.plural, 'total'}, kind.name
        assert resp.json['total'] == len(resp.json[kind.plural]), kind.name


def test_every_per_storage_kind_lists_with_total(api, data):
    for kind in PER_STORAGE:
        resp = api.get('/v1/storages/%s/%s' % (data['a']['id'], kind.path))
        assert resp.status_int == 200, kind.name
        assert set(resp.json) == {kind.plural, 'total'}, kind.name
        for row in resp.json[kind.plural]:
            assert row['storage_id'] == data['a']['id'], kind.name


def test_per_storage_list_of_unknown_storage_is_404(api, data):
    for kind in PER_STORAGE:
        resp = api.get('/v1/storages/nope/%s' % kind.path)
        assert resp.status_int == 404, kind.name
        assert resp.json['error_code'] == 'StorageNotFound', kind.name


def test_show_of_unknown_id_is_404_of_the_kind(api, data):
    for kind in GLOBAL:
        resp = api.get('/v1/%s/nope' % kind.path)
        assert resp.status_int == 404, kind.name
        assert resp.json['error_code'] == kind.not_found
        assert resp.json['error_args'] == ['nope']


def test_show_of_every_global_kind(api, data):
    for kind in GLOBAL:
        rows = api.get('/v1/%s?limit=1' % kind.path).json[kind.plural]
        for row in rows:
            shown = api.get('/v1/%s/%s' % (kind.path, row['id']))
            assert shown.status_int == 200, kind.name
            assert shown.json == row, kind.name


def test_volume_list_and_show(api, data):
    body = api.get('/v1/volumes').json
    assert body['total'] == 30
    vol = body['volumes'][0]
    assert set(vol) == {'id', 'storage_id', 'created_at', 'updated_at'} | \
        set(registry.by_name('volume').field_names)
    shown = api.get('/v1/volumes/%s' % vol['id'])
    assert shown.status_int == 200
    assert shown.json == vol


def test_default_order_is_newest_first(api, data):
    rows = api.get('/v1/volumes?storage_id=%s' % data['b']['id']).json
    assert [v['name'] for v in rows['volumes']] == [
        'b-vol-4', 'b-vol-3', 'b-vol-2', 'b-vol-1', 'b-vol-0']


def test_filters(api, data):
    a = data['a']['id']
    assert api.get('/v1/volumes?storage_id=%s' % a).json['total'] == 25
    body = api.get('/v1/volumes?storage_id=%s&status=error' % a).json
    assert body['total'] == 5
    assert {v['status'] for v in body['volumes']} == {'error'}
    body = api.get('/v1/volumes?native_volume_id=v3').json
    assert body['total'] == 2
    assert api.get('/v1/volumes?name=nothing').json == {
        'volumes': [], 'total': 0}
    body = api.get('/v1/volumes?status=error&status=available'
                   '&storage_id=%s' % a).json
    assert body['total'] == 25


@pytest.mark.parametrize('path', [
    '/v1/volumes?bogus=1',
    '/v1/volumes?total_capacity=1',
    # Filters Delfin accepted although they are no columns.
    '/v1/ports?status=x', '/v1/ports?native_controller_id=x',
    '/v1/qtrees?state=x', '/v1/quotas?name=x', '/v1/shares?status=x',
])
def test_unknown_filter_is_ignored(api, data, path):
    # Delfin ignores query parameters it does not know, and clients (the
    # SODA dashboard's quota tab) rely on it.
    base = path.split('?')[0]
    resp = api.get(path)
    assert resp.status_int == 200, resp.text
    assert resp.json['total'] == api.get(base).json['total']
    assert api.get('/v1/volumes').json['total'] > 0


def test_masking_view_delfin_filter_names_are_ignored(api, data):
    path = '/v1/storages/%s/masking-views' % data['a']['id']
    resp = api.get(path + '?native_storage_port_group_id=x')
    assert resp.status_int == 200
    assert resp.json['total'] == api.get(path).json['total']


def test_dashboard_quota_query_is_ignored(api, data):
    # '[object Object]?storage_id=<id>' sent one character per parameter.
    text = '[object Object]?storage_id=%s' % data['a']['id']
    query = '&'.join('%d=%s' % (i, urllib.parse.quote(c, safe=''))
                     for i, c in enumerate(text))
    resp = api.get('/v1/quotas?' + query)
    assert resp.status_int == 200, resp.text
    assert resp.json['total'] == api.get('/v1/quotas').json['total']


@pytest.mark.parametrize('path', ['/v1/volumes?limit=x',
                                  '/v1/volumes?offset=-1',
                                  '/v1/volumes?sort=name:up',
                                  '/v1/storages?marker=nope'])
def test_known_parameter_with_bad_value_is_4xx(api, data, path):
    resp = api.get(path)
    assert resp.status_int in (400, 404)
    assert resp.json['error_code']


def test_sort_and_offset(api, data):
    a = data['a']['id']
    body = api.get('/v1/volumes?storage_id=%s&sort=name:asc&limit=3'
                   '&offset=2' % a).json
    assert [v['name'] for v in body['volumes']] == [
        'vol-02', 'vol-03', 'vol-04']
    assert body['total'] == 25
    body = api.get('/v1/volumes?storage_id=%s&sort_key=total_capacity'
                   '&sort_dir=desc&limit=2' % a).json
    assert [v['total_capacity'] for v in body['volumes']] == [24, 23]


@pytest.mark.parametrize('query', ['limit=-1', 'limit=x', 'offset=-1',
                                   'offset=2147483648', 'sort=bogus',
                                   'sort=name:ASC', 'sort_key=bogus',
                                   'sort_dir=sideways'])
def test_bad_paging_is_400(api, data, query):
    resp = api.get('/v1/volumes?' + query)
    assert resp.status_int == 400
    assert resp.json['error_code'] == 'InvalidInput'


def test_total_of_later_pages_counts_every_row(api, data):
    a = data['a']['id']
    first = api.get('/v1/volumes?storage_id=%s&limit=20' % a).json
    assert first['total'] == 25
    last = api.get('/v1/volumes?storage_id=%s&limit=20&marker=%s'
                   % (a, first['volumes'][-1]['id'])).json
    assert len(last['volumes']) == 5
    assert last['total'] == 25
    assert api.get('/v1/volumes?storage_id=%s&offset=24'
                   % a).json['total'] == 25


def test_limit_zero_gives_only_the_total(api, data):
    assert api.get('/v1/volumes?limit=0').json == {
        'volumes': [], 'total': 30}


def test_limit_is_capped_by_api_max_limit(api, data):
    from oslo_config import cfg
    cfg.CONF.set_override('api_max_limit', 7)
    try:
        assert len(api.get('/v1/volumes').json['volumes']) == 7
        assert len(api.get('/v1/volumes?limit=100').json['volumes']) == 7
    finally:
        cfg.CONF.clear_override('api_max_limit')


@pytest.mark.parametrize('sort', ['', '&sort=name:asc',
                                  '&sort=status:asc,name:desc'])
def test_marker_walk_sees_every_row_once(api, data, sort):
    a = data['a']['id']
    everything = api.get('/v1/volumes?storage_id=%s%s' % (a, sort)).json
    seen, marker = [], None
    while True:
        path = '/v1/volumes?storage_id=%s&limit=4%s' % (a, sort)
        if marker:
            path += '&marker=%s' % marker
        page = api.get(path).json
        assert page['total'] == 25
        if not page['volumes']:
            break
        seen += [v['id'] for v in page['volumes']]
        marker = page['volumes'][-1]['id']
    assert seen == [v['id'] for v in everything['volumes']]


def test_unknown_marker_is_404_of_the_kind(api, data):
    resp = api.get('/v1/volumes?marker=nope')
    assert resp.status_int == 404
    assert resp.json['error_code'] == 'VolumeNotFound'


def test_group_members_stay_within_their_storage(api, data):
    for name, expected in (('a', ['h1', 'h2']), ('b', ['h9'])):
        body = api.get('/v1/storages/%s/storage-host-groups'
                       % data[name]['id']).json
        groups = {g['native_storage_host_group_id']: g
                  for g in body['storage_host_groups']}
        assert groups['hg0']['storage_hosts'] == expected
        assert groups['hg1']['storage_hosts'] == []


def test_port_and_volume_groups_list_members(api, data):
    a = data['a']['id']
    pgs = api.get('/v1/storages/%s/port-groups' % a).json['port_groups']
    assert [g['ports'] for g in pgs] == [['p1']]
    vgs = api.get('/v1/storages/%s/volume-groups' % a).json['volume_groups']
    assert [g['volumes'] for g in vgs] == [[]]


def test_hosts_list_their_initiators(api, data):
    for name in ('a', 'b'):
        hosts = api.get('/v1/storages/%s/storage-hosts'
                        % data[name]['id']).json['storage_hosts']
        by_id = {h['native_storage_host_id']: h for h in hosts}
        assert by_id['h1']['storage_host_initiators'] == ['iqn-' + name]
        assert by_id['h2']['storage_host_initiators'] == []


def test_path_storage_wins_over_query_storage_id(api, data):
    a, b = data['a']['id'], data['b']['id']
    body = api.get('/v1/storages/%s/storage-hosts?storage_id=%s'
                   % (a, b)).json
    assert body['total'] == 3
    assert {h['storage_id'] for h in body['storage_hosts']} == {a}


@contextlib.contextmanager
def _count_queries():
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith('SELECT'):
            statements.append(statement)

    engine = db_engine.get_engine()
    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)


def test_group_members_cost_one_query_per_page(api, data):
    a = data['a']['id']
    with _count_queries() as few:
        api.get('/v1/storages/%s/storage-host-groups?limit=1' % a)
    with _count_queries() as many:
        api.get('/v1/storages/%s/storage-host-groups?limit=2' % a)
    assert len(few) == len(many)
    relation = registry.by_name('storage_host_grp_host_rel').table
    assert sum(relation in s for s in many) == 1
