"""A batch: the samples of one collection window of one storage, in
columns.

A driver answers ``constants.metric_struct`` series (a name, a labels
dict, ``{epoch ms: value}``), usually one labels dict shared by the
metrics of a resource.  A million of them as Python objects are over half
a gigabyte, so a `Batch` keeps them as:

* ``resources``: the label values of each resource once, a tuple in the
  key order of its `Shape` (``shapes[resource_shape[r]]``), which also
  says which labels every resource gets from the storage (``storage_id``,
  ``storage_name``, ``storage_sn``, ``name``, ``serial_number``) and which
  it gets by default (``type`` RAW, ``value_type`` gauge);
* ``metric_names``: each metric name once;
* per series: ``series_resource`` and ``series_metric`` (indexes in the
  two lists above) and ``series_end``, the end of its samples in
* ``timestamps`` (epoch ms) and ``values`` (floats), one entry a sample.

A series with no new sample in the window is still there (its samples
are an empty range): it still exists.  ``metrics`` gives the batch back as
``metric_struct`` series, made from the columns as they are iterated, for
exporters written against lists of them.

A `Builder` fills the columns from a driver's answer as it is iterated,
never holding the answer whole; `Seen` is what it needs to drop the
samples already passed on.
"""
import array
import json
import operator

from delfin.common import constants

_json_text = json.encoder.encode_basestring_ascii
# A newest timestamp not known yet.
NONE = -(1 << 63)
# Driver labels dicts remembered by identity at once; past that the
# memory is started again (a dict met again only costs a lookup more).
_RECENT = 4096


class Shape(object):
    """The keys of a driver's labels dicts, and how a resource's labels
    are completed: ``names`` is the key order of its labels, a key of
    ``extra`` takes the batch's value, a key absent from the driver's takes
    the value of ``defaults``."""

    __slots__ = ('keys', 'names', '_picks', '_index', '_json')

    def __init__(self, keys, extra=None, defaults=None):
        extra = extra or {}
        defaults = defaults or {}
        self.keys = tuple(keys)
        self._index = {k: i for i, k in enumerate(self.keys)}
        names = list(self.keys)
        names += [k for k in extra if k not in self._index]
        names += [k for k in defaults if k not in self._index
                  and k not in extra]
        self.names = tuple(names)
        # (index in the driver's values, or -1 and a constant)
        self._picks = tuple(
            (-1, extra[k]) if k in extra
            else (self._index[k], None) if k in self._index
            else (-1, defaults[k]) for k in self.names)
        self._json = None

    def complete(self, values):
        """The label values of a resource, in ``names`` order."""
        return tuple(values[i] if i >= 0 else c for i, c in self._picks)

    def labels(self, values):
        return dict(zip(self.names, self.complete(values)))

    def getter(self, key, default=None):
        """``f(values) -> the label``, ``default`` when absent."""
        try:
            at = self.names.index(key)
        except ValueError:
            return lambda values: default
        i, const = self._picks[at]
        if i < 0:
            return lambda values: const
        return operator.itemgetter(i)

    def position(self, key):
        """Where the label ``key`` is in the driver's values; None when it
        is not the driver's."""
        try:
            i = self._picks[self.names.index(key)][0]
        except ValueError:
            return None
        return i if i >= 0 else None

    def json(self, values, encode):
        """The resource's labels as JSON text, what ``encode`` (a
        ``json.JSONEncoder.encode``) writes for its labels dict."""
        if self._json is None:
            self._json = self._json_template(encode)
        template, pick = self._json
        if template is None:
            return encode(self.labels(values))
        picked = pick(values)
        try:
            return template % tuple(map(_json_text, picked))
        except TypeError:       # not all strings
            return template % tuple([
                _json_text(v) if type(v) is str else encode(v)
                for v in picked])

    def _json_template(self, encode):
        if not all(type(k) is str for k in self.names):
            return None, None
        parts = []
        where = []
        for key, (i, const) in zip(self.names, self._picks):
            if i >= 0:
                where.append(i)
                value = '%s'
            else:
                value = encode(const).replace('%', '%%')
            parts.append('%s: %s' % (encode(key).replace('%', '%%'), value))
        pick = (operator.itemgetter(*where) if len(where) > 1
                else (lambda values: tuple(values[i] for i in where)))
        return '{%s}' % ', '.join(parts), pick


