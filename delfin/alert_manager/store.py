"""The alert store: alerts kept in SQL with de-duplication and a life cycle.

An alert condition on a storage is identified by its *fingerprint*, a 64-bit
hash of the storage and of the fields that name the condition (``alert_id``,
``alert_name``, ``severity``, ``category``, ``type``, ``resource_type``,
``location``, ``match_key``).  Per-occurrence fields (``sequence_number``,
``occur_time``, ``description``) are left out, so a trap repeated by a
storage bumps ``occurrence_count`` and ``last_occur_time`` of one row instead
of adding rows.  Severity is part of the fingerprint so that the labels an
exporter publishes for a row never change.

``occur_time`` is when the current episode of the condition began: the
first occurrence, or the one that reopened it; ``first_occur_time`` and
``last_occur_time`` bound all occurrences.  Plain repeats leave
``occur_time`` (and so the time indexes) alone.

State: a stored alert is ``open`` until a ``Recovery`` alert of the same
storage with the same ``match_key`` (or, when neither has one, the same
``alert_id``) arrives, or until it is cleared through the API or by
reconciliation with the storage; then it is ``cleared``.  A recovery clears
only faults that last occurred no later than itself, and is stored as a
cleared row of its own.  A cleared condition that occurs again is reopened.

Writes come in batches (one handler call of the trap listener, or one poll)
and each batch is one transaction: one SELECT of the batch's fingerprints,
the new rows' INSERT (multi-row statements on SQLite, see `sqlite_batch`),
an executemany UPDATE, and for recoveries one SELECT of the open faults
they may clear.  Nothing is read per trap.
"""
import collections
import datetime
import functools
import hashlib
import operator
import sqlite3
import threading
import time

import sqlalchemy as sa
from oslo_log import log as logging

from delfin.common import constants
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.db import sqlite_batch

LOG = logging.getLogger(__name__)

TABLE = schema.alerts
db_api.register_table('alert', TABLE, key='id', not_found='AlertNotFound')

# Fields of Delfin's alert model kept in a row.
MODEL_FIELDS = ('alert_id', 'alert_name', 'severity', 'category', 'type',
                'sequence_number', 'occur_time', 'description',
                'recovery_advice', 'resource_type', 'location', 'match_key',
                'clear_category')
# Fields naming the alert condition (see the module docstring).
IDENTITY_FIELDS = ('alert_id', 'alert_name', 'severity', 'category', 'type',
                   'resource_type', 'location', 'match_key')
_IDENTITY_OF = operator.itemgetter(*IDENTITY_FIELDS)
# Attributes of the storage carried with alerts to exporters, not stored.
STORAGE_FIELDS = ('storage_name', 'vendor', 'model', 'serial_number')

# How a batch changed a row, as reported to exporters.
NEW = 'new'
REOPENED = 'reopened'
CHANGED = 'changed'
CLEARED = 'cleared'

_CHUNK = 500
_ATTEMPTS = 3
# Occurrence times below this are taken as seconds, not milliseconds
# (some drivers written for Delfin report seconds); 1e11 ms is March 1973.
_SECONDS_LIMIT = 10 ** 11

_STR_LIMITS = {c.name: c.type.length for c in TABLE.columns
               if isinstance(c.type, sa.String) and c.type.length}


# Text fields and their column sizes (Text columns: no limit).
_UNLIMITED = 2 ** 62
_TEXT_FIELDS = tuple((name, _STR_LIMITS.get(name) or _UNLIMITED)
                     for name in MODEL_FIELDS if name != 'occur_time')


def now_ms():
    return int(time.time() * 1000)


def _occur_time(value):
    if value.__class__ is int and value >= _SECONDS_LIMIT:
        return value
    try:
        value = int(float(value))
    except (TypeError, ValueError):
        return None
    if 0 < value < _SECONDS_LIMIT:
        value *= 1000
    return value if value > 0 else None


