"""Import of a Delfin 1.x database: storages, access, alert sources and
inventory move over with their ids.

``delfin-manage import-delfin --from DB_URL [--dry-run]`` reads the
database of a Delfin 1.x installation (SQLite or MySQL/MariaDB, as Delfin
deployed it) and writes into this service's database:

* the storages that are not soft-deleted, with their ids, so that scripts
  and dashboards holding those ids keep working;
* their access information, each password re-encrypted with this service's
  keys (`delfin.cryptor.encode`): Delfin stored passwords base64-encoded;
* their SNMP configurations (Delfin's ``alert_source`` table), communities
  and keys re-encrypted the same way;
* their inventory (pools, volumes, ..., masking views and the group
  membership rows), with ids.

Nothing is ever written to the Delfin database: it is only read (SQLite is
opened read-only, MySQL in a read-only transaction).  Everything is written
in one transaction, so an import either happens whole or not at all, and
a storage already in this database is left as it is with everything of it:
a second run changes nothing.  A row that cannot be imported is skipped and
reported with the reason (a storage whose serial number is registered here
under another id, a password that is not Delfin's base64, a row of a
storage that is not imported, a second row with the same native id, ...).

Each imported storage then gets a sync job (trigger ``import``), handed to
the task nodes at once; a job whose request finds no task node is picked up
by the periodic sync within ``[sync] requeue_after`` seconds.
"""
import base64
import binascii
import collections
import datetime
import json
import sqlite3

import sqlalchemy as sa
from oslo_log import log as logging

from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.resources import registry

LOG = logging.getLogger(__name__)

SECTIONS = ('rest', 'ssh', 'cli', 'smis')
ALERT_SOURCE_SECRETS = ('community_string', 'auth_key', 'privacy_key')
ALERT_SOURCE_COLUMNS = ('host', 'version', 'community_string', 'username',
                        'security_level', 'auth_key', 'auth_protocol',
                        'privacy_protocol', 'privacy_key', 'engine_id',
                        'context_name', 'port', 'retry_num', 'expiration')
# Delfin's table of each inventory kind, where its name differs.
DELFIN_TABLE_OF = {'quota': 'quota'}
# Delfin tables that are not imported, and why.
NOT_IMPORTED = {
    'tasks': "Delfin's performance collection schedule; this service "
             "plans collection from the drivers' capabilities",
    'failed_tasks': "Delfin's retries of failed performance collection",
}
BATCH = 5000


class NotADelfinDatabase(Exception):
    pass


class Report(object):
    """What an import did (or, dry, would do), per table."""

    def __init__(self):
        self.imported = collections.Counter()
        self.present = collections.Counter()
        # table -> reason -> [ids]
        self.skipped = collections.defaultdict(
            lambda: collections.defaultdict(list))
        self.not_imported = {}
        self.storages = []          # ids of the storages imported
        self.sync_jobs = []
        self.dry_run = False
        self.seconds = 0.0

    def skip(self, table, row_id, why):
        self.skipped[table][why].append(row_id)

    def skipped_count(self, table):
        return sum(len(ids) for ids in self.skipped[table].values())

    def tables(self):
        names = set(self.imported) | set(self.present) | set(self.skipped)
        order = ['storages', 'access_info', 'alert_source']
        return order + sorted(names - set(order))

    def lines(self, examples=3):
        verb = 'would be imported' if self.dry_run else 'imported'
        out = ['%-28s %10s %10s %10s' % ('Delfin table', verb.split()[-1],
                                         'present', 'skipped')]
        for table in self.tables():
            out.append('%-28s %10d %10d %10d' % (
                table, self.imported[table], self.present[table],
                self.skipped_count(table)))
        for table in self.tables():
            for why, ids in sorted(self.skipped[table].items()):
                shown = ', '.join(str(i) for i in ids[:examples])
                more = ', ...' if len(ids) > examples else ''
                out.append('skipped %d of %s: %s (%s%s)'
                           % (len(ids), table, why, shown, more))
        for table, why in sorted(self.not_imported.items()):
            out.append('not imported: %s: %s' % (table, why))
        if self.dry_run:
            out.append('Dry run: nothing was written.')
        else:
            out.append('%d storage(s) imported in %.1f s; sync jobs: %d'
                       % (len(self.storages), self.seconds,
                          len(self.sync_jobs)))
        return out


def open_source(url):
    """An engine that can only read the Delfin database at ``url``."""
    url = sa.engine.make_url(url)
    if url.get_backend_name() == 'sqlite':
        path = url.database
        if not path or path == ':memory:':
            raise NotADelfinDatabase('an SQLite database needs a file path')

        def connect():
            return sqlite3.connect('file:%s?mode=ro' % path, uri=True,
                                   check_same_thread=False)
        return sa.create_engine('sqlite://', creator=connect,
                                poolclass=sa.pool.StaticPool)
    return sa.create_engine(url, pool_pre_ping=True)


