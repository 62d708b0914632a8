"""Tools: conversions with the exact semantics drivers written for Delfin
rely on."""
import inspect
import os
import time

import pytest

from delfin.drivers.utils.tools import Tools

PATTERN = '%Y-%m-%d %H:%M:%S'


@pytest.fixture
def shanghai_time(monkeypatch):
    """Run with the host in UTC+8 (no daylight saving)."""
    if not os.path.exists('/usr/share/zoneinfo/Asia/Shanghai') \
            and os.environ.get('CI') != 'true':
        pytest.skip('time zone data (tzdata) is not installed')
    monkeypatch.setenv('TZ', 'Asia/Shanghai')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_time_methods_are_instance_methods_the_rest_static():
    for name in ('time_str_to_timestamp', 'timestamp_to_time_str'):
        assert not isinstance(inspect.getattr_static(Tools, name),
                              staticmethod)
    for name in ('timestamp_to_utc_time_str', 'change_capacity_to_bytes',
                 'get_capacity_size', 'split_value_map_list',
                 'get_numbers_in_brackets', 'remove_file_with_same_type',
                 'get_remote_file_to_xml'):
        assert isinstance(inspect.getattr_static(Tools, name), staticmethod)
    # Called on the class, an instance method misses an argument.
    with pytest.raises(TypeError):
        Tools.time_str_to_timestamp('2021-01-01 00:00:00', PATTERN)


def test_time_str_to_timestamp_uses_local_time(shanghai_time):
    assert Tools().time_str_to_timestamp('2021-01-01 08:00:00', PATTERN) \
        == 1609459200000


def test_timestamp_to_time_str_uses_local_time(shanghai_time):
    assert Tools().timestamp_to_time_str(1609459200000, PATTERN) \
        == '2021-01-01 08:00:00'
    assert Tools().timestamp_to_time_str(1609459200500, '%H:%M:%S') \
        == '08:00:00'


def test_timestamp_to_utc_time_str_ignores_local_time(shanghai_time):
    assert Tools.timestamp_to_utc_time_str(1609459200000, PATTERN) \
        == '2021-01-01 00:00:00'
    assert Tools.timestamp_to_utc_time_str(1609459200000, '%Y%Z%z') \
        == '2021'


@pytest.mark.parametrize('empty', ['', None])
def test_empty_time_text_gives_empty_string(empty):
    assert Tools().time_str_to_timestamp(empty, PATTERN) == ''


@pytest.mark.parametrize('empty', [0, None])
def test_empty_timestamp_gives_empty_string(empty):
    assert Tools().timestamp_to_time_str(empty, PATTERN) == ''
    assert Tools.timestamp_to_utc_time_str(empty, PATTERN) == ''


def test_time_text_not_matching_the_pattern_raises():
    with pytest.raises(ValueError):
        Tools().time_str_to_timestamp('01/01/2021', PATTERN)


@pytest.mark.parametrize('unit, expected', [
    ('TB', 2 ** 40), ('gb', 2 ** 30), ('Mb', 2 ** 20), ('KB', 2 ** 10),
    ('B', 1), ('PB', 1), ('', 1),
])
def test_change_capacity_to_bytes(unit, expected):
    value = Tools.change_capacity_to_bytes(unit)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize('text, expected', [
    ('10GB', 10737418240.0),
    ('1.5TB', 1649267441664.0),
    ('1 GB', 1073741824.0),
    ('512', 512.0),
    ('2kb', 2048.0),
    # The unit is always two characters wide.
    ('100B', 10.0),
    ('100K', 10.0),
])
def test_get_capacity_size(text, expected):
    value = Tools.get_capacity_size(text)
    assert value == expected and isinstance(value, float)


@pytest.mark.parametrize('empty', ['', None, '-', '0B'])
def test_get_capacity_size_of_nothing_is_int_zero(empty):
    value = Tools.get_capacity_size(empty)
    assert value == 0 and isinstance(value, int)


def test_get_capacity_size_of_non_numbers_raises():
    with pytest.raises(ValueError):
        Tools.get_capacity_size('lotsGB')


def test_split_value_map_list_records_and_keys():
    text = ('Name: array 1\r\nSerial Number: SN-1\r\nLabel: a: b\r\n'
            'Comment: ""x""\r\nLonely line\r\n\r\n\r\n'
            'Name: array 2\r\nFree Capacity: 10GB')
    records = []
    result = Tools.split_value_map_list(text, records)
    assert result is records
    assert records == [
        {'Name': 'array 1', 'SerialNumber': 'SN-1', 'Label': 'b',
         'Comment': 'x'},
        {'Name': 'array 2', 'FreeCapacity': '10GB'},
    ]


def test_split_value_map_list_appends_to_given_list():
    records = [{'kept': '1'}]
    Tools.split_value_map_list('a: 1', records)
    assert records == [{'kept': '1'}, {'a': '1'}]


def test_split_value_map_list_only_splits_on_crlf():
    # A bare LF does not end the line: the text has three pieces and the
    # value is the last one.
    records = Tools.split_value_map_list('a: 1\nb: 2', [])
    assert records == [{'a': '2'}]


def test_split_value_map_list_mapping_keeps_lone_lines():
    records = Tools.split_value_map_list('Header Line\r\na: 1', [],
                                         is_mapping=True)
    assert records == [{'HeaderLine': '', 'a': '1'}]


def test_split_value_map_list_alert_continues_values():
    text = ('Id: 7\r\nDescription: disk 3\r\n failed in shelf 2\r\n'
            'and was replaced\r\n12 entries\r\nSeverity: Major')
    records = Tools.split_value_map_list(text, [], is_alert=True)
    assert records == [{'Id': '7',
                        'Description': 'disk 3 failed in shelf 2'
                                       'and was replaced',
                        'Severity': 'Major'}]


def test_split_value_map_list_custom_separator():
    records = Tools.split_value_map_list('a= 1\r\nb = 2', [], split='=')
    assert records == [{'a': '1', 'b': '2'}]


def test_get_numbers_in_brackets():
    assert Tools.get_numbers_in_brackets('collect time (1583012100)',
                                         r'\(\d+\)') == '1583012100'
    assert Tools.get_numbers_in_brackets('no numbers', r'\(\d+\)') == ''


@pytest.mark.parametrize('trailing_slash', [True, False])
def test_remove_file_with_same_type(tmp_path, trailing_slash):
    for name in ('Nv_stats_node1_210101', 'Nv_stats_node1_210102',
                 'Nm_stats_node1_210101', 'other'):
        (tmp_path / name).write_text('x')
    (tmp_path / 'dir_Nv_stats_node1').mkdir()
    path = str(tmp_path) + ('/' if trailing_slash else '')
    Tools.remove_file_with_same_type('Nv_stats_node1_210103', path)
    assert sorted(os.listdir(tmp_path)) == ['Nm_stats_node1_210101',
                                            'dir_Nv_stats_node1', 'other']


def test_remove_file_with_same_type_needs_three_parts(tmp_path):
    with pytest.raises(IndexError):
        Tools.remove_file_with_same_type('short_name', str(tmp_path))
