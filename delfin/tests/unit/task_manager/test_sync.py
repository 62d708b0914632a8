"""Validation of driver items, chunk digests and classification of backend
errors."""
import dataclasses
import datetime
import socket

import pytest

from delfin import exception
from delfin.resources import registry
from delfin.task_manager import sync


def _volume(**values):
    item = {'native_volume_id': 'v1', 'name': 'one', 'status': 'available',
            'type': 'thin', 'total_capacity': 10, 'compressed': True}
    item.update(values)
    return item


@pytest.fixture
def validate():
    return sync.validator(registry.by_name('volume'))


def test_values_in_column_order(validate):
    values = validate(_volume())
    row = dict(zip(registry.by_name('volume').field_names, values))
    assert row['native_volume_id'] == 'v1' and row['total_capacity'] == 10
    assert row['wwn'] is None and row['compressed'] is True


@pytest.mark.parametrize('field,given,stored', [
    ('total_capacity', '1024', 1024),
    ('total_capacity', 1024.0, 1024),
    ('total_capacity', ' 12.6 ', 13),
    ('total_capacity', True, 1),
    ('compressed', 'false', False),
    ('compressed', 1, True),
    ('name', 42, '42'),
    ('native_volume_id', 7, '7'),
])
def test_values_are_read_as_the_field_type(validate, field, given, stored):
    row = dict(zip(validate.names, validate(_volume(**{field: given}))))
    assert row[field] == stored and type(row[field]) is type(stored)


@pytest.mark.parametrize('field,given,stored', [
    ('status', 'melted', 'melted'),
    ('status', 3, '3'),
    ('type', 'vendor-special', 'vendor-special'),
])
def test_values_outside_the_vocabulary_are_kept_and_named(validate, field,
                                                          given, stored):
    values, unknown = validate.check(_volume(**{field: given}))
    assert dict(zip(validate.names, values))[field] == stored
    assert unknown == [(field, stored)]
    assert validate(_volume(**{field: given})) == values
    assert validate.fast(_volume(**{field: given})) is None
    assert validate.check(_volume()) == (validate(_volume()), None)


@pytest.mark.parametrize('field,given,message', [
    ('total_capacity', 'big', "'total_capacity'"),
    ('total_capacity', float('nan'), 'not a number'),
    ('total_capacity', -2 ** 63 - 1, 'out of range'),
    ('compressed', 'perhaps', 'expected a boolean'),
    ('name', {'a': 1}, 'expected a string'),
    ('name', 'n' * 256, 'longer than 255'),
    ('native_volume_id', '', "'native_volume_id' is required"),
    ('native_volume_id', None, "'native_volume_id' is required"),
])
def test_invalid_values_are_explained(validate, field, given, message):
    with pytest.raises(sync.InvalidItem) as info:
        validate(_volume(**{field: given}))
    assert message in str(info.value)
    assert str(info.value).startswith('Invalid volume ')
    assert (info.value.field, info.value.value) == (field, given) or \
        given != given   # NaN
    assert info.value.native_id == (None if field == 'native_volume_id'
                                    else 'v1')


def test_not_a_dict(validate):
    with pytest.raises(sync.InvalidItem) as info:
        validate(['v1'])
    assert 'expected a dict' in str(info.value)
    assert info.value.native_id is None


def test_identity_is_read_as_the_row_keys_it():
    volume = sync.validator(registry.by_name('volume'))
    assert volume.identity(_volume(native_volume_id=7)) == '7'
    assert volume.identity(_volume(native_volume_id='')) is None
    assert volume.identity(_volume(native_volume_id=[1])) is None
    assert volume.identity('v1') is None
    rel = sync.validator(registry.by_name('storage_host_grp_host_rel'))
    assert rel.identity({'native_storage_host_group_id': 'g',
                         'native_storage_host_id': 'h'}) == ('g', 'h')
    assert rel.identity({'native_storage_host_group_id': 'g'}) is None


def test_unknown_keys_and_storage_id_are_ignored(validate):
    assert validate(_volume(storage_id='x', extra=1)) == validate(_volume())


def test_fast_and_general_paths_agree():
    # Every kind: an item of canonical values takes the fast path and
    # gives what the general path gives.
    for kind in registry.ALL_KINDS:
        v = sync.validator(kind)
        item = {}
        for f in kind.fields:
            if f.enum:
                item[f.name] = f.enum[0]
            elif f.type in (registry.INTEGER, registry.BIGINT):
                item[f.name] = 5
            elif f.type == registry.BOOLEAN:
                item[f.name] = False
            elif f.type == registry.DATETIME:
                item[f.name] = datetime.datetime(2024, 1, 2, 3, 4, 5)
            elif f.type == registry.JSON:
                item[f.name] = {'k': [1]}
            else:
                item[f.name] = 'x'
        fast = v.fast(item)
        assert fast == v.check(item)[0], kind.name
        if all(f.type != registry.JSON for f in kind.fields):
            assert fast is not None, kind.name