def _read_only(conn):
    """Make the transactions of ``conn`` read-only where the server can."""
    if conn.dialect.name == 'mysql':
        conn.exec_driver_sql('SET SESSION TRANSACTION READ ONLY')
        conn.rollback()
    return conn


def _delfin_plain(value):
    """The text of a value Delfin's base64 cryptor encoded."""
    if not isinstance(value, str):
        raise ValueError('not text')
    try:
        return base64.b64decode(value.encode('ascii'),
                                validate=True).decode('utf-8')
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError(str(exc))


def _json(value):
    """A JSON column of Delfin (text; None was stored as {})."""
    if value is None or isinstance(value, dict):
        doc = value
    else:
        try:
            doc = json.loads(value)
        except ValueError:
            raise ValueError('not a JSON document')
    return doc or None


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class _Source(object):
    """The tables of the Delfin database, reflected."""

    def __init__(self, engine):
        self.engine = engine
        self.names = set(sa.inspect(engine).get_table_names())
        missing = {'storages', 'access_info'} - self.names
        if missing:
            raise NotADelfinDatabase(
                'no %s table: not a Delfin database'
                % ', '.join(sorted(missing)))
        self.meta = sa.MetaData()
        self._tables = {}

    def table(self, name):
        if name not in self._tables:
            self._tables[name] = sa.Table(name, self.meta,
                                          autoload_with=self.engine)
        return self._tables[name]

    def has(self, name):
        return name in self.names

    def rows(self, conn, name):
        table = self.table(name)
        result = conn.execution_options(stream_results=True).execute(
            sa.select(table))
        keys = list(result.keys())
        for chunk in result.partitions(BATCH):
            for row in chunk:
                yield dict(zip(keys, row))


