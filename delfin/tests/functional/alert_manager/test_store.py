"""The alert store on SQLite, PostgreSQL and MariaDB: de-duplication,
occurrence counts, clearing by recovery, reopening, reconciliation."""
import pytest

from delfin.alert_manager import store as alert_store
from delfin.common import constants
from delfin.db import api as db_api

T0 = 1700000000000


def fault(storage, n=1, t=T0, **values):
    alert = {'storage_id': storage['id'], 'alert_id': 'oid.%d' % n,
             'alert_name': 'Disk %d failed' % n, 'severity': 'Major',
             'category': 'Fault', 'type': 'EquipmentAlarm',
             'sequence_number': 'seq-%d-%d' % (n, t), 'occur_time': t,
             'description': 'disk %d at %d' % (n, t),
             'recovery_advice': 'replace it', 'resource_type': 'Disk',
             'location': 'disk_%d' % n, 'match_key': 'key-%d' % n,
             'storage_name': storage['name'], 'vendor': storage['vendor'],
             'model': storage['model'],
             'serial_number': storage['serial_number']}
    alert.update(values)
    return alert


def recovery(storage, n=1, t=T0 + 1000, **values):
    return fault(storage, n, t, category='Recovery', severity='Informational',
                 alert_name='Disk %d recovered' % n, **values)


def rows(storage=None, **filters):
    if storage is not None:
        filters['storage_id'] = storage['id']
    return db_api.list_rows('alert', filters=filters,
                            sort=[('occur_time', 'asc')])


@pytest.fixture
def store():
    return alert_store.AlertStore()


def test_new_alert_is_stored_open_with_one_occurrence(database, make_storage,
                                                      store):
    s = make_storage()
    result = store.save([fault(s)])
    assert (result.new, result.repeated) == (1, 0)
    [row] = rows(s)
    assert row['state'] == constants.AlertState.OPEN
    assert row['source'] == constants.AlertSourceType.TRAP
    assert row['occurrence_count'] == 1
    assert row['first_occur_time'] == row['last_occur_time'] == T0
    assert row['occur_time'] == T0
    assert row['alert_name'] == 'Disk 1 failed'
    assert row['created_at'] is not None and row['cleared_at'] is None
    [change] = result.changes
    assert change['change'] == alert_store.NEW
    assert change['id'] == row['id']
    assert change['storage_name'] == s['name']


def test_repeats_bump_one_row_within_and_across_batches(database,
                                                        make_storage, store):
    s = make_storage()
    store.save([fault(s, t=T0), fault(s, t=T0 + 5), fault(s, t=T0 + 2)])
    result = store.save([fault(s, t=T0 + 10), fault(s, t=T0 - 50)])
    assert (result.new, result.repeated) == (0, 2)
    assert result.changes == []
    [row] = rows(s)
    assert row['occurrence_count'] == 5
    assert row['first_occur_time'] == T0 - 50
    assert row['last_occur_time'] == T0 + 10
    # The episode started with the first stored occurrence.
    assert row['occur_time'] == T0
    # Per-occurrence details follow the latest occurrence, not a late one.
    assert row['sequence_number'] == 'seq-1-%d' % (T0 + 10)
    assert row['description'] == 'disk 1 at %d' % (T0 + 10)


def test_distinct_conditions_and_storages_get_distinct_rows(
        database, make_storage, store):
    s1, s2 = make_storage(), make_storage()
    store.save([fault(s1, 1), fault(s1, 2), fault(s2, 1),
                fault(s1, 1, severity='Critical')])
    assert len(rows(s1)) == 3
    assert len(rows(s2)) == 1


def test_recovery_clears_the_open_fault(database, make_storage, store):
    s = make_storage()
    store.save([fault(s, 1), fault(s, 2)])
    result = store.save([recovery(s, 1)])
    assert result.cleared == 1
    by_name = {r['alert_name']: r for r in rows(s)}
    assert by_name['Disk 1 failed']['state'] == 'cleared'
    assert by_name['Disk 1 failed']['cleared_at'] is not None
    assert by_name['Disk 2 failed']['state'] == 'open'
    # The recovery itself is kept, already cleared.
    assert by_name['Disk 1 recovered']['state'] == 'cleared'
    cleared = [c for c in result.changes if c['change'] == 'cleared']
    assert [c['alert_name'] for c in cleared] == ['Disk 1 failed']
    assert cleared[0]['serial_number'] == s['serial_number']


