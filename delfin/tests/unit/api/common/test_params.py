"""Tests of list-parameter parsing."""
import pytest
import webob.multidict
from oslo_config import cfg

import delfin.conf  # noqa: F401
from delfin import exception
from delfin.api.common import params
from delfin.db import schema
from delfin.resources import registry

CONF = cfg.CONF
VOLUMES = schema.TABLES['volume']
VOLUME_FILTERS = registry.by_name('volume').filters


def _parse(query, **kw):
    md = webob.multidict.MultiDict(query)
    return params.parse(md, VOLUMES, VOLUME_FILTERS, **kw)


def test_defaults():
    p = _parse([])
    assert p.filters == {}
    assert p.sort == [('created_at', 'desc')]
    assert p.limit == CONF.api_max_limit
    assert p.offset == 0
    assert p.marker is None


def test_filters_of_the_kind_are_accepted():
    p = _parse([('name', 'v1'), ('status', 'available'),
                ('storage_id', 's')])
    assert p.filters == {'name': 'v1', 'status': 'available',
                         'storage_id': 's'}


def test_repeated_filter_matches_any_value():
    p = _parse([('status', 'available'), ('status', 'error')])
    assert p.filters == {'status': ['available', 'error']}


@pytest.mark.parametrize('name,value', [
    ('foo', 'x'), ('0', '['), ('description', 'x'), ('total_capacity', '5'),
    ('connection_status', 'x')])
def test_unknown_or_non_filter_parameter_is_ignored(name, value):
    # As Delfin does: the SODA dashboard sends parameters nobody knows.
    p = _parse([(name, value), ('status', 'available')])
    assert p.filters == {'status': 'available'}


def test_non_filter_field_with_a_value_of_the_wrong_type_is_400():
    with pytest.raises(exception.InvalidInput) as info:
        _parse([('total_capacity', 'x')])
    assert 'total_capacity' in str(info.value)


def test_known_parameter_with_a_bad_value_is_still_400():
    with pytest.raises(exception.InvalidInput) as info:
        _parse([('limit', 'many'), ('0', '[')])
    assert info.value.code == 400


def test_fixed_filter_wins_over_query_string():
    p = _parse([('storage_id', 'other')], fixed={'storage_id': 'mine'})
    assert p.filters == {'storage_id': 'mine'}


def test_boolean_filter_is_converted():
    table = schema.TABLES['storage']
    p = params.parse(webob.multidict.MultiDict([('deleted', 'false')]),
                     table, ('deleted',))
    assert p.filters == {'deleted': False}
    with pytest.raises(exception.InvalidInput):
        params.parse(webob.multidict.MultiDict([('deleted', 'maybe')]),
                     table, ('deleted',))


@pytest.mark.parametrize('value,expected', [
    ('0', 0), ('1', 1), ('999', 999), (str(10 ** 6), None)])
def test_limit_is_capped(value, expected):
    p = _parse([('limit', value)])
    assert p.limit == (CONF.api_max_limit if expected is None else expected)


@pytest.mark.parametrize('value', ['-1', 'abc', '1.5', ''])
def test_bad_limit_is_400(value):
    with pytest.raises(exception.InvalidInput):
        _parse([('limit', value)])


@pytest.mark.parametrize('value,ok', [
    ('0', True), ('2147483647', True), ('2147483648', False),
    ('-1', False), ('x', False)])
def test_offset_range(value, ok):
    if ok:
        assert _parse([('offset', value)]).offset == int(value)
    else:
        with pytest.raises(exception.InvalidInput):
            _parse([('offset', value)])


def test_sort_list_with_directions_closes_with_created_at():
    p = _parse([('sort', 'name:asc,status')])
    assert p.sort == [('name', 'asc'), ('status', 'desc'),
                      ('created_at', 'asc')]


def test_legacy_sort_key_and_dir():
    assert _parse([('sort_key', 'name'), ('sort_dir', 'asc')]).sort == [
        ('name', 'asc'), ('created_at', 'asc')]
    assert _parse([('sort_dir', 'asc')]).sort == [('created_at', 'asc')]


@pytest.mark.parametrize('query', [
    [('sort', 'nope')], [('sort', 'name:ASC')], [('sort', 'name:up')],
    [('sort_key', 'nope')], [('sort_dir', 'down')],
    [('sort', 'name'), ('sort_key', 'name')], [('sort', '')]])
def test_bad_sort_is_400(query):
    with pytest.raises(exception.InvalidInput):
        _parse(query)


def test_paging_parameter_given_twice_is_400():
    with pytest.raises(exception.InvalidInput):
        _parse([('limit', '1'), ('limit', '2')])


def test_marker_is_kept_and_empty_marker_ignored():
    assert _parse([('marker', 'abc')]).marker == 'abc'
    assert _parse([('marker', '')]).marker is None


def test_fixed_condition_that_is_no_filter_cannot_be_overridden():
    table = schema.TABLES['storage']
    p = params.parse(webob.multidict.MultiDict([('deleted', '1')]), table,
                     registry.STORAGE.filters, fixed={'deleted': False})
    assert p.filters == {'deleted': False}