def _normalise_code():
    """The text of `normalise`: the loop over `_TEXT_FIELDS` written out
    field by field, every name and limit a constant.

    `normalise` runs once per trap; written out, it takes about a third
    less time than the loop of `_normalise_loop`, which states what it
    does (and which the tests hold it to).
    """
    lines = ['def normalise(alert, default_time=None):',
             '    get = alert.get']
    names = []
    for i, (name, limit) in enumerate(_TEXT_FIELDS):
        var = 'v%d' % i
        names.append('%r: %s' % (name, var))
        lines += ['    %s = get(%r)' % (var, name),
                  '    if %s is not None:' % var,
                  '        if %s.__class__ is not str:' % var,
                  '            %s = str(%s)' % (var, var)]
        if limit < _UNLIMITED:
            lines += ['        if len(%s) > %d:' % (var, limit),
                      '            %s = %s[:%d]' % (var, var, limit)]
    lines += ['    row = {%s}' % ', '.join(names),
              "    if not row['severity']:",
              "        row['severity'] = NOT_SPECIFIED",
              "    if not row['category']:",
              "        row['category'] = CATEGORY_NOT_SPECIFIED",
              "    if not row['resource_type']:",
              "        row['resource_type'] = DEFAULT_RESOURCE_TYPE",
              "    occur = _occur_time(get('occur_time'))",
              '    if occur is None:',
              '        occur = (default_time if default_time is not None',
              '                 else now_ms())',
              "    row['occur_time'] = occur",
              '    return row']
    return '\n'.join(lines) + '\n'


def _normalise_loop(alert, default_time=None):
    """The model fields of a driver's alert dict, cleaned for storage.

    Strings are cut to their column size; a missing severity or category
    becomes ``NotSpecified``; a missing resource type the default one; an
    occurrence time that is missing or not a number becomes
    ``default_time`` (now when not given).  (`normalise` does the same,
    written out field by field.)
    """
    row = {}
    get = alert.get
    for name, limit in _TEXT_FIELDS:
        value = get(name)
        if value is not None:
            if value.__class__ is not str:
                value = str(value)
            if len(value) > limit:
                value = value[:limit]
        row[name] = value
    if not row['severity']:
        row['severity'] = constants.Severity.NOT_SPECIFIED
    if not row['category']:
        row['category'] = constants.Category.NOT_SPECIFIED
    if not row['resource_type']:
        row['resource_type'] = constants.DEFAULT_RESOURCE_TYPE
    occur = _occur_time(get('occur_time'))
    if occur is None:
        occur = default_time if default_time is not None else now_ms()
    row['occur_time'] = occur
    return row


def _make_normalise():
    namespace = {
        'NOT_SPECIFIED': constants.Severity.NOT_SPECIFIED,
        'CATEGORY_NOT_SPECIFIED': constants.Category.NOT_SPECIFIED,
        'DEFAULT_RESOURCE_TYPE': constants.DEFAULT_RESOURCE_TYPE,
        '_occur_time': _occur_time, 'now_ms': lambda: now_ms()}
    exec(compile(_normalise_code(), '<alert normalise>', 'exec'), namespace)
    function = namespace['normalise']
    function.__doc__ = _normalise_loop.__doc__
    function.__module__ = __name__
    return function


normalise = _make_normalise()


def _hash64(text, _blake2b=hashlib.blake2b, _from_bytes=int.from_bytes):
    """A signed 64-bit hash of ``text`` (what a BIGINT holds)."""
    return _from_bytes(_blake2b(text.encode('utf-8', 'replace'),
                                digest_size=8).digest(), 'big', signed=True)


def fingerprint(storage_id, row):
    """The identity of an alert condition on a storage.

    A 64-bit hash: unique across storages (the storage is part of it) and
    small in the unique index every new alert is inserted into.
    """
    try:
        identity = _IDENTITY_OF(row)
    except KeyError:
        identity = tuple(map(row.get, IDENTITY_FIELDS))
    return _hash64('\x1f'.join([storage_id] + [value or ''
                                               for value in identity]))


def clear_key(storage_id, row):
    """What a recovery and the faults it clears have in common: a hash of
    the storage and the ``match_key``, or when there is none the
    ``alert_id``; None without either."""
    if row.get('match_key'):
        return _hash64('%s\x1fmatch_key\x1f%s' % (storage_id,
                                                  row['match_key']))
    if row.get('alert_id'):
        return _hash64('%s\x1falert_id\x1f%s' % (storage_id,
                                                 row['alert_id']))
    return None


def prepare(alert, storage=None):
    """What `AlertStore.save_prepared` takes of one alert dict: a tuple
    ``(storage_id, fingerprint, row, source, storage attributes)`` of plain
    values, cheap to send between processes.

    :param storage: the storage the alert belongs to, as a dict of
        ``storage_id`` and `STORAGE_FIELDS` (shared by its alerts, never
        changed); by default they are read from ``alert``.
    """
    if storage is None:
        storage_id = alert['storage_id']
        storage = {k: alert.get(k) for k in STORAGE_FIELDS if k in alert}
    else:
        storage_id = storage['storage_id']
    row = normalise(alert)
    row['clear_key'] = clear_key(storage_id, row)
    return (storage_id, fingerprint(storage_id, row), row,
            alert.get('source'), storage)