class _Table(object):
    """The newest sample of the series of one resource type: a row per
    resource id, a column per metric of ``columns``, more metrics in
    ``other``."""

    __slots__ = ('rows', 'columns', 'newest', 'other', 'blank')

    def __init__(self, columns):
        self.rows = {}
        self.columns = {name: n for n, name in enumerate(columns)}
        self.newest = array.array('q')
        self.other = {}     # (row, metric) -> newest
        self.blank = array.array('q', [NONE]) * len(self.columns)

    def add_row(self, rid):
        row = self.rows[rid] = len(self.rows)
        self.newest.extend(self.blank)
        return row


class Seen(object):
    """The newest sample passed on of every series of a storage, by
    resource type (see `_Table`): tens of bytes a series.  A builder fills
    a new one from the old one, with the series of its answer only."""

    __slots__ = ('tables',)

    def __init__(self):
        self.tables = {}

    def newest(self, rtype, rid, metric):
        """Epoch ms, or None for a series not seen."""
        table = self.tables.get(rtype)
        row = None if table is None else table.rows.get(rid)
        if row is None:
            return None
        col = table.columns.get(metric)
        ts = (table.other.get((row, metric), NONE) if col is None
              else table.newest[row * len(table.columns) + col])
        return None if ts == NONE else ts

    def series_count(self):
        return sum(len(t.rows) * len(t.columns) + len(t.other)
                   for t in self.tables.values())


class _Kind(object):
    """What a builder needs about one resource type: the old and new
    tables and, per metric name, (batch metric, new column, old column)."""

    __slots__ = ('new', 'old', 'width', 'old_width', 'names')

    def __init__(self, old, wanted):
        self.old = old
        columns = list(old.columns) if old is not None else []
        for name in list(wanted) + (
                [m for _, m in old.other] if old is not None else []):
            if name not in columns:
                columns.append(name)
        self.new = _Table(columns)
        self.width = len(columns)
        self.old_width = len(old.columns) if old is not None else 0
        self.names = {}


