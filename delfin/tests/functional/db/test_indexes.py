"""Every list the API serves is an index scan in the default order.

The statements are the repository's own (captured while it runs them); the
plans are SQLite's.  A list that needs a full table scan or a sort of every
matching row gets slow as the inventory grows, whatever the page size.
"""
import pytest
import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.resources import registry


def _statements(engine, fn):
    seen = []

    def record(conn, cursor, statement, parameters, context, many):
        if statement.lstrip().upper().startswith('SELECT'):
            seen.append((statement, parameters))
    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        fn()
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)
    return seen


def _plan(engine, statement, parameters):
    with engine.connect() as conn:
        rows = conn.exec_driver_sql('EXPLAIN QUERY PLAN ' + statement,
                                    parameters).all()
    return [r[-1] for r in rows]


def kind_native_id(name):
    kind = registry.by_name(name)
    return kind.native_id or '-'


def _cases():
    for kind in registry.routed_kinds() + (registry.STORAGE,):
        filters = [f for f in kind.filters if f != 'id']
        yield kind.name, {}
        for f in filters:
            yield kind.name, {f: 'x'}
            if f != 'storage_id' and 'storage_id' in filters:
                yield kind.name, {'storage_id': 's', f: 'x'}


@pytest.mark.parametrize('kind,filters', list(_cases()),
                         ids=lambda v: v if isinstance(v, str) else
                         ','.join(v) or 'all')
def test_default_list_pages_are_index_scans(sqlite_database, kind, filters):
    statements = _statements(sqlite_database, lambda: db_api.list_rows(
        kind, filters, limit=1000, with_total=True))
    # The page, then its total: a read of the stored count and, when none
    # is stored, a count of the table.
    page, *counts = statements
    assert 1 <= len(counts) <= 2
    plan = _plan(sqlite_database, *page)
    by_identity = any(step.startswith('SEARCH') and
                      '(%s=?' % kind_native_id(kind) in step
                      for step in plan)
    if not by_identity:
        # (A native id matches one row per storage: sorting them is free.)
        assert not any('TEMP B-TREE' in step for step in plan), plan
    assert all('USING' in step for step in plan
               if step.startswith(('SCAN', 'SEARCH'))), plan
    for count in counts:
        plan = _plan(sqlite_database, *count)
        assert all('USING' in step for step in plan
                   if step.startswith(('SCAN', 'SEARCH'))), plan


def test_keyset_page_is_an_index_range(sqlite_database, make_storage):
    storage = make_storage()
    rows = [db_api.create('volume', {'storage_id': storage['id'],
                                     'native_volume_id': 'v%d' % n})
            for n in range(3)]
    statements = _statements(sqlite_database, lambda: db_api.list_rows(
        'volume', {'storage_id': storage['id']}, limit=1000,
        marker=rows[1]['id']))
    page = statements[-1]
    plan = _plan(sqlite_database, *page)
    assert any(step.startswith('SEARCH') and 'ix_volumes_storage_id' in step
               and ('>' in step or '<' in step) for step in plan), plan
    assert not any('TEMP B-TREE' in step for step in plan), plan
