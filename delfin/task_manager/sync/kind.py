"""The sync of one resource kind of one storage: stream the driver's
items in chunks, diff them against the stored rows by identity, write what
changed, and delete what the driver no longer reports.

Odd items cost no sibling (`delfin.task_manager.sync.tolerance`): an item
that cannot be stored is skipped (its stored row, if any, stays), and of
an identity reported more than once the last item is stored.  Within a
chunk the last occurrence simply replaces the earlier ones.  An identity
already seen in an earlier chunk may have been written already (by the
writer thread, in a transaction not yet committed), so its last item is
kept aside and written once every chunk is, and the earlier chunk's
digest is not stored: that chunk no longer describes its rows.
"""
import itertools
import operator

import sqlalchemy as sa
from oslo_config import cfg

from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.resources import registry
from delfin.task_manager.sync import digests
from delfin.task_manager.sync import statements
from delfin.task_manager.sync import tolerance
from delfin.task_manager.sync.errors import InvalidItem
from delfin.task_manager.sync.errors import InvalidItems
from delfin.task_manager.sync.errors import JobStopped
from delfin.task_manager.sync.validation import validator
from delfin.task_manager.sync.writer import Writer

CONF = cfg.CONF

# Rows inserted or deleted by one sync of a kind (and at least a fifth of
# what was stored) after which PostgreSQL's planner statistics of the table
# are refreshed.
ANALYZE_MIN_ROWS = 5000

# Identities per lookup statement: far below every backend's limit on bound
# parameters (SQLite: 32766).
_LOOKUP_BATCH = 5000
# PostgreSQL plans an IN list as a scan of the whole table once the list's
# estimated index probes (about 6 cost units a key) cost more than the scan
# (about 5000 units at 100k rows): a thousand keys get a scan up to about
# 150k rows, 250 keys only below about 35k rows, where a scan is cheap too.
# Through the index a key costs about 20 us here, through a 100k-row scan
# a batch of a thousand about 36 us a key, and the scan grows with the
# table.
_PG_LOOKUP_BATCH = 250


