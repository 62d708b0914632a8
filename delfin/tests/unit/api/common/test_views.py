"""Tests of the generic view helpers."""
import datetime
import decimal

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.db import api as db_api
from delfin.resources import registry


def test_projection_is_a_whitelist_with_delfin_datetimes():
    row = {'a': 1, 'b': datetime.datetime(2024, 1, 2, 3, 4, 5),
           'secret': 'x'}
    assert views.project(row, ('a', 'b', 'c')) == {
        'a': 1, 'b': '2024-01-02T03:04:05.000000', 'c': None}


def test_aware_datetimes_are_shown_in_utc():
    tz = datetime.timezone(datetime.timedelta(hours=2))
    value = datetime.datetime(2024, 1, 2, 3, 0, tzinfo=tz)
    assert views.format_datetime(value) == '2024-01-02T01:00:00.000000'


def test_kind_keys_follow_the_registry():
    kind = registry.by_name('volume')
    keys = views.kind_keys(kind)
    assert keys[:2] == ('id', 'storage_id')
    assert set(kind.field_names) <= set(keys)
    assert keys[-2:] == ('created_at', 'updated_at')


def test_secret_names():
    for name in ('password', 'Password', 'admin_password',
                 'community_string', 'auth_key', 'privacy_key'):
        assert views.is_secret(name)
    for name in ('host', 'username', 'pub_key', 'port'):
        assert not views.is_secret(name)


def test_collection_has_total_beside_the_items():
    assert views.collection('volumes', [{'id': 1}], 7) == {
        'volumes': [{'id': 1}], 'total': 7}


# -- list bodies rendered from driver values ---------------------------------

def _sqlite_decoder(sql_type):
    """SQLAlchemy's processor of ``sql_type`` values read from SQLite."""
    return sql_type._cached_result_processor(sqlite.dialect(), None)


def _generic_body(renderer, page, total):
    """What the API renders for ``page`` through rows and projections."""
    rows = []
    for values in page.rows:
        rows.append({c: (v if d is None or v is None else d(v))
                     for c, v, d in zip(page.columns, values,
                                        page.decoders)})
    project = views.Projection(renderer.keys, renderer.datetime_keys)
    return wsgi.dumps(views.collection(
        'things', [project(r) for r in rows], total))


ODD_VALUES = [
    None, True, False, 0, 1, -1, 2 ** 63 - 1, -2 ** 63, 10 ** 30, 1.5,
    float('inf'), '', 'plain', 'caf\u00e9', '\u4e2d\u6587', '\U0001f600',
    'quote " backslash \\ slash /', 'tab\tnew\nline\x01', '%s %d %%',
    '</script>', decimal.Decimal('12'), decimal.Decimal('1.25'),
    datetime.date(2024, 5, 6), [1, 'a', None], {'k': ['v', 2]},
]


def test_value_texts_are_those_of_the_json_encoder():
    assert views.value_texts(ODD_VALUES) == [wsgi.dumps(v)
                                             for v in ODD_VALUES]
    for value in ODD_VALUES:
        assert views.value_texts([value] * 3) == [wsgi.dumps(value)] * 3


def test_rendered_pages_are_the_generic_bodies():
    to_datetime = _sqlite_decoder(sa.DateTime())
    renderer = views.PageRenderer(
        'things', ('id', 'name', 'size', 'flag', 'doc', 'stored_at',
                   'seen_at', 'missing', 'created_at', 'naive_at'),
        ('stored_at', 'seen_at', 'created_at', 'naive_at'))
    columns = ('id', 'name', 'size', 'flag', 'doc', 'stored_at', 'seen_at',
               'created_at', 'naive_at')
    decoders = (None, None, None, _sqlite_decoder(sa.Boolean()),
                _sqlite_decoder(sa.JSON()), to_datetime, None, to_datetime,
                None)
    tz = datetime.timezone(datetime.timedelta(hours=-3))
    seen = [None, datetime.datetime(2024, 1, 2, 3, 4, 5),
            datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=tz),
            datetime.datetime(9, 12, 31, 23, 59, 59, 999999)]
    naive = [datetime.datetime(2024, 1, 2, 3, 4, 5, 6), None,
             datetime.datetime(2024, 1, 2, 3, 4, 5),
             datetime.datetime(9, 12, 31, 23, 59, 59, 999999)]
    stored = [None, '2024-01-02 03:04:05.000006', '0009-01-02 03:04:05.5',
              '2024-01-02 03:04:05', '2024-01-02']
    rows = []
    for i, value in enumerate(ODD_VALUES):
        rows.append(('id-%d' % i, value if isinstance(value, str) else None,
                     value, None if i % 3 == 2 else i % 2,
                     wsgi.dumps(value) if i % 2 else None,
                     stored[i % len(stored)], seen[i % len(seen)],
                     '2024-01-02 03:04:05.%06d' % i,
                     naive[i % len(naive)]))
    # Every column alone (its fast path) and all together (mixed types).
    pages = [rows] + [[r] for r in rows] + [
        [r for r in rows if r[5] is not None and len(r[5]) == 26]]
    for page_rows in pages:
        for total in (None, 0, len(page_rows), 2 ** 40):
            page = db_api.RawPage(columns, page_rows, decoders)
            assert renderer.render(page, total) == _generic_body(
                renderer, page, total)
    empty = db_api.RawPage(columns, [], decoders)
    assert renderer.render(empty, 0) == '{"things": [], "total": 0}'
    assert renderer.render(empty) == '{"things": []}'