class Builder(object):
    """Fills a `Batch` from ``metric_struct`` series as they come
    (`add`), dropping per series whatever is not newer than the newest
    sample passed on (``seen``, the `Seen` of the last window; a series it
    does not know keeps only what is newer than ``floor``) and recording
    the new newest samples in a new `Seen` (``self.seen``), for the next
    window once this one is passed on.

    :param extra: labels every resource gets (the storage's), over the
        driver's.
    :param defaults: labels a resource gets when the driver has none.
    :param wanted: ``{resource type: metrics}`` the driver was asked for
        (the columns of the new `Seen`).
    """

    def __init__(self, extra=None, defaults=None, seen=None, floor=None,
                 wanted=None):
        self.extra = dict(extra or {})
        self.defaults = dict(defaults or {})
        self.old = seen
        self.seen = Seen()
        self.floor = NONE if floor is None else floor
        self.wanted = wanted or {}
        self.shapes = []
        self.resources = []
        self.resource_shape = array.array('I')
        self.metric_names = []
        self.series_resource = array.array('I')
        self.series_metric = array.array('H')
        self.series_end = array.array('I')
        self.timestamps = array.array('q')
        self.values = array.array('d')
        self.empty_series = 0
        self.rejected = 0       # samples that are not numbers
        # (resource, metric) of the series that came more than once.
        self.repeated = set()
        self._shape_of = {}     # driver keys -> shape index
        self._metric_of = {}
        self._kinds = {}        # resource type -> _Kind
        self._by_id = {}        # id(labels) -> (labels, resource, kind,
        #                         new row start, old row start, new row,
        #                         old row, new newest array)
        self._by_content = {}   # (shape, values) -> resource

    def add_all(self, metrics):
        """Add every series of ``metrics`` (any iterable), as it comes."""
        by_id = self._by_id
        resource = self._resource
        floor = self.floor
        add_resource = self.series_resource.append
        add_metric = self.series_metric.append
        add_end = self.series_end.append
        stamps = self.timestamps
        add_stamp = stamps.append
        add_value = self.values.append
        for name, labels, values in metrics or ():
            hit = by_id.get(id(labels))
            if hit is None:
                hit = resource(labels)
            kind = hit[2]
            info = kind.names.get(name)
            if info is None:
                info = self._metric(kind, name)
            if info[1] < 0:
                self._add_other(name, values, hit, info[0])
                continue
            newest_of = hit[7]
            at = hit[3] + info[1]
            newest = prev = newest_of[at]
            if prev == NONE:
                if hit[4] >= 0:
                    prev = self._old(kind, hit, info, name)
                newest = floor if prev == NONE else prev
            else:
                # The series came already in this window.
                self.repeated.add((hit[1], info[0]))
            # One new sample of the plain types, the usual case, is
            # appended here; anything else is read by `_samples`.
            ts = None
            if type(values) is dict and len(values) == 1:
                ((ts, value),) = values.items()
                if not (type(ts) is int and type(value) is float
                        and ts > newest):
                    ts = None
            if ts is not None:
                add_stamp(ts)
                add_value(value)
                newest_of[at] = ts
            else:
                latest = self._samples(values, newest)
                newest_of[at] = latest if latest > newest else prev
            add_resource(hit[1])
            add_metric(info[0])
            add_end(len(stamps))
        return self

    def add(self, m):
        """Add one ``metric_struct``."""
        self.add_all((m,))

    @staticmethod
    def _old(kind, hit, info, name):
        """The newest sample of a series in the old `Seen`."""
        if info[2] >= 0:
            return kind.old.newest[hit[4] + info[2]]
        return kind.old.other.get((hit[6], name), NONE)

    def _samples(self, values, newest):
        """Append the samples of ``values`` newer than ``newest``; returns
        the newest appended (``newest`` if none)."""
        latest = newest
        if not values:
            self.empty_series += 1
            return latest
        stamps = self.timestamps
        numbers = self.values
        before = len(stamps)
        for ts, value in values.items():
            if type(ts) is not int:
                try:
                    ts = int(ts)
                except (TypeError, ValueError):
                    self.rejected += 1
                    continue
            if ts <= newest:
                continue
            if type(value) is not float:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    self.rejected += 1
                    continue
            stamps.append(ts)
            numbers.append(value)
            if ts > latest:
                latest = ts
        if len(stamps) == before:
            self.empty_series += 1
        return latest

    def _resource(self, labels):
        """Index the driver labels dict ``labels``: its resource (one per
        distinct content) and its row in the new `Seen`."""
        if len(self._by_id) >= _RECENT:
            # A dict forgotten here is never looked up by an id that a
            # new dict may have taken over.
            self._by_id.clear()
            self._by_content.clear()
        source = labels if labels is not None else {}
        keys = tuple(source)
        si = self._shape_of.get(keys)
        if si is None:
            si = self._shape_of[keys] = len(self.shapes)
            self.shapes.append(Shape(keys, self.extra, self.defaults))
        values = tuple(source.values())
        try:
            r = self._by_content.get((si, values))
        except TypeError:   # a label value that cannot be hashed
            r = None
        if r is None:
            r = len(self.resources)
            self.resources.append(values)
            self.resource_shape.append(si)
            try:
                self._by_content[(si, values)] = r
            except TypeError:
                pass
        rtype = source.get('resource_type')
        rid = source.get('resource_id')
        kind = self._kinds.get(rtype)
        if kind is None:
            kind = self._kinds[rtype] = _Kind(
                None if self.old is None else self.old.tables.get(rtype),
                self.wanted.get(rtype) or ())
            self.seen.tables[rtype] = kind.new
        row = kind.new.rows.get(rid)
        if row is None:
            row = kind.new.add_row(rid)
        old_row = -1
        if kind.old is not None:
            old_row = kind.old.rows.get(rid, -1)
        hit = (labels, r, kind, row * kind.width,
               -1 if old_row < 0 else old_row * kind.old_width, row, old_row,
               kind.new.newest)
        self._by_id[id(labels)] = hit
        return hit

    def _metric(self, kind, name):
        mi = self._metric_of.get(name)
        if mi is None:
            mi = self._metric_of[name] = len(self.metric_names)
            self.metric_names.append(name)
        col = kind.new.columns.get(name, -1)
        old_col = -1 if kind.old is None else kind.old.columns.get(name, -1)
        info = kind.names[name] = (mi, col, old_col)
        return info

    def _add_other(self, name, values, hit, mi):
        """A metric the resource type was not asked for."""
        kind = hit[2]
        key = (hit[5], name)
        prev = kind.new.other.get(key, NONE)
        if prev != NONE:
            self.repeated.add((hit[1], mi))
        elif hit[6] >= 0:
            prev = kind.old.other.get((hit[6], name), NONE)
        newest = self.floor if prev == NONE else prev
        latest = self._samples(values, newest)
        if latest > newest or prev != NONE:
            kind.new.other[key] = latest if latest > newest else prev
        self.series_resource.append(hit[1])
        self.series_metric.append(mi)
        self.series_end.append(len(self.timestamps))

    def batch(self, storage, start, end):
        """The `Batch` of what was added, for the window [start, end] of
        ``storage``."""
        b = Batch.__new__(Batch)
        b.storage = storage
        b.start = start
        b.end = end
        for name in Batch.COLUMNS:
            setattr(b, name, getattr(self, name))
        return b