class _Planner(object):
    """Decides, row by row, what is imported."""

    def __init__(self, source, conn, target_conn, report, encode):
        self.source = source
        self.conn = conn
        self.target = target_conn
        self.report = report
        self.encode = encode
        self.importing = {}          # storage id -> storage values
        self.present = set()         # storage ids already here
        self.storage_fate = {}       # Delfin storage id -> why not imported

    # -- storages, access info, alert sources --------------------------

    def storages(self):
        existing = {r.id: r.serial_number for r in self.target.execute(
            sa.select(schema.storages.c.id, schema.storages.c.serial_number))}
        serials = {s: i for i, s in existing.items() if s}
        access = {r['storage_id']: r
                  for r in self.source.rows(self.conn, 'access_info')}
        plans = {}
        for row in self.source.rows(self.conn, 'storages'):
            sid = row['id']
            why = self._storage_problem(row, existing, serials, access)
            if why == 'present':
                self.present.add(sid)
                self.report.present['storages'] += 1
                continue
            if why is not None:
                self.storage_fate[sid] = why
                self.report.skip('storages', sid, why)
                continue
            try:
                info = self._access_values(access[sid])
            except ValueError as exc:
                why = 'access info: %s' % exc
                self.storage_fate[sid] = why
                self.report.skip('storages', sid, why)
                continue
            serials[row['serial_number']] = sid
            plans[sid] = (self._storage_values(row), info)
        for sid, (values, info) in plans.items():
            self.importing[sid] = values
            self.report.imported['storages'] += 1
            self.report.imported['access_info'] += 1
        for sid, row in access.items():
            if sid in self.present:
                self.report.present['access_info'] += 1
            elif sid not in self.importing:
                self.report.skip('access_info', sid, self._orphan_why(sid))
        return [p[0] for p in plans.values()], [p[1] for p in plans.values()]

    def _storage_problem(self, row, existing, serials, access):
        sid = row['id']
        if sid in existing:
            return 'present'
        if row.get('deleted'):
            return 'deleted in Delfin'
        if sid not in access:
            return 'no access info'
        serial = row.get('serial_number')
        if not serial:
            return 'no serial number'
        if serial in serials:
            return ('serial number %s already registered as storage %s'
                    % (serial, serials[serial]))
        info = access[sid]
        if not info.get('vendor') or not info.get('model'):
            return 'access info names no vendor and model'
        return None

    def _orphan_why(self, storage_id):
        return self.storage_fate.get(
            storage_id, 'its storage is not in Delfin (a leftover row)')

    @staticmethod
    def _storage_values(row):
        values = {f: row.get(f) for f in registry.STORAGE.field_names}
        values.update(id=row['id'], sync_status=0, deleted=False,
                      deleted_at=None,
                      created_at=row.get('created_at') or _now(),
                      updated_at=row.get('updated_at'))
        return values

    def _access_values(self, row):
        values = {'storage_id': row['storage_id'],
                  'storage_name': row.get('storage_name'),
                  'vendor': row['vendor'], 'model': row['model'],
                  'created_at': row.get('created_at') or _now(),
                  'updated_at': row.get('updated_at')}
        for name in SECTIONS:
            try:
                section = _json(row.get(name))
            except ValueError as exc:
                raise ValueError('%s: %s' % (name, exc))
            if section and section.get('password'):
                try:
                    plain = _delfin_plain(section['password'])
                except ValueError:
                    raise ValueError('the %s password is not base64 (was '
                                     'Delfin configured with another '
                                     'cryptor?)' % name)
                section = dict(section, password=self.encode(plain))
            values[name] = section
        try:
            values['extra_attributes'] = _json(row.get('extra_attributes'))
        except ValueError as exc:
            raise ValueError('extra_attributes: %s' % exc)
        return values

    def alert_sources(self):
        out = []
        if not self.source.has('alert_source'):
            return out
        for row in self.source.rows(self.conn, 'alert_source'):
            sid = row['storage_id']
            if sid in self.present:
                self.report.present['alert_source'] += 1
                continue
            if sid not in self.importing:
                self.report.skip('alert_source', sid, self._orphan_why(sid))
                continue
            if not row.get('host') or not row.get('version'):
                self.report.skip('alert_source', sid, 'no host or version')
                continue
            values = {k: row.get(k) for k in ALERT_SOURCE_COLUMNS}
            try:
                for name in ALERT_SOURCE_SECRETS:
                    if values[name]:
                        values[name] = self.encode(
                            _delfin_plain(values[name]))
            except ValueError:
                self.report.skip('alert_source', sid,
                                 '%s is not base64' % name)
                continue
            values.update(storage_id=sid,
                          created_at=row.get('created_at') or _now(),
                          updated_at=row.get('updated_at'))
            out.append(values)
            self.report.imported['alert_source'] += 1
        return out

    # -- inventory ------------------------------------------------------

    def inventory(self, kind):
        """(table name, columns, batch) triples: the Delfin rows of
        ``kind`` to insert, as lists in ``columns`` order."""
        name = DELFIN_TABLE_OF.get(kind.name, kind.table)
        if not self.source.has(name):
            self.report.not_imported[name] = 'not in this Delfin database'
            return
        source = self.source.table(name)
        fields = [f for f in kind.fields if f.name in source.c]
        columns = ('id', 'storage_id', 'created_at', 'updated_at') + tuple(
            f.name for f in fields)
        converters = [(i + 4, conv) for i, conv in enumerate(
            _converter(f, source.c[f.name].type) for f in fields) if conv]
        identity = [columns.index(f) for f in kind.identity]
        present, importing = self.present, self.importing
        seen = set()
        batch = []
        now = _now()
        result = self.conn.execution_options(stream_results=True).execute(
            sa.select(*[source.c[c] for c in columns]))
        for row in result:
            sid = row[1]
            if sid in present:
                self.report.present[name] += 1
                continue
            if sid not in importing:
                self.report.skip(name, row[0], self._orphan_why(sid))
                continue
            key = (sid,) + tuple(row[i] for i in identity)
            if None in key or '' in key:
                self.report.skip(name, row[0], 'no native id')
                continue
            if key in seen:
                self.report.skip(name, row[0],
                                 'another row of the storage has the same '
                                 'native id')
                continue
            values = list(row)
            if values[2] is None:
                values[2] = now
            try:
                for i, convert in converters:
                    if values[i] is not None:
                        values[i] = convert(values[i])
            except ValueError as exc:
                self.report.skip(name, row[0], str(exc))
                continue
            seen.add(key)
            batch.append(values)
            if len(batch) >= BATCH:
                yield name, columns, batch
                batch = []
        if batch:
            yield name, columns, batch


def _converter(field, source_type):
    """The conversion of a Delfin value of ``field`` (from a column of
    ``source_type``) into this service's, or None when none is needed."""
    if field.type == registry.BOOLEAN:
        return bool
    if field.type == registry.JSON:
        return _json_value
    if field.type == registry.STRING and \
            (getattr(source_type, 'length', None) or 1 << 30) > field.length:
        def checked(value, name=field.name, length=field.length):
            if len(value) > length:
                raise ValueError('%s is longer than %d characters'
                                 % (name, length))
            return value
        return checked
    return None


