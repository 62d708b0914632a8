"""The alert time-window filter and the storage attributes of alerts."""
import pytest

from delfin.common import alert_util

BEGIN, END = 1600000000000, 1600000100000


@pytest.mark.parametrize('query_para, occur_time, expected', [
    (None, 5, True),
    ({}, 5, True),
    ({'begin_time': BEGIN, 'end_time': END}, BEGIN, True),
    ({'begin_time': BEGIN, 'end_time': END}, END, True),
    ({'begin_time': BEGIN, 'end_time': END}, BEGIN - 1, False),
    ({'begin_time': BEGIN, 'end_time': END}, END + 1, False),
    ({'begin_time': str(BEGIN), 'end_time': str(END)}, BEGIN + 1, True),
    ({'begin_time': BEGIN}, BEGIN + 10 ** 9, True),
    ({'begin_time': BEGIN}, BEGIN - 1, False),
    ({'end_time': END}, 0, True),
    ({'end_time': END}, END + 1, False),
    # Non-numeric bounds: the filter gives up and keeps the alert.
    ({'begin_time': 'yesterday'}, 5, True),
    ({'begin_time': BEGIN, 'end_time': 'later'}, 5, True),
    # A query without usable bounds keeps nothing.
    ({'limit': 10}, 5, False),
    ({'begin_time': 0, 'end_time': None}, 5, False),
])
def test_is_alert_in_time_range(query_para, occur_time, expected):
    assert alert_util.is_alert_in_time_range(query_para, occur_time) \
        is expected


def test_fill_storage_attributes():
    storage = {'id': 'sid', 'name': 'array-1', 'vendor': 'acme',
               'model': 'm1', 'serial_number': 'SN1', 'status': 'normal'}
    alert = {'alert_id': '42'}
    result = alert_util.fill_storage_attributes(alert, storage)
    assert result is alert
    assert alert == {'alert_id': '42', 'storage_id': 'sid',
                     'storage_name': 'array-1', 'vendor': 'acme',
                     'model': 'm1', 'serial_number': 'SN1'}