def is_recovery(row):
    return row.get('category') == constants.Category.RECOVERY


class SaveResult(object):
    """What one batch did: counts, and the rows exporters must see."""

    def __init__(self, report=True):
        self.report = report
        self.new = 0
        self.repeated = 0
        self.cleared = 0
        self.reopened = 0
        self.dropped = 0
        self.known = 0
        self.changes = []

    def __repr__(self):
        return ('SaveResult(new=%d, repeated=%d, cleared=%d, reopened=%d, '
                'dropped=%d)' % (self.new, self.repeated, self.cleared,
                                 self.reopened, self.dropped))


class _Group(object):
    """Occurrences of one fingerprint within a batch."""
    __slots__ = ('storage_id', 'fingerprint', 'row', 'count', 'first',
                 'last', 'source', 'times')

    def __init__(self, storage_id, fp, row, source, keep_times=False):
        self.storage_id = storage_id
        self.fingerprint = fp
        self.row = row
        self.count = 1
        self.first = self.last = row['occur_time']
        self.source = source
        self.times = [self.first] if keep_times else None

    def add(self, row):
        self.count += 1
        t = row['occur_time']
        if self.times is not None:
            self.times.append(t)
        if t < self.first:
            self.first = t
        if t >= self.last:
            # The latest occurrence gives the per-occurrence fields.
            self.last = t
            self.row = row