def test_recovery_without_match_key_uses_alert_id(database, make_storage,
                                                  store):
    s = make_storage()
    store.save([fault(s, 1, match_key=None)])
    store.save([recovery(s, 1, match_key=None)])
    assert rows(s, alert_name='Disk 1 failed')[0]['state'] == 'cleared'


def test_recovery_without_match_key_leaves_faults_that_have_one(
        database, make_storage, store):
    s = make_storage()
    store.save([fault(s, 1)])
    store.save([recovery(s, 1, match_key=None)])
    assert rows(s, alert_name='Disk 1 failed')[0]['state'] == 'open'


def test_recovery_matches_values_not_only_their_hash(database, make_storage,
                                                     store, monkeypatch):
    # Every clear key collides: only the fault with the recovery's own
    # storage and match key is cleared.
    monkeypatch.setattr(alert_store, 'clear_key', lambda storage_id, row: 7)
    s1, s2 = make_storage(), make_storage()
    store.save([fault(s1, 1), fault(s1, 2), fault(s2, 1)])
    result = store.save([recovery(s1, 1)])
    assert result.cleared == 1
    states = {(r['storage_id'], r['alert_name']): r['state']
              for r in rows() if r['category'] == 'Fault'}
    assert states == {(s1['id'], 'Disk 1 failed'): 'cleared',
                      (s1['id'], 'Disk 2 failed'): 'open',
                      (s2['id'], 'Disk 1 failed'): 'open'}


def test_fault_and_recovery_in_one_batch(database, make_storage, store):
    s = make_storage()
    result = store.save([fault(s, 1, t=T0), recovery(s, 1, t=T0 + 1)])
    assert rows(s, alert_name='Disk 1 failed')[0]['state'] == 'cleared'
    assert [c['change'] for c in result.changes].count('cleared') == 1


def test_older_recovery_leaves_a_newer_fault_open(database, make_storage,
                                                  store):
    s = make_storage()
    store.save([fault(s, 1, t=T0 + 5000)])
    store.save([recovery(s, 1, t=T0 + 1000)])
    assert rows(s, alert_name='Disk 1 failed')[0]['state'] == 'open'


def test_recovery_of_another_storage_clears_nothing(database, make_storage,
                                                    store):
    s1, s2 = make_storage(), make_storage()
    store.save([fault(s1, 1)])
    store.save([recovery(s2, 1)])
    assert rows(s1)[0]['state'] == 'open'


def test_cleared_alert_reopens_on_a_new_occurrence(database, make_storage,
                                                   store):
    s = make_storage()
    store.save([fault(s, 1, t=T0)])
    store.save([recovery(s, 1, t=T0 + 1000)])
    result = store.save([fault(s, 1, t=T0 + 60000)])
    assert result.reopened == 1
    [change] = result.changes
    assert change['change'] == alert_store.REOPENED
    row = rows(s, alert_name='Disk 1 failed')[0]
    assert row['state'] == 'open' and row['cleared_at'] is None
    assert row['occurrence_count'] == 2
    assert row['occur_time'] == T0 + 60000
    assert change['occurrence_count'] == 2


def test_clear_by_sequence_number(database, make_storage, store):
    s = make_storage()
    store.save([fault(s, 1), fault(s, 2)])
    changes = store.clear(s['id'], 'seq-1-%d' % T0, storage=s)
    assert [c['alert_name'] for c in changes] == ['Disk 1 failed']
    assert changes[0]['storage_name'] == s['name']
    assert rows(s, state='cleared')[0]['alert_name'] == 'Disk 1 failed'
    # Clearing again changes nothing.
    assert store.clear(s['id'], 'seq-1-%d' % T0) == []