def _json_value(value):
    return json.loads(value) if isinstance(value, str) else value


def _untaken(conn, table, name, batch, report):
    """The rows of ``batch`` whose ids no row here has (the others are
    reported skipped)."""
    ids = [r[0] for r in batch]
    taken = {r[0] for r in conn.execute(
        sa.select(table.c.id).where(table.c.id.in_(ids)))}
    if not taken:
        return batch
    for row_id in ids:
        if row_id in taken:
            report.skip(name, row_id,
                        'its id is taken by a row of another storage here')
    return [r for r in batch if r[0] not in taken]


def _insert_untaken(conn, table, name, columns, batch, report):
    """Insert the rows of ``batch`` whose ids are free; returns them.

    The ids are the storages' new rows' own, so they are free but for
    rows copied between installations: the batch is inserted at once, and
    only when that fails are its ids looked up.
    """
    try:
        with conn.begin_nested():
            _bulk_insert(conn, table, columns, [list(r) for r in batch])
        return batch
    except (sa.exc.IntegrityError, conn.dialect.loaded_dbapi.IntegrityError):
        # (Multi-row inserts run on the driver's connection: its own error.)
        batch = _untaken(conn, table, name, batch, report)
        _bulk_insert(conn, table, columns, batch)
        return batch


def run(source_url, dry_run=False, encode=None, start_syncs=True):
    """Import the Delfin database at ``source_url``; returns a `Report`.

    ``dry_run`` reads and decides everything and writes nothing.
    """
    if encode is None:
        from delfin import cryptor
        encode = cryptor.encode
    started = datetime.datetime.now()
    report = Report()
    report.dry_run = dry_run
    report.not_imported.update(NOT_IMPORTED)
    engine = open_source(source_url)
    try:
        source = _Source(engine)
        for name in list(report.not_imported):
            if not source.has(name):
                del report.not_imported[name]
        target_transaction = db_engine.reader() if dry_run \
            else db_engine.writer()
        with engine.connect() as conn, target_transaction as target:
            _read_only(conn)
            planner = _Planner(source, conn, target, report, encode)
            storages, access = planner.storages()
            sources = planner.alert_sources()
            if not dry_run:
                _insert(target, schema.storages, storages)
                _insert(target, schema.access_info, access)
                _insert(target, schema.alert_sources, sources)
            for kind in registry.inventory_kinds():
                table = schema.TABLES[kind.name]
                for name, columns, batch in planner.inventory(kind):
                    if dry_run:
                        batch = _untaken(target, table, name, batch, report)
                    else:
                        batch = _insert_untaken(target, table, name, columns,
                                                batch, report)
                    report.imported[name] += len(batch)
            report.storages = list(planner.importing)
    finally:
        engine.dispose()
    report.seconds = (datetime.datetime.now() - started).total_seconds()
    if not dry_run and start_syncs:
        report.sync_jobs = start_sync_jobs(report.storages)
    return report


def _bulk_insert(conn, table, columns, rows):
    """Insert ``rows`` (lists in ``columns`` order) the way the sync engine
    does, in multi-row statements."""
    from delfin.task_manager import sync
    procs = [(i, p) for i, p in enumerate(
        sync.bind_processors(table, columns, conn.dialect)) if p]
    if procs:
        for row in rows:
            for i, proc in procs:
                if row[i] is not None:
                    row[i] = proc(row[i])
    sync.bulk_insert(conn, table, columns, [tuple(r) for r in rows])


def _insert(conn, table, rows):
    for i in range(0, len(rows), BATCH):
        if rows[i:i + BATCH]:
            conn.execute(table.insert(), rows[i:i + BATCH])


def start_sync_jobs(storage_ids):
    """A sync job (trigger ``import``) per storage, handed to the task
    nodes; returns the jobs created."""
    from delfin import context
    from delfin.task_manager import jobs
    from delfin.task_manager import rpcapi
    created = []
    client = None
    for storage_id in storage_ids:
        try:
            job = jobs.create_sync_job(storage_id,
                                       trigger=jobs.TRIGGER_IMPORT)
        except Exception as exc:  # noqa: BLE001  reported, not fatal
            LOG.warning("No sync job for imported storage %s: %s",
                        storage_id, exc)
            continue
        created.append(job)
        try:
            if client is None:
                client = rpcapi.TaskAPI()
            client.sync_storage(context.get_admin_context(), storage_id,
                                job['id'])
        except Exception as exc:  # noqa: BLE001  the periodic sync retries
            LOG.info("Sync job %s of imported storage %s waits for the "
                     "periodic sync: %s", job['id'], storage_id, exc)
    return created
