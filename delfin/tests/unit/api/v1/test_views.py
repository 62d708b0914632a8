"""Tests of the storage and access-info views."""
import datetime

from delfin.api.v1 import views

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)


def test_storage_view_has_delfin_fields_only():
    row = {'id': 's', 'name': 'n', 'serial_number': 'sn', 'sync_status': 0,
           'deleted': 0, 'deleted_at': None, 'created_at': NOW,
           'updated_at': None, 'secret_column': 'x'}
    view = views.storage(row, 'SYNCING')
    assert set(view) == {
        'id', 'name', 'description', 'location', 'status', 'sync_status',
        'vendor', 'model', 'serial_number', 'firmware_version',
        'total_capacity', 'used_capacity', 'free_capacity', 'raw_capacity',
        'subscribed_capacity', 'deleted_at', 'deleted', 'created_at',
        'updated_at'}
    assert view['sync_status'] == 'SYNCING'
    assert view['deleted'] is False
    assert view['created_at'] == '2024-05-06T07:08:09.123456'


def test_storage_view_without_jobs_reads_the_column():
    assert views.storage({'id': 's', 'sync_status': 0})['sync_status'] == \
        'SYNCED'
    assert views.storage({'id': 's', 'sync_status': 3})['sync_status'] == \
        'SYNCING'


def test_access_info_view_hides_passwords():
    row = {
        'storage_id': 's', 'vendor': 'v', 'model': 'm',
        'rest': {'host': 'h', 'port': 1, 'username': 'u',
                 'password': 'enc-rest'},
        'ssh': {'host': 'h', 'port': 22, 'username': 'u',
                'password': 'enc-ssh', 'pub_key': 'AAA',
                'pub_key_type': 'ssh-rsa'},
        'cli': None, 'smis': None,
        'extra_attributes': {'zone': 'a', 'admin_password': 'x'},
        'created_at': NOW, 'updated_at': None,
    }
    view = views.access_info(row)
    assert view['rest'] == {'host': 'h', 'port': 1, 'username': 'u'}
    assert view['ssh'] == {'host': 'h', 'port': 22, 'username': 'u',
                           'pub_key': 'AAA', 'pub_key_type': 'ssh-rsa'}
    assert view['cli'] is None
    assert view['extra_attributes'] == {'zone': 'a'}
    assert 'enc-' not in repr(view)
    assert 'password' not in repr(view)


def test_storage_texts_are_kept_by_row_and_bounded():
    import json
    texts = views.StorageTexts(limit=4)
    columns = ('id', 'name', 'deleted')
    made = []
    for i in range(10):
        values = ('id-%d' % i, 'name-%d' % i, 0)
        text = texts.text(('sqlite', values), columns, values,
                          [None, None, bool], 'SYNCED')
        view = json.loads(text)
        assert (view['id'], view['name'], view['deleted'],
                view['sync_status']) == ('id-%d' % i, 'name-%d' % i, False,
                                         'SYNCED')
        made.append(text)
        assert len(texts._texts) <= 4
    # The same row gives the same text; another status another one.
    values = ('id-9', 'name-9', 0)
    assert texts.text(('sqlite', values), columns, values,
                      [None, None, bool], 'SYNCED') == made[-1]
    syncing = texts.text(('sqlite', values, 'SYNCING'), columns, values,
                         [None, None, bool], 'SYNCING')
    assert json.loads(syncing)['sync_status'] == 'SYNCING'
    # A value that cannot be a key is rendered all the same.
    odd = ('id-x', ['not', 'hashable'], 0)
    assert json.loads(texts.text(('sqlite', odd), columns, odd,
                                 [None, None, bool], 'SYNCED'))['name'] == \
        ['not', 'hashable']