class AlertStore(object):
    """Batched, de-duplicating writes of alerts; thread-safe.

    ``save`` is the write path of the trap pipeline and the poller;
    ``clear`` and ``clear_ids`` serve the API and the reconciliation.
    Every method returns the changed rows (with the storage attributes
    given in the input, when any) so the caller can hand them to the
    exporters.
    """

    def __init__(self):
        # One writer per process at a time: SQLite allows one anyway, and
        # on server databases it keeps this process's batches from
        # deadlocking each other on the unique key.
        self._lock = threading.Lock()

    # -- the batch write path ---------------------------------------------

    def save(self, alerts, source=constants.AlertSourceType.TRAP,
             report=True, only_newer=False):
        """Store ``alerts`` (dicts with ``storage_id`` and model fields).

        Returns a `SaveResult`; alerts of storages that no longer exist are
        dropped and counted in ``dropped``.  ``report=False`` skips the
        list of changed rows (nobody exports them).  With ``only_newer``
        (a poll, which lists what the storage still holds) an occurrence
        counts only if it is newer than the stored alert's last one;
        the others are already known (counted in ``known``).
        """
        return self.save_prepared([prepare(a) for a in alerts], source,
                                  report, only_newer)

    def save_prepared(self, items, source=constants.AlertSourceType.TRAP,
                      report=True, only_newer=False):
        """`save` of alerts already passed through `prepare` (which may
        have run in another process)."""
        result = SaveResult(report)
        if not items:
            return result
        groups = collections.OrderedDict()
        attrs = {}
        for storage_id, fp, row, alert_source, storage_attrs in items:
            key = (storage_id, fp)
            group = groups.get(key)
            if group is None:
                groups[key] = _Group(storage_id, fp, row,
                                     alert_source or source, only_newer)
            else:
                group.add(row)
            if storage_id not in attrs:
                attrs[storage_id] = storage_attrs
        dropped = 0
        for attempt in range(_ATTEMPTS):
            try:
                with self._lock, db_engine.writer() as conn:
                    _tune(conn)
                    self._save(conn, groups, attrs, result)
                return result
            except (sa.exc.IntegrityError, sqlite3.IntegrityError) as exc:
                # (SQLite batches run on the driver's cursor, whose errors
                # SQLAlchemy does not wrap.)
                # Another process inserted one of the fingerprints, or a
                # storage was deleted under the batch: retry with what is
                # now in the database.
                result.__init__(report)
                dropped += self._drop_missing_storages(groups)
                result.dropped = dropped
                if attempt == _ATTEMPTS - 1:
                    raise
                LOG.debug("Retrying an alert batch after %s", exc)
        return result

    def _drop_missing_storages(self, groups):
        storage_ids = {g.storage_id for g in groups.values()}
        with db_engine.reader() as conn:
            alive = {r[0] for r in conn.execute(
                sa.select(schema.storages.c.id).where(
                    schema.storages.c.id.in_(list(storage_ids))))}
        dropped = 0
        for key in [k for k, g in groups.items()
                    if g.storage_id not in alive]:
            dropped += groups.pop(key).count
        return dropped

    def _save(self, conn, groups, attrs, result):
        now = db_api.utcnow()
        sqlite = conn.dialect.name == 'sqlite'
        # The time columns of new rows as the DB driver takes them.
        stamp = _sqlite_time(now) if sqlite else now
        existing = self._existing(conn, groups)
        ids = iter(db_api.new_ids(len(groups) - len(existing)))
        inserts, updates, reopens, recoveries = [], [], [], []
        open_ = constants.AlertState.OPEN
        cleared = constants.AlertState.CLEARED
        # New rows of SQLite go to the driver as tuples in column order;
        # without changes to report, they are built as such directly.
        rows_only = sqlite and not result.report and _INSERT_LAYOUT_KNOWN
        for key, group in groups.items():
            row = group.row
            old = existing.get(key)
            recovery = row['category'] == constants.Category.RECOVERY
            if recovery:
                recoveries.append(group)
            if old is None:
                result.new += 1
                result.repeated += group.count - 1
                if rows_only:
                    # The row as a tuple in column order, straight away.
                    inserts.append(
                        (next(ids), group.storage_id, group.fingerprint)
                        + _INSERT_HEAD(row) + (group.first,)
                        + _INSERT_MIDDLE(row)
                        + (group.count, group.first, group.last,
                           cleared if recovery else open_, group.source,
                           stamp if recovery else None, stamp, None))
                    continue
                values = dict(row)
                values.update(
                    id=next(ids), storage_id=group.storage_id,
                    fingerprint=group.fingerprint,
                    occurrence_count=group.count,
                    first_occur_time=group.first, last_occur_time=group.last,
                    occur_time=group.first,
                    state=cleared if recovery else open_,
                    source=group.source,
                    cleared_at=stamp if recovery else None,
                    created_at=stamp, updated_at=None)
                inserts.append(_INSERT_ROW(values) if sqlite else values)
                if result.report:
                    change = dict(values, created_at=now,
                                  cleared_at=now if recovery else None)
                    result.changes.append(self._change(change, NEW, attrs))
                continue
            row_id, state, first, last, count, old_source = old
            if group.times is not None:
                # Only occurrences after the stored ones are news.
                fresh = [t for t in group.times if t > (last or 0)]
                result.known += group.count - len(fresh)
                if not fresh:
                    continue
                group.count = len(fresh)
            result.repeated += group.count
            newer = group.last >= (last or 0)
            reopen = not recovery and state == cleared and newer
            values = {
                '_id': row_id, '_n': group.count,
                '_first': min(first or group.first, group.first),
                '_last': max(last or 0, group.last),
                '_now': now, '_newer': newer,
            }
            # Per-occurrence fields follow the latest occurrence.
            for name in _OCCURRENCE_FIELDS:
                values['_' + name] = row[name]
            (reopens if reopen else updates).append(values)
            if reopen:
                result.reopened += 1
                if not result.report:
                    continue
                merged = dict(row)
                merged.update(
                    id=row_id, storage_id=group.storage_id,
                    fingerprint=group.fingerprint,
                    occurrence_count=count + group.count,
                    first_occur_time=values['_first'],
                    last_occur_time=values['_last'],
                    occur_time=values['_last'], state=open_,
                    source=old_source, cleared_at=None, updated_at=now)
                result.changes.append(self._change(merged, REOPENED, attrs))
        if inserts:
            if sqlite:
                # Straight to the driver: plain tuples in column order,
                # times already in SQLite's text form, many rows per
                # statement (see `sqlite_batch`).
                _sqlite_insert(conn.connection.dbapi_connection,
                               _insert_names(conn.dialect), inserts)
            else:
                conn.execute(_INSERT, inserts)
        if updates:
            _executemany(conn, _UPDATE_OCCURRENCE, updates)
        if reopens:
            _executemany(conn, _UPDATE_REOPEN, reopens)
        if recoveries:
            self._clear_by_recoveries(conn, recoveries, now, attrs, result)

    @staticmethod
    def _existing(conn, groups):
        """What a batch needs of its rows already stored, keyed by
        (storage_id, fingerprint)."""
        found = {}
        fps = [fp for _storage_id, fp in groups]
        sqlite = conn.dialect.name == 'sqlite'
        for i in range(0, len(fps), _CHUNK):
            chunk = fps[i:i + _CHUNK]
            if sqlite:
                # Straight to the driver: this runs once per batch on the
                # hot path and SQLAlchemy's row handling would dominate it.
                # The list of keys is padded with its last one to a size
                # of a few (`_padded_size`), so that the statement is one
                # SQLite keeps prepared: preparing one costs about as much
                # as running it.
                size = _padded_size(len(chunk))
                cur = conn.connection.cursor()
                try:
                    cur.execute(_SELECT_EXISTING_SQL % ','.join('?' * size),
                                chunk + chunk[-1:] * (size - len(chunk)))
                    rows = cur.fetchall()
                finally:
                    cur.close()
            else:
                rows = conn.execute(_SELECT_EXISTING.where(
                    TABLE.c.fingerprint.in_(chunk)))
            for r in rows:
                found[(r[0], r[1])] = tuple(r[2:])
        return found

    def _clear_by_recoveries(self, conn, recoveries, now, attrs, result):
        # clear key -> (storage, key column, value, time of the recovery)
        by_key = {}
        for group in recoveries:
            row = group.row
            key = row.get('clear_key')
            if key is None:
                continue
            col = 'match_key' if row['match_key'] else 'alert_id'
            previous = by_key.get(key)
            last = max(previous[3], group.last) if previous else group.last
            by_key[key] = (group.storage_id, col, row[col], last)
        if not by_key:
            return
        keys = list(by_key)
        matches = []
        for i in range(0, len(keys), _CHUNK):
            stmt = sa.select(TABLE).where(
                TABLE.c.clear_key.in_(keys[i:i + _CHUNK]),
                TABLE.c.state == constants.AlertState.OPEN,
                TABLE.c.category != constants.Category.RECOVERY)
            for r in conn.execute(stmt):
                r = dict(r._mapping)
                storage_id, col, value, recovered_at = by_key[r['clear_key']]
                # The hash only narrows the search down.
                if (r['storage_id'] == storage_id and r[col] == value and
                        (r['last_occur_time'] or 0) <= recovered_at):
                    matches.append(r)
        if not matches:
            return
        seen = set()
        params = []
        for r in matches:
            if r['id'] in seen:
                continue
            seen.add(r['id'])
            params.append({'_id': r['id'], '_now': now})
            r.update(state=constants.AlertState.CLEARED, cleared_at=now,
                     updated_at=now)
            result.changes.append(self._change(r, CLEARED, attrs))
        conn.execute(_UPDATE_CLEAR, params)
        result.cleared += len(params)

    @staticmethod
    def _change(row, change, attrs):
        out = dict(row)
        out.pop('clear_key', None)
        out.update(attrs.get(row['storage_id']) or {})
        out['change'] = change
        return out

    # -- clearing and reconciliation --------------------------------------

    def clear(self, storage_id, sequence_number, storage=None):
        """Mark the open alerts of ``sequence_number`` cleared.

        Returns the changed rows (decorated with ``storage`` attributes).
        """
        where = (TABLE.c.storage_id == storage_id,
                 TABLE.c.sequence_number == str(sequence_number),
                 TABLE.c.state == constants.AlertState.OPEN)
        return self._clear_where(where, storage)

    def clear_ids(self, storage_id, ids, storage=None):
        """Mark the alerts ``ids`` of a storage cleared (those still open).

        Returns the changed rows (decorated with ``storage`` attributes).
        """
        ids = list(ids)
        if not ids:
            return []
        changes = []
        for i in range(0, len(ids), _CHUNK):
            changes += self._clear_where(
                (TABLE.c.storage_id == storage_id,
                 TABLE.c.state == constants.AlertState.OPEN,
                 TABLE.c.id.in_(ids[i:i + _CHUNK])), storage)
        return changes

    def _clear_where(self, where, storage):
        attrs = {}
        if storage:
            attrs[storage['id']] = _storage_attrs(storage)
        with self._lock, db_engine.writer() as conn:
            now = db_api.utcnow()
            rows = [dict(r._mapping) for r in conn.execute(
                sa.select(TABLE).where(*where))]
            if not rows:
                return []
            conn.execute(_UPDATE_CLEAR,
                         [{'_id': r['id'], '_now': now} for r in rows])
        changes = []
        for r in rows:
            r.update(state=constants.AlertState.CLEARED, cleared_at=now,
                     updated_at=now)
            changes.append(self._change(r, CLEARED, attrs))
        return changes


