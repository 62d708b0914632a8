"""The repository (delfin.db.api) on SQLite, PostgreSQL and MariaDB."""
import datetime

import pytest
import sqlalchemy as sa

from delfin import exception
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema


def _volume(storage, n, **values):
    row = {'native_volume_id': 'vol-%03d' % n, 'name': 'volume %d' % n,
           'storage_id': storage['id'], 'status': 'available',
           'total_capacity': n * 1024}
    row.update(values)
    return db_api.create('volume', row)


def test_create_get_update_delete(database, make_storage):
    storage = make_storage()
    vol = _volume(storage, 1, compressed=True)
    assert db_api.get('volume', vol['id']) == vol
    assert vol['compressed'] is True and vol['updated_at'] is None
    updated = db_api.update('volume', vol['id'], {'name': 'renamed'})
    assert updated['name'] == 'renamed'
    assert updated['updated_at'] is not None
    assert updated['created_at'] == vol['created_at']
    db_api.delete('volume', vol['id'])
    with pytest.raises(exception.VolumeNotFound):
        db_api.get('volume', vol['id'])
    with pytest.raises(exception.VolumeNotFound):
        db_api.delete('volume', vol['id'])
    with pytest.raises(exception.VolumeNotFound):
        db_api.update('volume', vol['id'], {'name': 'x'})


def test_unknown_attribute_is_rejected(database, make_storage):
    storage = make_storage()
    with pytest.raises(exception.InvalidInput):
        _volume(storage, 1, native_diskgroup_id='x')


def test_json_columns_round_trip(database, make_storage):
    storage = make_storage()
    rest = {'host': '192.0.2.1', 'port': 8443, 'verify': False,
            'nested': {'list': [1, 'two', None]}}
    db_api.create('access_info', {'storage_id': storage['id'],
                                  'vendor': 'v', 'model': 'm',
                                  'rest': rest})
    assert db_api.get('access_info', storage['id'])['rest'] == rest


def test_native_ids_are_unique_per_storage_only(database, make_storage):
    one, two = make_storage(), make_storage()
    _volume(one, 1)
    _volume(two, 1)
    with pytest.raises(sa.exc.IntegrityError):
        _volume(one, 1)


def test_native_ids_compare_exactly(database, make_storage):
    # Case makes different identities on every backend (MariaDB's default
    # collations would fold it).
    storage = make_storage()
    _volume(storage, 1, native_volume_id='Vol-A')
    _volume(storage, 2, native_volume_id='vol-a')
    assert db_api.count('volume', {'native_volume_id': 'vol-a'}) == 1
    assert db_api.count('volume', {'native_volume_id': 'VOL-A'}) == 0


def test_deleting_a_storage_deletes_its_rows(database, make_storage):
    gone, kept = make_storage(), make_storage()
    for n in range(3):
        _volume(gone, n)
        _volume(kept, n)
    db_api.create('storage_pool', {'storage_id': gone['id'],
                                   'native_storage_pool_id': 'p1'})
    db_api.create('access_info', {'storage_id': gone['id'], 'vendor': 'v',
                                  'model': 'm'})
    db_api.delete('storage', gone['id'])
    assert db_api.count('volume', {'storage_id': gone['id']}) == 0
    assert db_api.count('storage_pool', {'storage_id': gone['id']}) == 0
    assert db_api.find('access_info', storage_id=gone['id']) is None
    assert db_api.count('volume', {'storage_id': kept['id']}) == 3


def test_rows_of_a_missing_storage_are_refused(database):
    with pytest.raises(sa.exc.IntegrityError):
        db_api.create('volume', {'storage_id': 'no-such-storage',
                                 'native_volume_id': 'v'})


def test_filters_exact_lists_and_none(database, make_storage):
    storage = make_storage()
    for n in range(6):
        _volume(storage, n, status='error' if n % 3 == 0 else 'available',
                wwn=None if n == 5 else 'wwn-%d' % n)
    assert db_api.count('volume', {'status': 'error'}) == 2
    assert db_api.count('volume', {'status': ['error', 'available']}) == 6
    assert [r['native_volume_id'] for r in db_api.list_rows(
        'volume', {'wwn': None})] == ['vol-005']
    assert db_api.find('volume', native_volume_id='vol-004')['name'] == \
        'volume 4'
    with pytest.raises(exception.InvalidInput):
        db_api.list_rows('volume', {'no_such_column': 1})
    with pytest.raises(exception.InvalidInput):
        db_api.list_rows('volume', sort=[('no_such_column', 'asc')])
    with pytest.raises(exception.InvalidInput):
        db_api.list_rows('volume', sort=[('name', 'sideways')])


