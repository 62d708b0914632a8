"""Tests of the Prometheus series store
(delfin.telemetry.exporters.prometheus)."""
import gc
import tracemalloc

from prometheus_client import parser

from delfin.common import constants
from delfin.telemetry import batch as batch_mod
from delfin.telemetry.exporters import prometheus

MIN = 60000
STORAGE = {'id': 's1', 'name': 'array', 'serial_number': 'SN1'}
METRICS = ('iops', 'readIops', 'writeIops', 'throughput', 'readThroughput',
           'writeThroughput', 'responseTime', 'readResponseTime',
           'writeResponseTime', 'cacheHitRatio')


def _stream(volumes, ts=MIN):
    for n in range(volumes):
        rid = 'volume-%06d' % n
        labels = {'storage_id': 's1', 'resource_type': 'volume',
                  'resource_id': rid, 'resource_name': rid, 'type': 'RAW',
                  'unit': 'IOPS', 'value_type': 'gauge'}
        for j, name in enumerate(METRICS):
            yield constants.metric_struct(name, labels, {ts: float(n + j)})


def _exposed(store):
    text = b''.join(store.text()).decode()
    return {(s.name, s.labels['resource_id']): (s.value, s.timestamp)
            for f in parser.text_string_to_metric_families(text)
            for s in f.samples}


def test_the_store_takes_tens_of_bytes_a_series():
    store = prometheus.SeriesStore()
    volumes = 2000
    tracemalloc.start()
    try:
        builder = batch_mod.Builder(extra={'storage_id': 's1'})
        store.update(builder.add_all(_stream(volumes)).batch(STORAGE, 0,
                                                             MIN))
        del builder
        for chunk in store.text():
            pass
        del chunk
        gc.collect()
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    series = volumes * len(METRICS)
    assert store.series_count() == series
    # The latest value and time of each series and the labels of each
    # resource once (its ids included), not a Python object per series.
    assert kept / series < 64, kept / series


def test_a_series_without_a_new_sample_keeps_its_latest():
    store = prometheus.SeriesStore()
    labels = {'resource_type': 'volume', 'resource_id': 'v1',
              'unit': 'IOPS'}
    store.update(batch_mod.Batch(STORAGE, [
        constants.metric_struct('iops', labels, {MIN: 1.0}),
        constants.metric_struct('readIops', labels, {MIN: 2.0})], 0, MIN))
    store.update(batch_mod.Batch(STORAGE, [
        constants.metric_struct('iops', labels, {}),
        constants.metric_struct('readIops', labels,
                                {3 * MIN: 4.0, 2 * MIN: 3.0})],
        MIN, 3 * MIN))
    assert _exposed(store) == {
        ('volume_iops', 'v1'): (1.0, 60.0),
        ('volume_readIops', 'v1'): (4.0, 180.0)}
    assert store.series_count() == 2
    # Found where it is when the batch's order changed.
    store.update(batch_mod.Batch(STORAGE, [
        constants.metric_struct('readIops', labels, {}),
        constants.metric_struct('iops', labels, {})], 3 * MIN, 4 * MIN))
    assert _exposed(store) == {
        ('volume_iops', 'v1'): (1.0, 60.0),
        ('volume_readIops', 'v1'): (4.0, 180.0)}
    # A series never sampled is not exposed.
    store.update(batch_mod.Batch(STORAGE, [
        constants.metric_struct('writeIops', labels, {})], 4 * MIN,
        5 * MIN))
    assert _exposed(store) == {}
    assert store.series_count() == 0


def test_series_of_a_forgotten_storage_disappear():
    store = prometheus.SeriesStore()
    store.update(batch_mod.Batch(STORAGE, list(_stream(2)), 0, MIN))
    store.update(batch_mod.Batch(dict(STORAGE, id='s2'), list(_stream(1)),
                                 0, MIN))
    assert store.series_count() == 3 * len(METRICS)
    store.forget('s1')
    assert store.series_count() == len(METRICS)
    assert {rid for _name, rid in _exposed(store)} == {'volume-000000'}


def test_a_series_given_twice_in_a_window_is_exposed_once():
    store = prometheus.SeriesStore()
    labels = {'resource_type': 'volume', 'resource_id': 'v1',
              'unit': 'IOPS'}
    same = dict(labels)
    store.update(batch_mod.Batch(STORAGE, [
        constants.metric_struct('iops', labels, {MIN: 1.0}),
        constants.metric_struct('readIops', labels, {MIN: 5.0}),
        # The same series again (an equal labels dict), newer, then older.
        constants.metric_struct('iops', same, {2 * MIN: 2.0}),
        constants.metric_struct('iops', labels, {MIN // 2: 0.5}),
        # A metric of another name is another series.
        constants.metric_struct('writeIops', same, {MIN: 7.0})], 0,
        2 * MIN))
    text = b''.join(store.text()).decode()
    assert text.count('volume_iops{') == 1, text
    assert _exposed(store) == {
        ('volume_iops', 'v1'): (2.0, 120.0),
        ('volume_readIops', 'v1'): (5.0, 60.0),
        ('volume_writeIops', 'v1'): (7.0, 60.0)}
    assert store.series_count() == 3
    # prometheus_client's own rendering of the store agrees.
    families = {f.name: f.samples for f in store.collect()}
    assert len(families['volume_iops']) == 1
    # One sample a series, given twice: the batch's own columns are left
    # as they are for the other exporters.
    batch = batch_mod.Batch(STORAGE, [
        constants.metric_struct('iops', labels, {3 * MIN: 3.0}),
        constants.metric_struct('iops', same, {4 * MIN: 4.0})], 2 * MIN,
        4 * MIN)
    store.update(batch)
    assert list(batch.timestamps) == [3 * MIN, 4 * MIN]
    assert _exposed(store) == {('volume_iops', 'v1'): (4.0, 240.0)}
