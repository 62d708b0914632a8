"""Tests of the generic view helpers."""
import datetime

from delfin.api.common import views
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
