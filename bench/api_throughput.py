"""Throughput and latency of the REST API, against the floor of its server.

Starts ``delfin-all`` as a real process on its default configuration
(SQLite, in-process transport, the API's default threads) on a free port
of 127.0.0.1, registers 20 fake storages (19 small, one with
``--volumes`` volumes) and waits for their syncs, then prints in one run:

* requests/s, p50 and p99 at 1 and 16 connections (at 16, the median
  of ``--rounds`` turns, 3 by default, the endpoints taking turns) of:
  the floor (a hello-world WSGI application on the same server with the
  same settings, `delfin.api.server.EmbeddedServer` with the options'
  defaults and the API's switch interval, in a process of its own),
  ``GET /v1/storages`` (20 storages), ``GET /v1/storages/{id}`` and
  ``GET /v1/volumes?limit=1000`` (``--volumes`` volumes in all), and the
  ratios to the floor at 16 connections;
* a new client's wait while 1,000 idle connections are held open, and the
  requests/s of ``GET /v1/storages/{id}`` meanwhile;
* ``GET /v1/storages/{id}`` at 1 connection while 8 clients read pages
  of 1,000 volumes;
* p50, p99 and maximum of ``GET /v1/storages/{id}`` (one client, one
  request after another) while another storage with ``--volumes``
  volumes is registered and synced in the same ``delfin-all``;
* the resident memory of ``delfin-all`` idle and its peak under load.

With ``--compare`` the same endpoints (floor, storage list and show at 16
connections, and the idle-connection check) are then measured on other
WSGI servers serving the same database, each in its own process with 8
request threads: waitress (connection limit raised to 2,000), cheroot,
gunicorn with gthread workers, granian's own WSGI worker, and the embedded
server the service uses (with the options' defaults).  A server that is
not installed is skipped.

Load comes from ``wrk`` when it is installed (Debian package ``wrk``),
else from a Python load generator in this process (slower: the numbers
then say more about the generator).  Run from the repository root:
``.venv/bin/python bench/api_throughput.py [--volumes 100000]
[--duration 5] [--compare]``.  The machine's load average is printed at
the start and the end: numbers from a busy machine are not comparable.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_bench  # noqa: E402  (write_conf)
from http_load import (  # noqa: E402
    LOAD, _split, idle_check, measure, percentile, rss_kib)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SMALL = {'fake_volume_range': '10-10', 'fake_pool_range': '2-2',
         'fake_disk_range': '4-4', 'fake_qtree_range': '2-2',
         'fake_quota_range': '2-2', 'fake_share_range': '2-2'}
THREADS = 8


def hello_app(environ, start_response):
    """The floor: the least a WSGI application can do."""
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', '2')])
    return [b'{}']


# -- processes ---------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


def wait_up(url, proc, log, timeout=180):
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit('%s exited:\n%s' % (proc.args, log.read()))
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (OSError, urllib.error.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit('%s did not answer' % url)
        time.sleep(0.1)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_embedded(target, port):
    """Serve ``target`` (module:attr) with the service's embedded server
    in this process until SIGTERM."""
    import importlib
    module, _sep, attr = target.partition(':')
    sys.path.insert(0, BENCH_DIR)
    app = getattr(importlib.import_module(module), attr)
    try:
        from delfin.api import server
    except ImportError:
        # A build of the service from before the embedded server (to
        # measure it against its own floor): it served with waitress.
        import waitress
        waitress.serve(app, listen='127.0.0.1:%d' % port, threads=THREADS)
        return
    # The service's own settings: its options' defaults.
    from oslo_config import cfg
    from delfin import conf  # noqa: F401  (registers the options)
    cfg.CONF([], project='delfin', default_config_files=[])
    # As the service's API component sets it (`delfin.service.ApiServer`).
    sys.setswitchinterval(cfg.CONF.api_switch_interval / 1000.0)
    threads = server.read_threads() if hasattr(server, 'read_threads') \
        else cfg.CONF.api_threads
    options = {'backend_threads': cfg.CONF.api_backend_threads}
    if hasattr(cfg.CONF, 'api_page_threads'):
        # Builds from before the lane of pages have no such option.
        options['page_threads'] = cfg.CONF.api_page_threads
    embedded = server.EmbeddedServer(app, '127.0.0.1', port,
                                     threads=threads, **options)
    embedded.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    embedded.stop(10)


# -- the service ------------------------------------------------------------

def write_conf(tmp, port, volumes):
    # The service on its default configuration.
    return service_bench.write_conf(
        tmp, port, sections=[
            '[fake_driver]',
            'fake_volume_range = %d-%d' % (volumes, volumes),
            'fake_pool_range = 10-10'])


def register(base, index, extra=None):
    body = {'vendor': 'fake_storage', 'model': 'fake_driver',
            'rest': {'host': '192.0.2.%d' % index, 'port': 8443,
                     'username': 'admin', 'password': 'bench'}}
    if extra:
        body['extra_attributes'] = extra
    status, storage = call(base, 'POST', '/v1/storages', body)
    if status != 201:
        raise SystemExit('register failed: %s %s' % (status, storage))
    return storage['id']


def wait_synced(base, ids, timeout=1800):
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending:
        for sid in list(pending):
            if call(base, 'GET', '/v1/storages/%s' % sid)[1].get(
                    'sync_status') == 'SYNCED':
                pending.discard(sid)
        if time.monotonic() > deadline:
            raise SystemExit('storages still syncing: %s' % pending)
        time.sleep(0.2)


def latency_during_sync(base, sid, small_id):
    """Latencies of GET /v1/storages/{small_id}, one request after another,
    while storage ``sid``'s registration sync runs."""
    host, port, _ = _split(base + '/')
    conn = http.client.HTTPConnection(host, port, timeout=30)
    path = '/v1/storages/%s' % small_id
    latencies = []
    checked = time.monotonic()
    while True:
        t0 = time.perf_counter()
        conn.request('GET', path)
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - t0)
        if time.monotonic() - checked > 0.5:
            checked = time.monotonic()
            if call(base, 'GET', '/v1/storages/%s' % sid)[1].get(
                    'sync_status') == 'SYNCED':
                break
        time.sleep(0.005)
    conn.close()
    latencies.sort()
    return latencies


