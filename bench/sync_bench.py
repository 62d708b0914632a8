#!/usr/bin/env python3
"""Sync and list benchmark: a fake storage with N volumes on SQLite and
PostgreSQL.

For each database and size it reports, each case in its own process (so
that peak RSS is the case's own):

* register+sync: from ``discover_storage`` (the registration's one driver
  call) through the storage row, the sync job and the whole sync of every
  resource kind from empty, until the rows are listable;
* the floor: a plain chunked bulk insert of the same volume rows into an
  empty database of the same kind (rows prepared beforehand, untimed), the
  least any sync could spend writing them: the sync engine's own bulk
  statement (multi-row INSERTs on SQLite, COPY on PostgreSQL), 5000 rows at
  a time, all in one transaction on the bulk writer's connection;
* unchanged re-sync: time, and rows written (must be 0);
* 1000-row pages of the storage's volumes with their total, through the
  repository, at random depths by marker: p50 and p95; the same through
  the HTTP API (webob requests to the WSGI app) when it is installed;
* a full marker walk of the storage's volumes (1000 per page, with total);
* the query plan of a deep keyset page;
* peak RSS (ru_maxrss) of the register+sync process and of the floor.

Other kinds are proportionate to the volume count (pools, disks, hosts...).

With ``--odd RATIO`` each size also runs a register+sync where that share
of the driver's volumes carry odd values, in turn a status outside the
vocabulary (stored as given), the native id of the volume before (the
last one is stored) and a capacity that is not a number (the volume is
skipped): its sync and re-sync times beside the plain ones, and whether
the job's warnings count exactly what was planted.

Usage (from the repository root)::

    .venv/bin/python bench/sync_bench.py                  # 10k and 100k
    .venv/bin/python bench/sync_bench.py --sizes 1000000 --backends sqlite
    .venv/bin/python bench/sync_bench.py --sizes 100000 --odd 0.1
    DELFIN_BENCH_PG_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/sync_bench.py --backends postgresql

PostgreSQL runs in a new database created beside the one of the URL and
dropped afterwards.
"""
import argparse
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

PG_URL = (os.environ.get('DELFIN_BENCH_PG_URL')
          or os.environ.get('DELFIN_TEST_PG_URL')
          or 'postgresql+psycopg2://postgres@127.0.0.1:5432/test')

TARGETS = {
    # (size, backend): {metric: limit}
    (100000, 'sqlite'): {'sync_s': 1.0, 'floor_ratio': 3.0,
                         'resync_s': 0.5, 'page_p50_ms': 25,
                         'walk_s': 2.0},
    (100000, 'postgresql'): {'sync_s': 4.0, 'resync_s': 0.5,
                             'page_p50_ms': 25, 'walk_s': 2.0},
    (1000000, 'sqlite'): {'sync_s': 15.0, 'rss_mb': 300},
    (1000000, 'postgresql'): {'sync_s': 15.0, 'rss_mb': 300},
}