def test_clear_ids_clears_only_open_alerts_of_the_storage(
        database, make_storage, store):
    s1, s2 = make_storage(), make_storage()
    store.save([fault(s1, 1), fault(s1, 2), fault(s2, 1)])
    ids = [r['id'] for r in rows()]
    changes = store.clear_ids(s1['id'], ids, storage=s1)
    assert sorted(c['alert_name'] for c in changes) == ['Disk 1 failed',
                                                        'Disk 2 failed']
    assert {r['state'] for r in rows(s1)} == {'cleared'}
    assert rows(s2)[0]['state'] == 'open'
    assert store.clear_ids(s1['id'], ids) == []


def test_only_newer_counts_only_new_occurrences(database, make_storage,
                                                store):
    s = make_storage()
    store.save([fault(s, 1, t=T0)])
    result = store.save([fault(s, 1, t=T0), fault(s, 2, t=T0)],
                        only_newer=True)
    assert (result.new, result.known, result.repeated) == (1, 1, 0)
    assert rows(s, alert_name='Disk 1 failed')[0]['occurrence_count'] == 1
    result = store.save([fault(s, 1, t=T0), fault(s, 1, t=T0 + 9)],
                        only_newer=True)
    assert (result.known, result.repeated) == (1, 1)
    row = rows(s, alert_name='Disk 1 failed')[0]
    assert (row['occurrence_count'], row['last_occur_time']) == (2, T0 + 9)


def test_query_filters_window_sort_and_marker(database, make_storage,
                                              store):
    s1, s2 = make_storage(), make_storage()
    store.save([fault(s1, n, t=T0 + n * 1000) for n in range(5)] +
               [fault(s2, 9, t=T0 + 2500, severity='Critical')])
    rows_, total = alert_store.query(
        filters={'storage_id': s1['id']}, begin_time=T0 + 1000,
        end_time=T0 + 3000, with_total=True)
    assert total == 3
    assert [r['occur_time'] for r in rows_] == [T0 + 3000, T0 + 2000,
                                                T0 + 1000]
    assert rows_[0]['storage_name'] == s1['name']
    page1 = alert_store.query(sort=[('occur_time', 'asc')], limit=2)
    page2 = alert_store.query(sort=[('occur_time', 'asc')], limit=2,
                              marker=page1[-1]['id'])
    assert [r['occur_time'] for r in page1 + page2] == [
        T0, T0 + 1000, T0 + 2000, T0 + 2500]
    assert [r['severity'] for r in alert_store.query(
        filters={'severity': ['Critical']})] == ['Critical']


def test_alerts_of_a_deleted_storage_are_dropped(database, make_storage,
                                                 store):
    s1, s2 = make_storage(), make_storage()
    gone = dict(s2)
    db_api.delete('storage', s2['id'])
    result = store.save([fault(s1, 1), fault(gone, 1), fault(gone, 2)])
    assert result.dropped == 2
    assert result.new == 1
    assert len(rows()) == 1


def test_poll_source_and_normalisation(database, make_storage, store):
    s = make_storage()
    store.save([{'storage_id': s['id'], 'alert_id': 'x',
                 'occur_time': 1700000000, 'location': 'l' * 5000,
                 'description': 'd' * 100000}],
               source=constants.AlertSourceType.POLL)
    [row] = rows(s)
    assert row['source'] == 'poll'
    assert row['occur_time'] == 1700000000000
    assert row['severity'] == 'NotSpecified'
    assert row['category'] == 'NotSpecified'
    assert row['resource_type'] == constants.DEFAULT_RESOURCE_TYPE
    assert len(row['location']) == 1024
    assert len(row['description']) == 100000


def test_large_batch(database, make_storage, store):
    s = make_storage()
    batch = [fault(s, n % 1500, t=T0 + n) for n in range(3000)]
    result = store.save(batch, report=False)
    assert (result.new, result.repeated) == (1500, 1500)
    assert result.changes == []
    assert db_api.count('alert', {'storage_id': s['id']}) == 1500
    result = store.save(batch)
    assert result.repeated == 3000
    assert {r['occurrence_count'] for r in rows(s)} == {4}