def test_datetimes_become_naive_utc():
    # No inventory kind has a datetime field today; the conversion is
    # still part of the contract for new kinds.
    field = registry.Field('when', type=registry.DATETIME)
    aware = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    to_datetime = sync.validation._to_datetime
    assert to_datetime(aware, field) == datetime.datetime(2024, 1, 1, 10)
    assert to_datetime('2024-01-01T10:00:00Z', field) == \
        datetime.datetime(2024, 1, 1, 10)
    assert to_datetime(1704103200000, field) == \
        datetime.datetime(2024, 1, 1, 10)


@pytest.mark.parametrize('error,status', [
    (exception.ConnectTimeout(), 'offline'),
    (exception.SSHConnectTimeout(), 'offline'),
    (exception.InvalidIpOrPort(), 'offline'),
    (ConnectionResetError(), 'offline'),
    (socket.timeout(), 'offline'),
    (OSError(113, 'No route to host'), 'offline'),
    (exception.InvalidUsernameOrPassword(), 'abnormal'),
    (exception.InvalidCredential(), 'abnormal'),
    (type('AuthenticationException', (Exception,), {})(), 'abnormal'),
    (exception.StorageBackendException('boom'), None),
    (ValueError('bug'), None),
    (FileNotFoundError('missing ca file'), None),
])
def test_backend_status_of_errors(error, status):
    assert sync.backend_status(error) == status


# -- chunk digests ------------------------------------------------------------

def _volumes(count):
    return [{'native_volume_id': 'vol-%d' % n, 'name': 'volume %d' % n,
             'total_capacity': 100 * n, 'compressed': n % 2 == 0,
             'description': None} for n in range(count)]


def test_chunk_digest_depends_on_content_not_on_object_identity():
    key = sync.kind_signature(registry.by_name('volume'))
    one = _volumes(3)
    # Equal values built separately (no string shared with ``one``).
    two = [{k: (''.join(list(v)) if isinstance(v, str) else v)
            for k, v in item.items()} for item in _volumes(3)]
    assert sync.chunk_digest(key, one) == sync.chunk_digest(key, two)
    assert len(sync.chunk_digest(key, one)) == 32


@pytest.mark.parametrize('change', [
    lambda items: items[1].update(name='volume 1 '),
    lambda items: items[1].update(total_capacity=100.0),
    lambda items: items[1].update(total_capacity='100'),
    lambda items: items[0].update(compressed=1),
    lambda items: items[2].update(description=''),
    lambda items: items[2].pop('description'),
    lambda items: items.reverse(),
    lambda items: items.pop(),
    lambda items: items[0].update(extra=[1, 2]),
])
def test_chunk_digest_tells_every_change_apart(change):
    key = sync.kind_signature(registry.by_name('volume'))
    items = _volumes(3)
    before = sync.chunk_digest(key, items)
    change(items)
    assert sync.chunk_digest(key, items) != before


def test_chunk_digest_of_values_without_an_exact_form_is_none():
    class Name(str):
        pass
    key = sync.kind_signature(registry.by_name('volume'))
    for value in (datetime.datetime(2024, 1, 1), Name('volume 1'),
                  object()):
        items = _volumes(2)
        items[1]['name'] = value
        assert sync.chunk_digest(key, items) is None


def test_kind_signature_follows_the_kind_and_the_digest_version(
        monkeypatch):
    volume = registry.by_name('volume')
    pool = registry.by_name('storage_pool')
    first = sync.kind_signature(volume)
    assert first == sync.kind_signature(volume)
    assert first != sync.kind_signature(pool)
    longer = dataclasses.replace(volume, fields=volume.fields + (
        registry.Field('extra'),))
    assert sync.kind_signature(longer) != first
    items = _volumes(2)
    assert sync.chunk_digest(first, items) != sync.chunk_digest(
        sync.kind_signature(pool), items)
    monkeypatch.setattr(sync.digests, 'DIGEST_VERSION',
                        sync.DIGEST_VERSION + 1)
    assert sync.kind_signature(volume) != first


def test_chunk_digest_of_a_cycle_is_none():
    key = sync.kind_signature(registry.by_name('volume'))
    items = _volumes(2)
    items[1]['name'] = items
    assert sync.chunk_digest(key, items) is None