def beside_pages(url, pages_url, duration):
    """(load of ``url`` at 1 connection, load of ``pages_url`` at 8
    connections meanwhile)."""
    pages = {}
    reader = threading.Thread(target=lambda: pages.update(
        LOAD(pages_url, 8, duration + 2)))
    reader.start()
    time.sleep(1)
    quick = LOAD(url, 1, duration)
    reader.join()
    return quick, pages


def command(name):
    script = os.path.join(os.path.dirname(sys.executable), name)
    return [script] if os.path.exists(script) else \
        [sys.executable, '-m', 'delfin.cmd.' + name.split('-')[1]]


def embedded_cmd(target, port):
    return [sys.executable, os.path.abspath(__file__), '--serve', target,
            '--port', str(port)]


def run(args):
    results = {'load_generator': LOAD.__name__, 'volumes': args.volumes,
               'load_before': os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix='delfin-api-bench-') as tmp:
        port = free_port()
        conf = write_conf(tmp, port, args.volumes)
        base = 'http://127.0.0.1:%d' % port
        log = open(os.path.join(tmp, 'delfin-all.log'), 'w+')
        proc = subprocess.Popen(command('delfin-all') +
                                ['--config-file', conf], cwd=tmp,
                                stdout=log, stderr=subprocess.STDOUT)
        floor_port = free_port()
        floor_log = open(os.path.join(tmp, 'floor.log'), 'w+')
        floor = subprocess.Popen(
            embedded_cmd('api_throughput:hello_app', floor_port), cwd=tmp,
            stdout=floor_log, stderr=subprocess.STDOUT)
        try:
            wait_up(base + '/v1/storages', proc, log)
            wait_up('http://127.0.0.1:%d/' % floor_port, floor, floor_log)
            t0 = time.monotonic()
            ids = [register(base, i + 1, SMALL) for i in range(19)]
            big = register(base, 20)
            wait_synced(base, ids + [big])
            results['setup_s'] = time.monotonic() - t0
            time.sleep(2)
            results['idle_rss_mib'] = rss_kib(proc.pid) / 1024.0
            peak = {'kib': 0}
            endpoints = [
                ('floor (hello world)',
                 'http://127.0.0.1:%d/' % floor_port),
                ('GET /v1/storages (20)', base + '/v1/storages'),
                ('GET /v1/storages/{id}', base + '/v1/storages/%s' % ids[0]),
                ('GET /v1/volumes?limit=1000',
                 base + '/v1/volumes?limit=1000'),
            ]
            table = []
            for name, url in endpoints:
                watch = proc.pid if url.startswith(base) else None
                table.append((name, 1, measure(url, 1, args.duration,
                                               watch, peak)))
            # At 16 connections the endpoints take turns, ``--rounds``
            # times, and each keeps its median round: the ratios to the
            # floor then compare runs a few seconds apart, not a drift of
            # the machine over the whole run.
            rounds = {name: [] for name, _url in endpoints}
            for _round in range(args.rounds):
                for name, url in endpoints:
                    watch = proc.pid if url.startswith(base) else None
                    rounds[name].append(measure(url, 16, args.duration,
                                                watch, peak))
            for name, _url in endpoints:
                runs = sorted(rounds[name], key=lambda r: r['rps'])
                median = dict(runs[len(runs) // 2])
                median['rounds'] = [r['rps'] for r in rounds[name]]
                table.append((name, 16, median))
            table.sort(key=lambda row: [n for n, _u in endpoints].index(
                row[0]))
            results['table'] = table
            results['loaded_rss_mib'] = peak['kib'] / 1024.0
            results['idle'] = idle_check(base, '/v1/storages/%s' % ids[0],
                                         args.duration)
            results['beside_pages'] = beside_pages(
                base + '/v1/storages/%s' % ids[0],
                base + '/v1/volumes?limit=1000', args.duration)
            sync_big = register(base, 21)
            results['during_sync'] = latency_during_sync(base, sync_big,
                                                         ids[0])
            results['peak_rss_mib'] = rss_kib(proc.pid, 'VmHWM') / 1024.0
            if args.compare:
                stop(floor)
                results['compare'] = compare(tmp, conf, ids[0],
                                             args.duration)
        finally:
            stop(floor)
            stop(proc)
            log.close()
            floor_log.close()
    results['load_after'] = os.getloadavg()
    return results


# -- other servers ----------------------------------------------------------

def server_commands(port):
    """{name: (command for a module:attr target, or None if missing)}."""
    bindir = os.path.dirname(sys.executable)
    py = sys.executable

    def have(module):
        return subprocess.run([py, '-c', 'import %s' % module],
                              capture_output=True).returncode == 0

    servers = {}
    servers['embedded granian (the service)'] = \
        lambda target: embedded_cmd(target, port)
    if have('waitress'):
        servers['waitress'] = lambda target: [
            py, '-m', 'waitress', '--listen=127.0.0.1:%d' % port,
            '--threads=%d' % THREADS, '--connection-limit=2000',
            '--channel-timeout=30', target]
    if have('cheroot'):
        servers['cheroot'] = lambda target: [
            py, '-c', 'import sys; sys.path.insert(0, %r)\n'
            'import importlib\nfrom cheroot import wsgi\n'
            'm, a = %r.split(":")\n'
            'app = getattr(importlib.import_module(m), a)\n'
            's = wsgi.Server(("127.0.0.1", %d), app, numthreads=%d)\n'
            's.safe_start()' % (BENCH_DIR, target, port, THREADS)]
    if have('gunicorn'):
        servers['gunicorn gthread'] = lambda target: [
            os.path.join(bindir, 'gunicorn'), '-k', 'gthread', '--threads',
            str(THREADS), '-w', '1', '-b', '127.0.0.1:%d' % port,
            '--timeout', '30', '--chdir', BENCH_DIR, target]
    if have('granian'):
        servers['granian wsgi worker'] = lambda target: [
            os.path.join(bindir, 'granian'), '--interface', 'wsgi',
            '--workers', '1', '--blocking-threads', str(THREADS),
            '--host', '127.0.0.1', '--port', str(port), '--working-dir',
            BENCH_DIR, target]
    return servers


def compare(tmp, conf, storage_id, duration):
    rows = []
    port = free_port()
    env = dict(os.environ, DELFIN_CONFIG_FILE=conf,
               PYTHONPATH=os.pathsep.join([BENCH_DIR, REPO_ROOT]))
    base = 'http://127.0.0.1:%d' % port
    for name, cmd in server_commands(port).items():
        row = {'server': name}
        for label, target, paths in (
                ('hello', 'api_throughput:hello_app', ['/']),
                ('delfin', 'delfin.api.wsgi:application',
                 ['/v1/storages', '/v1/storages/%s' % storage_id])):
            log = open(os.path.join(tmp, 'compare.log'), 'w+')
            proc = subprocess.Popen(cmd(target), cwd=tmp, env=env,
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_up(base + paths[0], proc, log, timeout=60)
                for path in paths:
                    row[path if label == 'delfin' else 'floor'] = LOAD(
                        base + path, 16, duration)
                if label == 'delfin':
                    row['idle'] = idle_check(base, paths[1], duration)
            finally:
                stop(proc)
                log.close()
        rows.append(row)
    return rows


# -- output -----------------------------------------------------------------

def show(results):
    print('load generator: %s; load average before %s, after %s'
          % (results['load_generator'],
             ' '.join('%.2f' % x for x in results['load_before']),
             ' '.join('%.2f' % x for x in results['load_after'])))
    print('setup: 20 storages, %d volumes in one, synced in %.1f s'
          % (results['volumes'], results['setup_s']))
    print()
    print('%-28s %5s %10s %9s %9s %7s' % ('endpoint', 'conns', 'req/s',
                                          'p50 ms', 'p99 ms', 'errors'))
    floor16 = None
    for name, connections, r in results['table']:
        print('%-28s %5d %10.1f %9.2f %9.2f %7d' % (
            name, connections, r['rps'], r['p50_ms'], r['p99_ms'],
            r['errors']))
        if name.startswith('floor') and connections == 16:
            floor16 = r['rps']
            floor_rounds = r['rounds']
    print()
    for name, connections, r in results['table']:
        if connections == 16 and not name.startswith('floor'):
            ratio = r['rps'] / floor16 if floor16 else float('nan')
            target = ''
            if name.startswith('GET /v1/storages'):
                target = '  (target >= 50%%: %s)' % (
                    'ok' if ratio >= 0.5 else 'MISS')
            print('%-28s %5.1f%% of the floor at 16 connections%s'
                  % (name, 100 * ratio, target))
    print('(medians of %d rounds at 16 connections; req/s of each round: '
          '%s)' % (len(floor_rounds), '; '.join(
              '%s %s' % (name.split(' (')[0], ' '.join(
                  '%.0f' % x for x in r['rounds']))
              for name, connections, r in results['table']
              if connections == 16)))
    volumes = [r for n, c, r in results['table']
               if n.startswith('GET /v1/volumes') and c == 1][0]
    print('GET /v1/volumes?limit=1000 p50 at 1 connection %.1f ms '
          '(target <= 25 ms: %s)' % (volumes['p50_ms'], 'ok' if
                                     volumes['p50_ms'] <= 25 else 'MISS'))
    waited, load, opened = results['idle']
    print()
    if waited is None:
        print('%d idle connections: a new client was NOT answered'
              % opened)
    else:
        print('%d idle connections: a new client answered in %.3f s '
              '(target <= 1 s: %s); meanwhile %.1f req/s, p99 %.2f ms'
              % (opened, waited, 'ok' if waited <= 1 else 'MISS',
                 load['rps'], load['p99_ms']))
    quick, pages = results['beside_pages']
    print('GET /v1/storages/{id} at 1 connection while 8 clients read '
          'pages of 1,000 volumes: %.1f req/s, p50 %.2f ms, p99 %.2f ms '
          '(pages meanwhile: %.1f req/s)' % (
              quick['rps'], quick['p50_ms'], quick['p99_ms'], pages['rps']))
    lat = results['during_sync']
    p99 = percentile(lat, 99) * 1000
    print('GET /v1/storages/{id} during a %d-volume sync: %d requests, '
          'p50 %.2f ms, p99 %.2f ms (target <= 100 ms: %s), max %.2f ms'
          % (results['volumes'], len(lat), statistics.median(lat) * 1000,
             p99, 'ok' if p99 <= 100 else 'MISS', lat[-1] * 1000))
    print()
    print('delfin-all RSS: idle %.1f MiB, peak under load %.1f MiB, '
          'peak over the run (with the syncs) %.1f MiB'
          % (results['idle_rss_mib'], results['loaded_rss_mib'],
             results['peak_rss_mib']))
    if results.get('compare'):
        print()
        print('servers, 16 connections, %d request threads each '
              '(req/s / p99 ms):' % THREADS)
        print('%-30s %15s %15s %15s %26s' % (
            'server', 'floor', 'storage list', 'storage show',
            '1000 idle: wait / show req/s'))
        for row in results['compare']:
            cells = []
            for key in ('floor', '/v1/storages'):
                r = row[key]
                cells.append('%7.0f / %5.1f' % (r['rps'], r['p99_ms']))
            show_key = [k for k in row if k.startswith('/v1/storages/')][0]
            r = row[show_key]
            cells.append('%7.0f / %5.1f' % (r['rps'], r['p99_ms']))
            waited, load, opened = row['idle']
            idle = ('%.3f s / %.0f' % (waited, load['rps'])
                    if waited is not None else
                    'not answered (%d open)' % opened)
            print('%-30s %15s %15s %15s %26s' % (
                row['server'], cells[0], cells[1], cells[2], idle))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--volumes', type=int, default=100000)
    parser.add_argument('--duration', type=int, default=5,
                        help='seconds of each load run')
    parser.add_argument('--rounds', type=int, default=3,
                        help='turns of the endpoints at 16 connections')
    parser.add_argument('--compare', action='store_true',
                        help='also measure other WSGI servers')
    parser.add_argument('--json', action='store_true')
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--port', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_embedded(args.serve, args.port)
        return
    results = run(args)
    if args.json:
        results['during_sync'] = {
            'count': len(results['during_sync']),
            'p99_ms': percentile(results['during_sync'], 99) * 1000}
        print(json.dumps(results, default=str))
    else:
        show(results)


if __name__ == '__main__':
    main()
