"""Tests of the columnar batch and its builder (delfin.telemetry.batch)."""
import array
import gc
import types

from delfin.common import constants
from delfin.telemetry import batch as batch_mod

MIN = 60000
STORAGE = {'id': 's1', 'name': 'array', 'serial_number': 'SN1'}
EXTRA = {'storage_id': 's1', 'storage_name': 'array', 'storage_sn': 'SN1'}
DEFAULTS = {'type': 'RAW', 'value_type': 'gauge'}


def _volume(rid, unit='IOPS'):
    return {'resource_type': 'volume', 'resource_id': rid, 'unit': unit}


def _stream(volumes, stamps, metrics=('iops', 'readIops')):
    """A driver's answer as a generator: the metrics of a volume share its
    labels dict."""
    for n in range(volumes):
        labels = _volume('v%d' % n)
        for j, name in enumerate(metrics):
            yield constants.metric_struct(
                name, labels, {ts: float(n + j + ts // MIN)
                               for ts in stamps})


def _build(answer, seen=None, floor=None):
    builder = batch_mod.Builder(extra=EXTRA, defaults=DEFAULTS, seen=seen,
                                floor=floor,
                                wanted={'volume': {'iops': {}}})
    builder.add_all(answer)
    return builder.batch(STORAGE, 0, 10 * MIN), builder.seen


def _samples(batch):
    return [(m.labels['resource_id'], m.name, ts, v)
            for m in batch.metrics for ts, v in m.values.items()]


def test_a_generator_answer_becomes_columns():
    answer = _stream(3, [MIN, 2 * MIN])
    assert isinstance(answer, types.GeneratorType)
    batch, _seen = _build(answer)
    assert batch.series_count == 6
    assert batch.sample_count == 12
    # Each resource's labels once, each metric name once.
    assert len(batch.resources) == 3
    assert batch.metric_names == ['iops', 'readIops']
    assert isinstance(batch.timestamps, array.array)
    assert isinstance(batch.values, array.array)
    assert list(batch.series_end) == [2, 4, 6, 8, 10, 12]
    assert not batch.one_sample_each


def test_metrics_are_a_lazy_view_in_delfins_shape():
    batch, _seen = _build(_stream(2, [MIN, 2 * MIN]))
    view = batch.metrics
    assert not isinstance(view, list)
    assert len(view) == 4
    series = list(view)
    assert all(isinstance(m, constants.metric_struct) for m in series)
    first = series[0]
    assert first.name == 'iops'
    assert first.values == {MIN: 1.0, 2 * MIN: 2.0}
    # The driver's labels with the storage's and the defaults.
    assert first.labels == dict(_volume('v0'), type='RAW',
                                value_type='gauge', **EXTRA)
    # The metrics of a resource share one labels dict, as a driver's do.
    assert series[1].labels is first.labels
    assert series[2].labels is not first.labels
    assert view[-1] == series[-1]
    assert view[1:3] == series[1:3]
    # Made from the columns each time: the batch keeps no structs.
    assert not any(isinstance(o, constants.metric_struct)
                   for o in gc.get_referents(batch.__dict__))


def test_a_batch_from_a_list_of_structs_keeps_them_as_they_are():
    metrics = [constants.metric_struct('iops', _volume('v1'), {MIN: 2}),
               constants.metric_struct('iops', _volume('v2'), {})]
    batch = batch_mod.Batch(STORAGE, metrics, 0, MIN)
    assert list(batch.metrics) == [
        constants.metric_struct('iops', _volume('v1'), {MIN: 2.0}),
        constants.metric_struct('iops', _volume('v2'), {})]
    assert batch.sample_count == 1
    assert (batch.storage, batch.start, batch.end) == (STORAGE, 0, MIN)


def test_several_samples_of_a_series_in_overlapping_windows_pass_once():
    first, seen = _build(_stream(2, range(MIN, 11 * MIN, MIN)),
                         floor=None)
    assert first.sample_count == 2 * 2 * 10
    assert seen.newest('volume', 'v1', 'iops') == 10 * MIN
    # The next window overlaps the first by a minute.
    second, seen2 = _build(_stream(2, range(10 * MIN, 21 * MIN, MIN)),
                           seen=seen, floor=10 * MIN)
    assert second.sample_count == 2 * 2 * 10
    assert not set(_samples(first)) & set(_samples(second))
    assert {ts for _r, _m, ts, _v in _samples(second)} == set(
        range(11 * MIN, 21 * MIN, MIN))
    assert seen2.newest('volume', 'v0', 'readIops') == 20 * MIN


def test_samples_the_backend_stamped_late_are_not_lost():
    """The backend's clock is behind: the newest sample seen of a series
    is before the end of the window, and wins over it."""
    _batch, seen = _build(_stream(1, [8 * MIN, 9 * MIN]), floor=None)
    again, _seen = _build(_stream(1, [9 * MIN, 10 * MIN]), seen=seen,
                          floor=10 * MIN)
    assert {ts for _r, _m, ts, _v in _samples(again)} == {10 * MIN}


def test_a_series_without_a_new_sample_is_still_there():
    _batch, seen = _build(_stream(1, [MIN]))
    again, seen2 = _build(_stream(1, [MIN]), seen=seen, floor=MIN)
    assert again.sample_count == 0
    assert [m.values for m in again.metrics] == [{}, {}]
    assert again.empty_series == 2
    # What was seen stays seen.
    assert seen2.newest('volume', 'v0', 'iops') == MIN


def test_seen_keeps_the_series_of_the_last_answer_in_arrays():
    _batch, seen = _build(_stream(100, [MIN]))
    assert seen.series_count() == 200
    table = seen.tables['volume']
    # A column per metric asked for; one not asked for is kept aside.
    assert isinstance(table.newest, array.array)
    assert len(table.newest) == 100
    assert len(table.other) == 100
    # A resource gone from the answer is forgotten.
    _batch, seen2 = _build(_stream(10, [2 * MIN]), seen=seen, floor=MIN)
    assert seen2.series_count() == 20
    assert seen2.newest('volume', 'v50', 'iops') is None


def test_labels_dicts_of_a_long_answer_are_not_all_kept():
    """Labels dicts are known by identity for a while only; a dict that a
    driver frees cannot be mistaken for a new one with its id."""
    batch, _seen = _build(_stream(3 * batch_mod._RECENT, [MIN]))
    assert len(batch.resources) == 3 * batch_mod._RECENT
    ids = {m.labels['resource_id'] for m in batch.metrics}
    assert len(ids) == 3 * batch_mod._RECENT


def test_samples_that_are_not_numbers_are_left_out():
    metrics = [constants.metric_struct(
        'iops', _volume('v1'), {MIN: 'n/a', 2 * MIN: '3.5', 'later': 1.0,
                                str(3 * MIN): None})]
    builder = batch_mod.Builder()
    builder.add_all(metrics)
    batch = builder.batch(STORAGE, 0, 3 * MIN)
    assert list(batch.metrics)[0].values == {2 * MIN: 3.5}
    assert builder.rejected == 3


def test_a_label_value_that_cannot_be_hashed_is_kept():
    labels = dict(_volume('v1'), tags=['gold', 'db'])
    batch = batch_mod.Batch(STORAGE, [
        constants.metric_struct('iops', labels, {MIN: 1.0}),
        constants.metric_struct('readIops', labels, {MIN: 2.0})], 0, MIN)
    assert [m.labels for m in batch.metrics] == [labels, labels]
    assert batch.sample_count == 2
