"""`store.prepare` and `store.normalise`, the per-trap part of the alert
store: the same rows, fingerprints and clear keys as their plain
statements (`store._normalise_loop`, `store.fingerprint`,
`store.clear_key`), and the same as always (stored fingerprints must not
change)."""
import random

from delfin.alert_manager import store

STORAGE = '5f1e8c2a-0d7b-4a51-9a39-2b6b0f7d9e11'
ALERT = {'alert_id': '1.3.6.1.4.1.32473.1.7', 'alert_name': 'Fake alert 7',
         'severity': 'Major', 'category': 'Fault', 'type': 'EquipmentAlarm',
         'sequence_number': 'abc', 'occur_time': 1700000000000,
         'description': 'd', 'recovery_advice': 'None',
         'resource_type': 'Storage', 'location': '192.0.2.1',
         'match_key': 'mk7'}


def reference_prepare(alert, storage=None):
    if storage is None:
        storage_id = alert['storage_id']
        storage = {k: alert.get(k) for k in store.STORAGE_FIELDS
                   if k in alert}
    else:
        storage_id = storage['storage_id']
    row = store._normalise_loop(alert)
    row['clear_key'] = store.clear_key(storage_id, row)
    return (storage_id, store.fingerprint(storage_id, row), row,
            alert.get('source'), storage)


def _random_alert(rnd):
    alert = {}
    for name in store.MODEL_FIELDS + ('source', 'storage_id', 'vendor'):
        pick = rnd.random()
        if pick < 0.15:
            continue
        if pick < 0.25:
            alert[name] = None
        elif pick < 0.3:
            alert[name] = ''
        elif pick < 0.4:
            alert[name] = rnd.randrange(-5, 2 * 10 ** 12)
        elif pick < 0.45:
            alert[name] = 'é' * rnd.choice([31, 32, 33, 255, 256, 1100])
        elif pick < 0.5:
            alert[name] = rnd.choice(['1.5', 'soon', 3.7, b'x'])
        else:
            alert[name] = '%s-%d' % (name, rnd.randrange(100))
    alert['storage_id'] = STORAGE
    return alert


def test_normalise_matches_the_loop_on_varied_alerts(monkeypatch):
    monkeypatch.setattr(store, 'now_ms', lambda: 42)
    rnd = random.Random(7)
    for _ in range(3000):
        alert = _random_alert(rnd)
        assert store.normalise(alert) == store._normalise_loop(alert)
        assert store.normalise(alert, 5) == store._normalise_loop(alert, 5)


def test_prepare_matches_its_plain_statement(monkeypatch):
    monkeypatch.setattr(store, 'now_ms', lambda: 42)
    rnd = random.Random(8)
    attrs = {'storage_id': STORAGE, 'storage_name': 'a', 'vendor': 'v',
             'model': 'm', 'serial_number': 's'}
    for _ in range(3000):
        alert = _random_alert(rnd)
        assert store.prepare(alert) == reference_prepare(alert)
        assert store.prepare(alert, attrs) == reference_prepare(alert, attrs)


def test_fingerprints_and_clear_keys_never_change():
    storage = {'storage_id': STORAGE}
    _, fp, row, _, _ = store.prepare(ALERT, storage)
    assert (fp, row['clear_key']) == (7341923537930496322,
                                      1357503121300776511)
    other = dict(ALERT, match_key=None, location=None, type='')
    _, fp, row, _, _ = store.prepare(other, storage)
    assert (fp, row['clear_key']) == (735342460259018373,
                                      -6560944623639730858)
    _, fp, row, _, _ = store.prepare({'storage_id': STORAGE,
                                      'description': 'x'})
    assert (fp, row['clear_key']) == (5233926473862254793, None)


def _rows_of(storage_id):
    from delfin.db import api as db_api
    rows = db_api.list_rows('alert', filters={'storage_id': storage_id})
    skip = {'id', 'storage_id', 'fingerprint', 'clear_key', 'created_at',
            'updated_at', 'cleared_at'}
    return sorted((sorted((k, v) for k, v in r.items() if k not in skip)
                   for r in rows), key=repr)


def test_new_rows_are_the_same_with_and_without_changes_to_report(
        database, make_storage):
    """SQLite builds the rows of a batch with nothing to report as tuples
    in column order, other batches through dicts: the same rows."""
    quiet, reported = make_storage(), make_storage()
    rnd = random.Random(9)
    alerts = []
    for n in range(60):
        alert = dict(ALERT, alert_id='1.3.6.1.4.1.32473.1.%d' % (n % 45),
                     occur_time=1700000000000 + n, description='n%d' % n)
        if rnd.random() < 0.2:
            alert.update(category='Recovery', match_key=None)
        if rnd.random() < 0.2:
            alert['clear_category'] = 'Automatic'
        alerts.append(alert)
    alert_store = store.AlertStore()
    counts = []
    for storage, report in ((quiet, False), (reported, True)):
        attrs = {'storage_id': storage['id']}
        result = alert_store.save_prepared(
            [store.prepare(a, attrs) for a in alerts], report=report)
        counts.append((result.new, result.repeated))
        assert bool(result.changes) is report
    assert counts[0] == counts[1]
    assert counts[0][0] > 45 and sum(counts[0]) == 60
    rows = _rows_of(quiet['id'])
    assert rows == _rows_of(reported['id'])
    assert len(rows) == counts[0][0]


def test_the_tuple_layout_of_new_rows_is_the_table_layout():
    assert store._INSERT_LAYOUT_KNOWN


def test_sqlite_inserts_use_statements_of_a_few_sizes(sqlite_database,
                                                      make_storage,
                                                      monkeypatch):
    storage = make_storage()
    attrs = {'storage_id': storage['id']}
    sizes = []
    insert = store.sqlite_batch.insert

    def recording(dbapi_conn, table, columns, rows):
        sizes.append(len(rows))
        return insert(dbapi_conn, table, columns, rows)
    monkeypatch.setattr(store.sqlite_batch, 'insert', recording)
    alert_store = store.AlertStore()
    total = 0
    for count in (1, 63, 64, 65, 130, 1023, 1024, 1100, 2200):
        alerts = [dict(ALERT, alert_id='%d.%d' % (count, n))
                  for n in range(count)]
        result = alert_store.save_prepared(
            [store.prepare(a, attrs) for a in alerts], report=False)
        assert result.new == count
        total += count
    assert len(_rows_of(storage['id'])) == total
    assert sum(sizes) == total
    for size in sizes:
        assert size < store._INSERT_STEP or (
            size % store._INSERT_STEP == 0 and size <= store._INSERT_BLOCK)
    assert sizes[:5] == [1, 63, 64, 64, 1]


def test_padded_in_lists_have_a_few_sizes():
    sizes = {store._padded_size(n) for n in range(1, store._CHUNK + 1)}
    assert sizes == {16, 32, 64, 128, 256, store._CHUNK}
    assert all(store._padded_size(n) >= n
               for n in range(1, store._CHUNK + 1))


def test_repeats_are_found_whatever_the_batch_size(
        sqlite_database, make_storage):
    storage = make_storage()
    attrs = {'storage_id': storage['id']}
    alert_store = store.AlertStore()
    alerts = [dict(ALERT, alert_id='a.%d' % n) for n in range(300)]
    alert_store.save_prepared([store.prepare(a, attrs) for a in alerts],
                              report=False)
    for count in (1, 17, 300):
        result = alert_store.save_prepared(
            [store.prepare(a, attrs) for a in alerts[:count]], report=False)
        assert (result.new, result.repeated) == (0, count)