def _storage_attrs(storage):
    return {'storage_name': storage.get('name'),
            'vendor': storage.get('vendor'),
            'model': storage.get('model'),
            'serial_number': storage.get('serial_number')}


_OCCURRENCE_FIELDS = ('sequence_number', 'description', 'recovery_advice',
                      'clear_category')

_SELECT_EXISTING = sa.select(
    TABLE.c.storage_id, TABLE.c.fingerprint, TABLE.c.id, TABLE.c.state,
    TABLE.c.first_occur_time, TABLE.c.last_occur_time,
    TABLE.c.occurrence_count, TABLE.c.source)
_SELECT_EXISTING_SQL = (
    'SELECT storage_id, fingerprint, id, state, first_occur_time, '
    'last_occur_time, occurrence_count, source FROM alerts '
    'WHERE fingerprint IN (%s)')


def _if_newer(column):
    # An occurrence older than the stored one (a late datagram, a poll of
    # old history) counts but does not overwrite the latest details.
    return sa.case((sa.bindparam('_newer'), sa.bindparam('_' + column.name)),
                   else_=column)


_UPDATE_OCCURRENCE = sa.update(TABLE).where(
    TABLE.c.id == sa.bindparam('_id')).values(
    occurrence_count=TABLE.c.occurrence_count + sa.bindparam('_n'),
    first_occur_time=sa.bindparam('_first'),
    last_occur_time=sa.bindparam('_last'),
    updated_at=sa.bindparam('_now'),
    **{name: _if_newer(TABLE.c[name]) for name in _OCCURRENCE_FIELDS})