def shape(volumes):
    """Fake driver options for a storage with ``volumes`` volumes."""
    def n(div, low=1):
        return max(low, volumes // div)

    def r(count):
        return '%d-%d' % (count, count)
    return {
        'fake_volume_range': r(volumes),
        'fake_pool_range': r(n(1000)),
        'fake_controller_range': r(2),
        'fake_port_range': r(n(1000, 4)),
        'fake_disk_range': r(n(100)),
        'fake_filesystem_range': r(n(1000)),
        'fake_qtree_range': r(n(1000)),
        'fake_quota_range': r(n(1000)),
        'fake_share_range': r(n(1000)),
        'fake_host_range': r(n(100)),
        'fake_initiator_range': r(2),
        'fake_host_group_range': r(n(1000)),
        'fake_port_group_range': r(n(5000)),
        'fake_volume_group_range': r(n(1000)),
        'fake_masking_view_range': r(n(100)),
        'fake_page_query_limit': '5000',
    }


# -- runs inside a case process ---------------------------------------------

def _setup(url):
    from oslo_config import cfg
    import delfin.conf  # noqa: F401
    cfg.CONF([], project='delfin', default_config_files=[])
    cfg.CONF.set_override('connection', url, group='database')
    from delfin.db import engine as db_engine
    from delfin.db import migration
    engine = db_engine.create_engine(url)
    db_engine.set_engine(engine)
    migration.upgrade(engine)
    # As in every service process (`delfin.cmd.serve`).
    db_engine.start_log_checkpoints()
    return engine


def _register(volumes):
    """discover + storage/access rows, as the API's registration does."""
    from delfin import context
    from delfin.db import api as db_api
    from delfin.drivers import api as driver_api
    storage_id = db_api.new_id()
    access = {'vendor': 'fake_storage', 'model': 'fake_driver',
              'rest': {'host': '192.0.2.10', 'port': 8443,
                       'username': 'admin', 'password': 'unused'},
              'extra_attributes': shape(volumes), 'storage_id': storage_id}
    found = driver_api.API().discover_storage(context.get_admin_context(),
                                              access)
    values = {k: found[k] for k in found if k != 'id'}
    values.update(id=storage_id, sync_status=0, deleted=False)
    db_api.create('storage', values)
    db_api.create('access_info', access)
    return storage_id


def _sync(storage_id, warnings=None):
    from delfin import context
    from delfin.task_manager import jobs
    from delfin.task_manager import sync
    job = jobs.create_sync_job(storage_id)
    state = sync.run_sync_job(context.get_admin_context(), job['id'])
    job = jobs.get_job(job['id'])
    if state != 'succeeded':
        raise RuntimeError('sync %s: %s' % (state, job['error']))
    written = sum(sum(p.get('written', {}).values())
                  for p in job['progress'].values())
    items = sum(p.get('items') or 0 for p in job['progress'].values())
    if warnings is not None:
        warnings.append({kind: p['warnings']
                         for kind, p in job['progress'].items()
                         if p.get('warnings')})
    return written, items


ODD_REASONS = ('unknown_value', 'duplicate', 'skipped')


def _odd_at(volumes, ratio):
    """{index: reason} of the volumes made odd: one in every 1/ratio."""
    step = max(1, int(round(1 / ratio)))
    return {i: ODD_REASONS[(i // step) % len(ODD_REASONS)]
            for i in range(step - 1, volumes, step)}


def _plant_odd_volumes(volumes, ratio):
    """Make the driver facade hand the sync volumes of which ``ratio``
    carry odd values (see the module's docstring); returns the warnings
    the job must count."""
    from delfin.drivers import api as driver_api
    odd = _odd_at(volumes, ratio)
    real = driver_api.API.list_resources

    def planted(items):
        previous = None
        for i, item in enumerate(items):
            reason = odd.get(i)
            if reason == 'unknown_value':
                item['status'] = 'vendor-degraded'
            elif reason == 'duplicate':
                item = dict(previous)
            elif reason == 'skipped':
                item['total_capacity'] = 'n/a'
            previous = item
            yield item

    def list_resources(self, context, storage_id, kind):
        items = real(self, context, storage_id, kind)
        name = kind if isinstance(kind, str) else kind.name
        return planted(items) if name == 'volume' else items
    driver_api.API.list_resources = list_resources
    expected = dict.fromkeys(ODD_REASONS, 0)
    for reason in odd.values():
        expected[reason] += 1
    return expected


def _percentiles(samples):
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return p50 * 1000, p95 * 1000


def _pages(storage_id, total, count=60):
    """p50/p95 of 1000-row pages with total at random marker depths."""
    from delfin.db import api as db_api
    filters = {'storage_id': storage_id}
    # Markers of full pages, the last one excluded (its page is empty).
    markers = [None]
    walk_start = time.perf_counter()
    marker = None
    pages = 0
    while True:
        rows, _total = db_api.list_rows('volume', filters, limit=1000,
                                        marker=marker, with_total=True)
        pages += 1
        if len(rows) < 1000:
            break
        marker = rows[-1]['id']
        markers.append(marker)
    if len(markers) > 1 and pages > 1 and len(rows) == 0:
        markers.pop()
    walk = time.perf_counter() - walk_start
    rng = random.Random(1)
    samples = []
    for _ in range(count):
        m = rng.choice(markers)
        t = time.perf_counter()
        rows, n = db_api.list_rows('volume', filters, limit=1000, marker=m,
                                   with_total=True)
        samples.append(time.perf_counter() - t)
        assert n == total
    p50, p95 = _percentiles(samples)
    return {'page_p50_ms': round(p50, 1), 'page_p95_ms': round(p95, 1),
            'walk_s': round(walk, 3), 'walk_pages': pages}, markers


def _http_pages(storage_id, markers, count=40):
    try:
        import webob
        from delfin.api import app as api_app
    except ImportError:
        return {}
    app = api_app.make_app()
    rng = random.Random(2)
    samples = []
    for _ in range(count):
        m = rng.choice(markers)
        path = '/v1/volumes?storage_id=%s&limit=1000' % storage_id
        if m:
            path += '&marker=%s' % m
        t = time.perf_counter()
        resp = webob.Request.blank(path).get_response(app)
        body = json.loads(resp.body)
        samples.append(time.perf_counter() - t)
        if resp.status_int != 200 or body.get('total') is None:
            raise RuntimeError('GET %s: %s %s' % (path, resp.status,
                                                  resp.body[:200]))
    walk_start = time.perf_counter()
    marker, pages = None, 0
    while True:
        path = '/v1/volumes?storage_id=%s&limit=1000' % storage_id
        if marker:
            path += '&marker=%s' % marker
        body = json.loads(webob.Request.blank(path).get_response(app).body)
        pages += 1
        if len(body['volumes']) < 1000:
            break
        marker = body['volumes'][-1]['id']
    walk = time.perf_counter() - walk_start
    p50, p95 = _percentiles(samples)
    return {'http_page_p50_ms': round(p50, 1),
            'http_page_p95_ms': round(p95, 1),
            'http_walk_s': round(walk, 3)}


def _plan(engine, storage_id, marker):
    import sqlalchemy as sa
    from delfin.db import api as db_api
    seen = []

    def record(conn, cursor, statement, parameters, context, many):
        seen.append((statement, parameters))
    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        db_api.list_rows('volume', {'storage_id': storage_id}, limit=1000,
                         marker=marker)
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)
    statement, parameters = seen[-1]
    prefix = 'EXPLAIN QUERY PLAN ' if engine.dialect.name == 'sqlite' \
        else 'EXPLAIN ANALYZE '
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    return [str(r[-1]) for r in rows]


def case_sync(url, volumes, http, odd=None):
    engine = _setup(url)
    expected = _plant_odd_volumes(volumes, odd) if odd else None
    warnings = []
    t = time.perf_counter()
    storage_id = _register(volumes)
    written, items = _sync(storage_id, warnings)
    sync_s = time.perf_counter() - t
    rss_sync = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    from delfin.db import api as db_api
    total = db_api.count('volume', {'storage_id': storage_id})
    stored = volumes - (expected['duplicate'] + expected['skipped']
                        if expected else 0)
    assert total == stored, (total, stored)
    t = time.perf_counter()
    rewritten, _ = _sync(storage_id, warnings)
    resync_s = time.perf_counter() - t
    out = {'sync_s': round(sync_s, 3), 'items': items, 'rows': written,
           'resync_s': round(resync_s, 3), 'resync_rows': rewritten,
           'rss_mb': round(rss_sync, 1)}
    if expected is not None:
        got = [{r: w.get('volume', {}).get(r) for r in ODD_REASONS}
               for w in warnings]
        out['warnings'] = got[0]
        out['warnings_expected'] = expected
        out['warnings_exact'] = got == [expected, expected] and all(
            set(w) == {'volume'} for w in warnings)
        return out
    if volumes <= 200000:
        pages, markers = _pages(storage_id, total)
        out.update(pages)
        if http:
            out.update(_http_pages(storage_id, markers))
        out['plan'] = _plan(engine, storage_id,
                            markers[len(markers) // 2])
    return out


def case_floor(url, volumes):
    """Plain chunked bulk INSERT of the same volume rows."""
    engine = _setup(url)
    from delfin import context
    from delfin.db import api as db_api
    from delfin.db import engine as db_engine
    from delfin.db import schema
    from delfin.drivers import api as driver_api
    from delfin.task_manager import sync
    storage_id = _register(volumes)
    api = driver_api.API()
    table = schema.INVENTORY['volume']
    names = sync.validator(sync.registry.by_name('volume')).names
    columns = ('id', 'storage_id') + names + ('created_at',)
    stamp = sync.bind_processors(table, ('created_at',), engine.dialect)[0]
    items = api.list_resources(context.get_admin_context(), storage_id,
                               'volume')

    def chunks():
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == 5000:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # One transaction on one connection with the bulk writer's settings
    # (leaving `bulk_writer` checkpoints SQLite's write-ahead log).  Only
    # the database's work counts: not the driver's items, nor making rows
    # of them (a chunk at a time, so that memory stays at a chunk).
    spent = 0.0
    t = time.perf_counter()
    with db_engine.bulk_writer() as conn:
        with db_engine.writer(conn):
            spent += time.perf_counter() - t
            for chunk in chunks():
                ids = db_api.new_ids(len(chunk))
                now = db_api.utcnow()
                now = stamp(now) if stamp else now
                rows = [(i, storage_id) + tuple(item.get(n) for n in names)
                        + (now,) for i, item in zip(ids, chunk)]
                t = time.perf_counter()
                sync.bulk_insert(conn, table, columns, rows)
                spent += time.perf_counter() - t
            t = time.perf_counter()
    spent += time.perf_counter() - t
    return {'floor_s': round(spent, 3), 'floor_rss_mb': round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}


# -- the driver process -------------------------------------------------------

class _Database(object):
    """A fresh database for one case."""

    def __init__(self, backend, tmpdir):
        self.backend = backend
        self.tmpdir = tmpdir
        self.name = None

    def __enter__(self):
        if self.backend == 'sqlite':
            path = os.path.join(self.tmpdir, 'bench-%s.sqlite'
                                % secrets.token_hex(4))
            self.url = 'sqlite:///%s' % path
            return self.url
        import sqlalchemy as sa
        base = sa.engine.make_url(PG_URL)
        self.name = 'delfin_bench_%s' % secrets.token_hex(4)
        admin = sa.create_engine(base, isolation_level='AUTOCOMMIT')
        with admin.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE %s' % self.name)
        admin.dispose()
        self.url = base.set(database=self.name).render_as_string(
            hide_password=False)
        return self.url

    def __exit__(self, *exc):
        if self.name:
            import sqlalchemy as sa
            admin = sa.create_engine(sa.engine.make_url(PG_URL),
                                     isolation_level='AUTOCOMMIT')
            with admin.connect() as conn:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                                     % self.name)
            admin.dispose()


def _run_case(kind, url, volumes, http, odd=None):
    cmd = [sys.executable, os.path.abspath(__file__), '--case', kind,
           '--url', url, '--volumes', str(volumes)]
    if http:
        cmd.append('--http')
    if odd:
        cmd += ['--odd', str(odd)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError('%s case failed:\n%s' % (kind, proc.stderr[-4000:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _verdict(result, size, backend):
    limits = TARGETS.get((size, backend), {})
    notes = []
    for metric, limit in limits.items():
        value = result.get(metric)
        if value is None:
            continue
        notes.append('%s %s (target <= %s)' % (
            'ok  ' if value <= limit else 'MISS', metric, limit))
    if result.get('resync_rows'):
        notes.append('MISS resync_rows %s (target 0)' % result['resync_rows'])
    return notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', default='10000,100000',
                        help='volume counts, comma separated')
    parser.add_argument('--backends', default='sqlite,postgresql')
    parser.add_argument('--no-http', action='store_true',
                        help='skip the HTTP API page measurements')
    parser.add_argument('--odd', type=float, metavar='RATIO',
                        help='also sync a driver whose volumes carry odd '
                             'values in this share (e.g. 0.1)')
    parser.add_argument('--case', help=argparse.SUPPRESS)
    parser.add_argument('--url', help=argparse.SUPPRESS)
    parser.add_argument('--volumes', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--http', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.case:
        import logging
        logging.disable(logging.WARNING)
        if args.case == 'sync':
            out = case_sync(args.url, args.volumes, args.http, args.odd)
        else:
            out = case_floor(args.url, args.volumes)
        print(json.dumps(out))
        return 0

    sizes = [int(s) for s in args.sizes.split(',') if s]
    backends = [b for b in args.backends.split(',') if b]
    print('load average before: %s' % ' '.join(
        '%.2f' % x for x in os.getloadavg()))
    failures = 0
    with tempfile.TemporaryDirectory(prefix='delfin-bench-') as tmpdir:
        for backend in backends:
            for size in sizes:
                with _Database(backend, tmpdir) as url:
                    result = _run_case('sync', url, size, not args.no_http)
                with _Database(backend, tmpdir) as url:
                    result.update(_run_case('floor', url, size, False))
                result['floor_ratio'] = round(
                    result['sync_s'] / result['floor_s'], 2) \
                    if result['floor_s'] else None
                plan = result.pop('plan', None)
                print('\n== %s, %d volumes (%d items of all kinds) =='
                      % (backend, size, result['items']))
                for key in ('sync_s', 'floor_s', 'floor_ratio', 'rows',
                            'resync_s', 'resync_rows', 'page_p50_ms',
                            'page_p95_ms', 'walk_s', 'walk_pages',
                            'http_page_p50_ms', 'http_page_p95_ms',
                            'http_walk_s', 'rss_mb', 'floor_rss_mb'):
                    if key in result:
                        print('  %-18s %s' % (key, result[key]))
                if plan:
                    print('  plan of a deep keyset page:')
                    for line in plan[:6]:
                        print('    %s' % line)
                for note in _verdict(result, size, backend):
                    failures += note.startswith('MISS')
                    print('  %s' % note)
                if args.odd:
                    with _Database(backend, tmpdir) as url:
                        odd = _run_case('sync', url, size, False, args.odd)
                    print('  -- %d%% of the volumes odd --'
                          % round(args.odd * 100))
                    for key in ('sync_s', 'resync_s', 'resync_rows',
                                'rss_mb', 'warnings', 'warnings_expected'):
                        print('  %-18s %s' % (key, odd[key]))
                    print('  %-18s %.2f' % ('sync_s odd/plain',
                                            odd['sync_s'] / result['sync_s']))
                    exact = odd['warnings_exact'] and not odd['resync_rows']
                    failures += not exact
                    print('  %s warnings exact on sync and re-sync, re-sync '
                          'writes nothing' % ('ok  ' if exact else 'MISS'))
    print('\nload average after: %s' % ' '.join(
        '%.2f' % x for x in os.getloadavg()))
    print('targets missed: %d' % failures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