class _Metrics(object):
    """The series of a batch as ``metric_struct``s, made as they are
    read: the labels dict of a resource is shared by its consecutive
    series."""

    __slots__ = ('_batch',)

    def __init__(self, batch):
        self._batch = batch

    def __len__(self):
        return len(self._batch.series_resource)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        b = self._batch
        r = b.series_resource[index]
        return constants.metric_struct(
            b.metric_names[b.series_metric[index]], b.labels(r),
            b.samples(index))

    def __iter__(self):
        b = self._batch
        struct = constants.metric_struct
        names = b.metric_names
        stamps = b.timestamps
        numbers = b.values
        last = -1
        labels = None
        start = 0
        for r, m, end in zip(b.series_resource, b.series_metric,
                             b.series_end):
            if r != last:
                labels = b.labels(r)
                last = r
            yield struct(names[m], labels,
                         dict(zip(stamps[start:end], numbers[start:end])))
            start = end


class Batch(object):
    """The samples of one collection window of one storage; see the
    module documentation.

    ``Batch(storage, metrics, start, end)`` makes one from
    ``metric_struct`` series as they are (no labels added, nothing
    dropped but a sample repeated in a series); the collector's come from a
    `Builder`.
    """

    COLUMNS = ('shapes', 'resources', 'resource_shape', 'metric_names',
               'series_resource', 'series_metric', 'series_end',
               'timestamps', 'values', 'empty_series', 'repeated')

    def __init__(self, storage, metrics=(), start=0, end=0):
        built = Builder().add_all(metrics).batch(storage, start, end)
        self.__dict__.update(built.__dict__)

    @property
    def metrics(self):
        """The series as ``metric_struct``s (see `_Metrics`)."""
        return _Metrics(self)

    @property
    def sample_count(self):
        return len(self.timestamps)

    @property
    def series_count(self):
        return len(self.series_resource)

    @property
    def one_sample_each(self):
        """Whether every series has exactly one sample: ``timestamps``
        and ``values`` are then per series too."""
        return (not self.empty_series
                and len(self.timestamps) == len(self.series_resource))

    def labels(self, r):
        """The labels dict of resource ``r``."""
        return self.shapes[self.resource_shape[r]].labels(self.resources[r])

    def samples(self, i):
        """``{epoch ms: value}`` of series ``i``."""
        start = self.series_end[i - 1] if i else 0
        end = self.series_end[i]
        return dict(zip(self.timestamps[start:end], self.values[start:end]))

    def getter(self, key, default=None):
        """``f(r) -> label key of resource r`` (``default`` when it has
        none)."""
        getters = [s.getter(key, default) for s in self.shapes]
        resources = self.resources
        if len(getters) == 1:
            get = getters[0]
            return lambda r: get(resources[r])
        shape_of = self.resource_shape
        return lambda r: getters[shape_of[r]](resources[r])