# A reopened alert also changes state, and its occur_time moves to the
# reopening occurrence (the start of the new episode).  Kept apart from
# plain repeats so that those do not rewrite the state and time indexes.
_UPDATE_REOPEN = _UPDATE_OCCURRENCE.values(
    state=constants.AlertState.OPEN, cleared_at=None,
    occur_time=sa.bindparam('_last'))

# The state condition keeps a concurrent clear from being counted twice.
_UPDATE_CLEAR = sa.update(TABLE).where(
    TABLE.c.id == sa.bindparam('_id'),
    TABLE.c.state == constants.AlertState.OPEN).values(
    state=constants.AlertState.CLEARED,
    cleared_at=sa.bindparam('_now'),
    updated_at=sa.bindparam('_now'))

_INSERT = sa.insert(TABLE)
_INSERT_KEYS = tuple(c.name for c in TABLE.columns)
_INSERT_ROW = operator.itemgetter(*_INSERT_KEYS)
# The fields of a prepared row between the leading columns (id,
# storage_id, fingerprint) and occur_time, and between occur_time and
# occurrence_count, for `AlertStore._save` to build a new row's tuple.
_HEAD_FIELDS = ('alert_id', 'alert_name', 'severity', 'category', 'type',
                'sequence_number')
_MIDDLE_FIELDS = ('description', 'recovery_advice', 'resource_type',
                  'location', 'match_key', 'clear_key', 'clear_category')
_INSERT_HEAD = operator.itemgetter(*_HEAD_FIELDS)
_INSERT_MIDDLE = operator.itemgetter(*_MIDDLE_FIELDS)
# The order of the columns that tuple follows; another table layout takes
# the way through dicts.
_INSERT_LAYOUT_KNOWN = _INSERT_KEYS == (
    ('id', 'storage_id', 'fingerprint') + _HEAD_FIELDS + ('occur_time',)
    + _MIDDLE_FIELDS + ('occurrence_count', 'first_occur_time',
                        'last_occur_time', 'state', 'source', 'cleared_at',
                        'created_at', 'updated_at'))


@functools.lru_cache(maxsize=None)
def _insert_names(dialect):
    q = dialect.identifier_preparer
    return q.format_table(TABLE), tuple(q.quote(k) for k in _INSERT_KEYS)


# Rows of one INSERT on SQLite at most, and the step of the sizes of the
# others: see `_sqlite_insert`.
_INSERT_BLOCK = 1024
_INSERT_STEP = 64