class KindSync(object):
    """Syncs the rows of one kind of one storage from a stream of items.

    :param checkpoint: called after each chunk with this object; raises
        `JobStopped` to abort (the job is no longer running).
    :param defer: called with work that may run after `run` returns
        (refreshing PostgreSQL's statistics of the table); by default the
        work runs at once.
    """

    def __init__(self, kind, storage_id, chunk_size=None, checkpoint=None,
                 defer=None):
        self.kind = kind
        self.storage_id = storage_id
        self.table = schema.INVENTORY[kind.name]
        self.chunk_size = chunk_size or CONF.sync.chunk_size
        self.checkpoint = checkpoint or (lambda _sync: None)
        self._defer = defer or (lambda work: work())
        self.validate = validator(kind)
        self.names = kind.field_names
        self.identity = kind.identity
        self._id_pos = [self.names.index(n) for n in self.identity]
        self._identity_of = operator.itemgetter(*self.identity)
        self._signature = digests.kind_signature(kind)
        # Digests and warning records of the last complete sync,
        # {position: (digest, record)}, and of this one's chunks in order
        # (see `digests`).
        self._stored = {}
        self._digests = []
        self._records = []
        self._digests_dropped = False
        self._counted = False
        # What this sync tolerated (see `tolerance`).
        self.warnings = tolerance.Warnings()
        # Identities of skipped items (their stored rows stay), and the
        # last items of identities repeated across chunks, written last.
        self._kept = set()
        self._late = {}
        self.items = 0
        self.inserted = self.updated = self.deleted = 0
        dialect = db_engine.get_engine().dialect
        self._dialect = dialect
        self._copy_rows = (dialect.name == 'postgresql'
                           and dialect.driver == 'psycopg2')
        self._lookup_batch = (_PG_LOOKUP_BATCH
                              if dialect.name == 'postgresql'
                              else _LOOKUP_BATCH)
        # Set by the first full chunk (see `_chunks`).
        self._writer = None
        self._insert_columns = ('id', 'storage_id') + self.names + (
            'created_at',)
        procs = statements.bind_processors(self.table, self.names, dialect)
        self._value_procs = [(i, p) for i, p in enumerate(procs) if p]
        self._time_proc = statements.bind_processors(
            self.table, ('created_at',), dialect)[0] or (lambda v: v)
        procs = statements.result_processors(self.table, self.names,
                                             dialect)
        self._result_procs = [(i, p) for i, p in enumerate(procs) if p]
        mark = statements.placeholder(dialect)
        if len(self.identity) == 1:
            self._key_sql = statements.quoted(dialect, self.identity)
            self._key_mark = mark
        else:
            self._key_sql = '(%s)' % statements.quoted(dialect,
                                                       self.identity)
            self._key_mark = '(%s)' % ', '.join([mark] * len(self.identity))
        self._select_sql = 'SELECT %s FROM %s WHERE %s = %s AND %s IN (' \
            % (statements.quoted(dialect, ('id',) + self.names),
               dialect.identifier_preparer.format_table(self.table),
               dialect.identifier_preparer.quote('storage_id'), mark,
               self._key_sql)

    @property
    def written(self):
        return {'inserted': self.inserted, 'updated': self.updated,
                'deleted': self.deleted}

    def _key(self, values):
        if len(self._id_pos) == 1:
            return values[self._id_pos[0]]
        return tuple(values[i] for i in self._id_pos)

    def _count(self):
        """The number of stored rows, and whether ``inventory_counts``
        holds it; loads the stored chunk digests."""
        with db_engine.reader() as conn:
            self._stored = digests.load(conn, self.storage_id,
                                        self.kind.name)
            stored = db_api.stored_count(conn, self.kind.name,
                                         self.storage_id)
            if stored is not None:
                return stored, True
            return conn.execute(sa.select(sa.func.count()).select_from(
                self.table).where(self.table.c.storage_id
                                  == self.storage_id)).scalar_one(), False

    def _existing(self, keys):
        """{key: (id, values)} of the chunk's rows already stored."""
        found = {}
        procs = self._result_procs
        single = len(self.identity) == 1
        pos = [1 + i for i in self._id_pos]
        with db_engine.reader() as conn:
            cursor = conn.connection.cursor()
            try:
                step = self._lookup_batch
                for lo in range(0, len(keys), step):
                    batch = keys[lo:lo + step]
                    if single:
                        params = [self.storage_id] + batch
                    else:
                        params = [self.storage_id] + [
                            v for key in batch for v in key]
                    cursor.execute(self._select_sql + ', '.join(
                        [self._key_mark] * len(batch)) + ')', tuple(params))
                    rows = cursor.fetchall()
                    if procs:
                        rows = [self._process(row) for row in rows]
                    if single:
                        p = pos[0]
                        found.update((row[p], (row[0], tuple(row[1:])))
                                     for row in rows)
                    else:
                        found.update((tuple(row[i] for i in pos),
                                      (row[0], tuple(row[1:])))
                                     for row in rows)
            finally:
                cursor.close()
        return found

    def _process(self, row):
        row = list(row)
        for i, proc in self._result_procs:
            row[1 + i] = proc(row[1 + i])
        return row

    def run(self, items):
        """Sync from ``items`` (any iterable of dicts); returns self."""
        before, counted = self._count()
        self._counted = counted
        # {identity: position of the chunk that last reported it}
        seen = {}
        try:
            matched = self._chunks(iter(items), before, seen)
        except BaseException:
            if self._writer is not None:
                self._writer.close(raise_error=False)
            raise
        if self._writer is not None:
            self._writer.close()
            self.checkpoint(self)
        if self._late:
            self._write_late()
        if before and self._kept:
            matched += self._kept_rows(seen)
        gone = before - matched
        if gone > 0:
            self._delete_unseen(seen)
        if not counted and not self.inserted and not self.deleted:
            # Nothing was written, so nothing created the count entry.
            with db_engine.writer() as conn:
                db_api.adjust_count(conn, self.kind.name, self.storage_id, 0)
        self._store_digests()
        if self.inserted + self.deleted >= max(ANALYZE_MIN_ROWS, before // 5) \
                and self._dialect.name == 'postgresql':
            self._defer(self._analyze)
        return self

    def _store_digests(self):
        """Make the stored digests those of this (complete) sync."""
        current = {i: (d, r) for i, (d, r) in enumerate(
            zip(self._digests, self._records)) if d}
        if current == self._stored and not self._digests_dropped:
            return
        try:
            with db_engine.writer() as conn:
                digests.store(conn, self.storage_id, self.kind.name, current)
        except sa.exc.IntegrityError:
            if not _storage_exists(self.storage_id):
                raise JobStopped('storage %s was deleted' % self.storage_id)
            raise

    def _drop_digests(self, conn):
        """Before the first write of this sync's rows, in its transaction:
        the stored digests no longer describe the rows."""
        if self._stored and not self._digests_dropped:
            db_api.forget_digests(conn, self.kind.name, self.storage_id)
            return True
        return False

    def _known(self, chunk, position, digest):
        """A chunk stored as it is by the last complete sync: its
        identities, those of its skipped items, and its warning record;
        None when the chunk must be checked and looked up."""
        stored = self._stored.get(position)
        if digest is None or stored is None or stored[0] != digest:
            return None
        record = stored[1]
        kept = ()
        skipped = tolerance.skipped_at(record)
        if skipped:
            identity = self.validate.identity
            kept = [k for k in (identity(chunk[i]) for i in skipped)
                    if k is not None]
            skipped = set(skipped)
            chunk = [item for i, item in enumerate(chunk)
                     if i not in skipped]
        try:
            keys = list(map(self._identity_of, chunk))
        except (KeyError, TypeError, AttributeError):
            return None
        # The stored identities are the driver's strings as they are;
        # anything else is converted by the validator.
        if len(self.identity) == 1:
            if any(k.__class__ is not str for k in keys):
                return None
        elif any(v.__class__ is not str for key in keys for v in key):
            return None
        return keys, kept, record

    def _chunks(self, iterator, before, seen):
        """Read, check and write the items chunk by chunk; returns how
        many were already stored.  From the first full chunk on, writes go
        through a `Writer` (``self._writer``, for the caller to close)."""
        matched = 0
        # Digests are trusted only beside a maintained row count: both are
        # dropped together by writes other than the sync's.
        use_digests = before > 0 and self._counted
        while True:
            chunk = list(itertools.islice(iterator, self.chunk_size))
            if not chunk:
                return matched
            self.items += len(chunk)
            full = len(chunk) == self.chunk_size
            digest = digests.chunk_digest(self._signature, chunk)
            position = len(self._digests)
            self._digests.append(digest)
            self._records.append(None)
            known = self._known(chunk, position, digest) \
                if use_digests else None
            if known is not None and seen.keys().isdisjoint(known[0]):
                keys, kept, record = known
                size = len(seen)
                seen.update(zip(keys, itertools.repeat(position)))
                matched += len(seen) - size
                self._kept.update(kept)
                self._records[position] = record
                if record is not None:
                    self.warnings.merge(tolerance.from_record(record))
                self.checkpoint(self)
                continue
            rows = self._check(chunk, position)
            del chunk
            if not seen.keys().isdisjoint(rows):
                rows = self._repeated(rows, position, seen)
            seen.update(zip(rows, itertools.repeat(position)))
            found = self._existing(list(rows)) if before else {}
            matched += len(found)
            inserts, updates = self._diff(rows.items(), found)
            del rows, found
            if self._writer is None and full:
                # More chunks are likely: overlap their writes.
                self._writer = Writer(self._write)
            if self._writer is not None:
                self._writer.put(inserts, updates)
            else:
                self._write(inserts, updates)
            self.checkpoint(self)

    def _check(self, chunk, position):
        """{identity: column values} of a chunk's storable items, the last
        of each identity; what was tolerated goes to the chunk's record and
        the kind's warnings."""
        fast, key_of = self.validate.fast, self._key
        rows = {}
        odd = None
        for index, item in enumerate(chunk):
            try:
                values = fast(item)
            except AttributeError:
                values = None   # not a dict
            if values is None:
                if odd is None:
                    odd = tolerance.ChunkWarnings()
                values = self._odd(item, index, odd)
                if values is None:
                    continue
            key = key_of(values)
            if key in rows:
                if odd is None:
                    odd = tolerance.ChunkWarnings()
                odd.add(tolerance.DUPLICATE, key,
                        message='reported again; the last one is stored')
            rows[key] = values
        if odd:
            self._records[position] = odd.record()
            self.warnings.merge(odd)
        return rows

    def _odd(self, item, index, odd):
        """The general path of `_check`: the item's column values, or None
        when it cannot be stored."""
        try:
            values, unknown = self.validate.check(item)
        except InvalidItem as e:
            odd.skip(index, e.native_id, e.field, e.value, e.reason)
            if e.native_id is not None:
                self._kept.add(e.native_id)
            return None
        if unknown:
            key = self._key(values)
            for name, value in unknown:
                odd.add(tolerance.UNKNOWN_VALUE, key, name, value)
        return values

    def _repeated(self, rows, position, seen):
        """Set aside the rows of identities an earlier chunk reported:
        their last items are written after every chunk (`_write_late`);
        returns the others."""
        fresh = {}
        for key, values in rows.items():
            earlier = seen.get(key)
            if earlier is None:
                fresh[key] = values
                continue
            self.warnings.add(tolerance.DUPLICATE, key,
                              message='reported again; the last one is '
                                      'stored')
            # That chunk's rows are no longer its items.
            self._digests[earlier] = None
            seen[key] = position
            self._late[key] = values
        return fresh

    def _write_late(self):
        """Write the last items of identities repeated across chunks, once
        the writes of every chunk are committed."""
        late = list(self._late.items())
        self._late = {}
        for lo in range(0, len(late), self.chunk_size):
            rows = late[lo:lo + self.chunk_size]
            found = self._existing([key for key, _ in rows])
            self._write(*self._diff(rows, found))
        self.checkpoint(self)

    def _kept_rows(self, seen):
        """How many stored rows belong to skipped items alone."""
        keys = [key for key in self._kept if key not in seen]
        return len(self._existing(keys)) if keys else 0

    def _analyze(self):
        # PostgreSQL plans a new or much changed table from stale
        # statistics until autovacuum gets to it (up to a minute or more),
        # and meanwhile sorts whole storages to serve one list page.
        with db_engine.writer() as conn:
            conn.exec_driver_sql('ANALYZE %s' % self._dialect.
                                 identifier_preparer.format_table(
                                     self.table))

    def _prepare(self, values):
        if not self._value_procs:
            return values
        values = list(values)
        for i, proc in self._value_procs:
            if values[i] is not None:
                values[i] = proc(values[i])
        return tuple(values)

    def _diff(self, rows, existing):
        """What a checked chunk changes: the rows to insert, ready for
        `bulk_insert`, and {changed column positions: parameters} of the
        rows to update.  Made here, in the thread that reads the driver,
        so that the writer's thread only runs the statements."""
        now = db_api.utcnow()
        stamp = self._time_proc(now)
        head = (self.storage_id,)
        tail = (stamp,)
        prepare = self._prepare
        if existing:
            new = [values for key, values in rows if key not in existing]
        else:
            new = [values for _key, values in rows]
        ids = db_api.new_ids(len(new))
        inserts = [(row_id,) + head + prepare(values) + tail
                   for row_id, values in zip(ids, new)]
        updates = {}
        for key, values in rows:
            old = existing.get(key)
            if old is None or old[1] == values:
                continue
            row_id, old_values = old
            changed = tuple(i for i, (a, b) in enumerate(
                zip(old_values, values)) if a != b)
            new_values = prepare(values)
            updates.setdefault(changed, []).append(
                tuple(new_values[i] for i in changed) + (stamp, row_id))
        if inserts and self._copy_rows:
            inserts = statements.CopyRows(inserts)
        return inserts, updates

    def _write(self, inserts, updates, conn=None):
        if not inserts and not updates:
            return
        try:
            with db_engine.writer(conn) as conn:
                dropped = self._drop_digests(conn)
                statements.bulk_insert(conn, self.table,
                                       self._insert_columns, inserts)
                if inserts:
                    db_api.adjust_count(conn, self.kind.name,
                                        self.storage_id, len(inserts))
                for changed, params in updates.items():
                    statements.bulk_update(conn, self.table,
                                           [self.names[i] for i in changed]
                                           + ['updated_at'], params)
            self._digests_dropped |= dropped
        except (sa.exc.IntegrityError,
                self._dialect.loaded_dbapi.IntegrityError) as e:
            # (The batch helpers run on the DB driver's own cursor, whose
            # errors SQLAlchemy does not wrap.)
            if not _storage_exists(self.storage_id):
                raise JobStopped('storage %s was deleted' % self.storage_id)
            raise InvalidItems('Could not store %s rows: %s'
                               % (self.kind.name, getattr(e, 'orig', e)))
        self.inserted += len(inserts)
        self.updated += sum(len(p) for p in updates.values())

    def _delete_unseen(self, seen):
        """Delete the storage's rows whose identity was not reported (nor
        kept by a skipped item).

        Walks the storage's rows in (created_at, id) order, the order of
        the storage's own index, a page at a time.
        """
        t = self.table
        key_cols = [t.c[n] for n in self.identity]
        kept = self._kept
        last = None
        gone = []
        while True:
            stmt = sa.select(t.c.id, t.c.created_at, *key_cols).where(
                t.c.storage_id == self.storage_id)
            if last is not None:
                created, row_id = last
                stmt = stmt.where(t.c.created_at >= created, sa.or_(
                    t.c.created_at > created,
                    sa.and_(t.c.created_at == created, t.c.id > row_id)))
            stmt = stmt.order_by(t.c.created_at, t.c.id).limit(
                self.chunk_size)
            with db_engine.reader() as conn:
                page = conn.execute(stmt).all()
            if not page:
                break
            last = (page[-1][1], page[-1][0])
            for row in page:
                key = row[2] if len(key_cols) == 1 else tuple(row[2:])
                if key not in seen and key not in kept:
                    gone.append(row[0])
            while len(gone) >= 1000:
                self._delete(gone[:1000])
                del gone[:1000]
        if gone:
            self._delete(gone)

    def _delete(self, ids):
        t = self.table
        with db_engine.writer() as conn:
            dropped = self._drop_digests(conn)
            count = conn.execute(sa.delete(t).where(
                t.c.id.in_(ids), t.c.storage_id == self.storage_id)).rowcount
            if count:
                db_api.adjust_count(conn, self.kind.name, self.storage_id,
                                    -count)
        self._digests_dropped |= dropped
        self.deleted += count


def _storage_exists(storage_id):
    with db_engine.reader() as conn:
        return conn.execute(sa.select(schema.storages.c.id).where(
            schema.storages.c.id == storage_id)).first() is not None


def sync_kind(kind, storage_id, items, chunk_size=None, checkpoint=None):
    """Make the stored rows of ``kind`` of ``storage_id`` match ``items``.

    :param kind: a registry kind or its name.
    :returns: the finished `KindSync` (``items``, ``inserted``,
        ``updated``, ``deleted``, ``warnings``).
    :raises InvalidItems: the rows could not be written.
    :raises JobStopped: ``checkpoint`` said so, or the storage is gone.
    """
    if isinstance(kind, str):
        kind = registry.by_name(kind)
    return KindSync(kind, storage_id, chunk_size, checkpoint).run(items)