def test_total_counts_every_match_not_the_page(database, make_storage):
    storage, other = make_storage(), make_storage()
    for n in range(7):
        _volume(storage, n)
    _volume(other, 1)
    rows, total = db_api.list_rows('volume', {'storage_id': storage['id']},
                                   limit=3, with_total=True)
    assert len(rows) == 3 and total == 7
    rows, total = db_api.list_rows('volume', {'storage_id': storage['id']},
                                   limit=3, offset=6, with_total=True)
    assert len(rows) == 1 and total == 7


def test_default_order_is_newest_first(database, make_storage):
    storage = make_storage()
    base = datetime.datetime(2024, 1, 1)
    for n in range(4):
        _volume(storage, n, created_at=base + datetime.timedelta(minutes=n))
    assert [r['native_volume_id'] for r in db_api.list_rows('volume')] == [
        'vol-003', 'vol-002', 'vol-001', 'vol-000']


def _walk(name, filters, sort, limit):
    """Every row, page by page with the marker."""
    out, marker = [], None
    while True:
        page = db_api.list_rows(name, filters, sort=sort, limit=limit,
                                marker=marker)
        out.extend(page)
        if len(page) < limit:
            return out
        marker = page[-1]['id']


def _expected(rows, sort):
    """``rows`` ordered as the repository documents: NULL sorts as the
    type's zero value ('' / 0), ties broken by id in the first direction."""
    keys = list(sort) + [('id', sort[0][1])]
    out = list(rows)
    for key, direction in reversed(keys):
        def value(r, key=key):
            v = r[key]
            if v is None:
                return 0 if key.endswith('capacity') else ''
            return v
        out.sort(key=value, reverse=(direction == 'desc'))
    return [r['id'] for r in out]


SORTS = [
    [('created_at', 'desc')],
    [('created_at', 'asc')],
    [('name', 'asc')],
    [('name', 'desc')],
    [('total_capacity', 'asc'), ('name', 'desc')],
    [('total_capacity', 'desc'), ('name', 'asc')],
    [('status', 'asc'), ('total_capacity', 'asc')],
]


@pytest.mark.parametrize('sort', SORTS,
                         ids=lambda s: ','.join('%s:%s' % kv for kv in s))
def test_marker_walk_visits_each_row_once_in_order(database, make_storage,
                                                   sort):
    storage, other = make_storage(), make_storage()
    base = datetime.datetime(2024, 1, 1)
    for n in range(23):
        # Repeated timestamps, names, capacities and NULLs on purpose.
        _volume(storage, n,
                created_at=base + datetime.timedelta(seconds=n // 4),
                name=None if n % 7 == 0 else 'name-%d' % (n % 5),
                total_capacity=None if n % 6 == 0 else (n % 4) * 100,
                status='error' if n % 2 else 'available')
    _volume(other, 99)
    filters = {'storage_id': storage['id']}
    rows = db_api.list_rows('volume', filters)
    walked = _walk('volume', filters, sort, limit=4)
    assert [r['id'] for r in walked] == _expected(rows, sort)
    assert len({r['id'] for r in walked}) == 23


def test_marker_of_a_missing_row_is_not_found(database, make_storage):
    _volume(make_storage(), 1)
    with pytest.raises(exception.VolumeNotFound):
        db_api.list_rows('volume', marker='no-such-id')


def test_marker_and_filters_combine(database, make_storage):
    storage = make_storage()
    for n in range(10):
        _volume(storage, n, status='error' if n % 2 else 'available')
    walked = _walk('volume', {'status': 'error'}, [('name', 'asc')], 2)
    assert [r['name'] for r in walked] == [
        'volume 1', 'volume 3', 'volume 5', 'volume 7', 'volume 9']


def test_new_ids_are_uuids_in_creation_order():
    import uuid
    ids = db_api.new_ids(5000) + [db_api.new_id() for _ in range(10)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {uuid.UUID(i).version for i in ids} == {7}


def test_joining_a_transaction(database, make_storage):
    storage = make_storage()
    with pytest.raises(RuntimeError):
        with db_engine.writer() as conn:
            db_api.create('volume', {
                'storage_id': storage['id'], 'native_volume_id': 'v'},
                conn=conn)
            assert db_api.count('volume', conn=conn) == 1
            raise RuntimeError('roll back')
    assert db_api.count('volume') == 0


def test_delete_where(database, make_storage):
    storage = make_storage()
    for n in range(5):
        _volume(storage, n, status='error' if n < 2 else 'available')
    assert db_api.delete_where('volume', status='error') == 2
    assert db_api.count('volume') == 3
    with pytest.raises(ValueError):
        db_api.delete_where('volume')


def test_every_table_is_reachable(database):
    for name in list(schema.TABLES) + ['access_info', 'alert_source']:
        assert db_api.count(name) == 0