def _sqlite_insert(dbapi_conn, names, rows):
    """Insert ``rows`` (tuples in column order) with `sqlite_batch.insert`,
    in statements of a few sizes only.

    SQLite prepares a statement from its text, which for a multi-row
    INSERT takes several times as long as running it; the driver keeps
    the prepared statements of the texts it saw last.  Batches of new
    alerts come in any size: rows go in blocks of `_INSERT_BLOCK`, then
    a multiple of `_INSERT_STEP`, then the rest, so that at most
    ``_INSERT_BLOCK / _INSERT_STEP + _INSERT_STEP`` texts ever occur.
    """
    table, columns = names
    start, count = 0, len(rows)
    while start < count:
        left = count - start
        if left >= _INSERT_BLOCK:
            size = _INSERT_BLOCK
        elif left >= _INSERT_STEP:
            size = left - left % _INSERT_STEP
        else:
            size = left
        sqlite_batch.insert(dbapi_conn, table, columns,
                            rows[start:start + size])
        start += size


def _padded_size(count):
    """The size of an IN list of ``count`` keys padded to one of a few
    sizes (powers of two from 16 up, at most `_CHUNK`)."""
    size = 16
    while size < count:
        size *= 2
    return min(size, _CHUNK)


def _sqlite_time(value):
    # The text form SQLAlchemy's SQLite DateTime type writes and reads.
    return value.strftime('%Y-%m-%d %H:%M:%S.%f')


_compiled = {}


# SQLite settings of the connections alert batches are written with (per
# connection, not transactional, so they are simply repeated per batch).
# New alerts insert into indexes keyed by random fingerprints: with the
# default 2 MiB page cache most of an index's pages are read again for
# every batch; and checkpointing the write-ahead log every 1000 pages
# rewrites those pages several times as often as every 16384.
_SQLITE_WRITE_PRAGMAS = ('PRAGMA cache_size=-%d' % db_engine.BULK_CACHE_KIB,
                         'PRAGMA wal_autocheckpoint=%d'
                         % db_engine.BULK_CHECKPOINT_PAGES)


def _tune(conn):
    if conn.dialect.name == 'sqlite':
        for pragma in _SQLITE_WRITE_PRAGMAS:
            conn.exec_driver_sql(pragma)


def _executemany(conn, stmt, rows):
    """``conn.execute(stmt, rows)``, faster on SQLite.

    SQLAlchemy prepares the parameters of each row in Python, which costs
    more than SQLite's own work on a batch of small rows; on SQLite the
    statement is compiled once and the rows go to the driver's executemany
    as tuples.  Other databases keep SQLAlchemy's path, which uses their
    drivers' batch helpers.
    """
    dialect = conn.dialect
    if dialect.name != 'sqlite':
        conn.execute(stmt, rows)
        return
    key = id(stmt)
    entry = _compiled.get(key)
    if entry is None:
        compiled = stmt.compile(dialect=dialect)
        # Literal values of the statement are bound parameters too.
        fixed = {n: v for n, v in compiled.params.items()
                 if not n.startswith('_')}
        names = tuple(compiled.positiontup)
        times = tuple(i for i, n in enumerate(names)
                      if n.lstrip('_') in _TIME_COLUMNS)
        entry = (str(compiled), names, fixed, times)
        _compiled[key] = entry
    sql, names, fixed, times = entry
    if fixed:
        rows = [dict(fixed, **r) for r in rows]
    params = []
    texts = {}
    for r in rows:
        values = [r[n] for n in names]
        for i in times:
            v = values[i]
            if v is not None:
                # The text form SQLAlchemy's SQLite DateTime type reads.
                t = texts.get(v)
                if t is None:
                    t = texts[v] = _sqlite_time(v)
                values[i] = t
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


_TIME_COLUMNS = frozenset(('created_at', 'updated_at', 'cleared_at', 'now'))


REMOVED = 'removed'


def removed_storage_changes(storage):
    """The open alerts of ``storage`` as changes that resolve them (state
    cleared, change ``removed``): what the exporters are told when the
    storage is removed, before its alerts go with it."""
    stmt = sa.select(TABLE).where(
        TABLE.c.storage_id == storage['id'],
        TABLE.c.state == constants.AlertState.OPEN,
        TABLE.c.category != constants.Category.RECOVERY)
    with db_engine.reader() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    now = db_api.utcnow()
    attrs = {storage['id']: _storage_attrs(storage)}
    changes = []
    for row in rows:
        row.update(state=constants.AlertState.CLEARED, cleared_at=now)
        changes.append(AlertStore._change(row, REMOVED, attrs))
    return changes


def open_alerts_pages(page_size=500):
    """Open alerts (not recoveries) with their storage's attributes, in
    pages of ``page_size`` rows: what an exporter re-sends."""
    storages = schema.storages
    columns = [TABLE,
               storages.c.name.label('storage_name'), storages.c.vendor,
               storages.c.model, storages.c.serial_number]
    marker = None
    while True:
        stmt = sa.select(*columns).join(
            storages, storages.c.id == TABLE.c.storage_id).where(
            TABLE.c.state == constants.AlertState.OPEN,
            TABLE.c.category != constants.Category.RECOVERY)
        if marker is not None:
            stmt = stmt.where(TABLE.c.id > marker)
        stmt = stmt.order_by(TABLE.c.id).limit(page_size)
        with db_engine.reader() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        if not rows:
            return
        yield rows
        if len(rows) < page_size:
            return
        marker = rows[-1]['id']


def _null_stand_in(column):
    """What NULL counts as when ordering and paging on ``column``."""
    try:
        pytype = column.type.python_type
    except NotImplementedError:
        return ''
    if pytype is int:
        return 0
    if pytype is datetime.datetime:
        return datetime.datetime(1, 1, 1)
    return ''


def _ordered(column):
    if column.nullable:
        return sa.func.coalesce(column, _null_stand_in(column))
    return column


def query(filters=None, begin_time=None, end_time=None, sort=None,
          limit=None, offset=0, marker=None, with_total=False):
    """Stored alerts, each with its storage's attributes.

    ``filters`` maps columns to a value or a list of values; ``begin_time``
    and ``end_time`` (ms, inclusive) bound ``occur_time``; ``sort`` is a
    list of (column, 'asc'|'desc') (default: occur_time descending), the
    id always closes it; ``marker`` is the id of the last alert of the
    previous page.  Returns the rows, or (rows, total) with ``with_total``
    (total counts every alert matching the filters and time bounds).

    :raises AlertNotFound: unknown marker.
    """
    where = []
    for name, value in (filters or {}).items():
        column = TABLE.c[name]
        if isinstance(value, (list, tuple, set)):
            where.append(column.in_(list(value)))
        else:
            where.append(column == value)
    if begin_time is not None:
        where.append(TABLE.c.occur_time >= begin_time)
    if end_time is not None:
        where.append(TABLE.c.occur_time <= end_time)
    keys = list(sort or [('occur_time', 'desc')])
    if 'id' not in [k for k, _ in keys]:
        keys.append(('id', keys[0][1]))
    storages = schema.storages
    with db_engine.reader() as conn:
        stmt = sa.select(TABLE).where(*where)
        if marker is not None:
            mark = conn.execute(sa.select(TABLE).where(
                TABLE.c.id == marker)).first()
            if mark is None:
                from delfin import exception
                raise exception.AlertNotFound(marker)
            stmt = stmt.where(_after(keys, mark._mapping))
        order = []
        for name, direction in keys:
            expr = _ordered(TABLE.c[name])
            order.append(expr.asc() if direction == 'asc' else expr.desc())
        stmt = stmt.order_by(*order)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        ids = list({r['storage_id'] for r in rows})
        attrs = {}
        if ids:
            for r in conn.execute(sa.select(
                    storages.c.id, storages.c.name, storages.c.vendor,
                    storages.c.model, storages.c.serial_number).where(
                    storages.c.id.in_(ids))):
                attrs[r[0]] = {'storage_name': r[1], 'vendor': r[2],
                               'model': r[3], 'serial_number': r[4]}
        for row in rows:
            row.update(attrs.get(row['storage_id'], {}))
        if not with_total:
            return rows
        total = conn.execute(sa.select(sa.func.count()).select_from(
            TABLE).where(*where)).scalar_one()
        return rows, total


def _after(keys, mark):
    """Rows strictly after ``mark`` in the order of ``keys``."""
    alternatives = []
    for i, (name, direction) in enumerate(keys):
        same = [_ordered(TABLE.c[prev]) == _mark_value(TABLE.c[prev], mark)
                for prev, _ in keys[:i]]
        expr = _ordered(TABLE.c[name])
        value = _mark_value(TABLE.c[name], mark)
        same.append(expr > value if direction == 'asc' else expr < value)
        alternatives.append(sa.and_(*same))
    return sa.or_(*alternatives)


def _mark_value(column, mark):
    value = mark[column.name]
    if value is None and column.nullable:
        return _null_stand_in(column)
    return value
