"""Time and memory of ``delfin-all``: startup, idle, and after registering
a fake storage with many volumes.

Starts ``delfin-all`` as a real process on a free port of 127.0.0.1 with a
temporary state directory (SQLite, in-process transport), then prints:

* startup time (process start to the first answered API request) and
  idle RSS, of the main process and with its children (the trap
  listener's worker processes);
* for the registration of a ``fake_storage fake_driver`` storage with
  ``--volumes`` volumes: the POST time, the time until the volumes are
  listable (registration sync finished, ``total`` complete), RSS then and
  the peak RSS;
* the time to read one page of 1000 volumes, and to page through all of
  them with ``marker``;
* the time of a clean SIGTERM shutdown and its exit code.

Run from the repository root: ``.venv/bin/python bench/service_bench.py
[--volumes 10000] [--json]``.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def rss_kib(pid, field='VmRSS'):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def children(pid):
    """Every descendant process of ``pid``."""
    found = []
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return found
    for kid in kids:
        found.append(kid)
        found.extend(children(kid))
    return found


def total_rss_kib(pid):
    """RSS of ``pid`` plus its descendants (the trap listener's workers)."""
    total = 0
    for p in [pid] + children(pid):
        try:
            total += rss_kib(p)
        except OSError:
            pass
    return total


def http(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'null')


def write_conf(tmp, port, defaults=(), sections=()):
    """A delfin-all configuration file in ``tmp``: the API on 127.0.0.1
    ``port``, traps on a free port, the in-process transport, no periodic
    sync, state under ``tmp``; ``defaults`` are more [DEFAULT] lines and
    ``sections`` more lines after them.  Returns its path."""
    conf = os.path.join(tmp, 'delfin.conf')
    with open(conf, 'w') as f:
        f.write('\n'.join([
            '[DEFAULT]',
            'state_path = %s' % os.path.join(tmp, 'state'),
            'delfin_listen = 127.0.0.1',
            'delfin_listen_port = %d' % port,
            'trap_receiver_address = 127.0.0.1',
            'trap_receiver_port = %d' % free_port(),
            'transport_url = fake://',
            *defaults,
            '[sync]',
            'interval = 0',
            *sections,
            '']))
    return conf


def command():
    script = os.path.join(os.path.dirname(sys.executable), 'delfin-all')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'delfin.cmd.all']


def run(volumes, pools):
    results = {'volumes': volumes}
    with tempfile.TemporaryDirectory(prefix='delfin-bench-') as tmp:
        port = free_port()
        conf = write_conf(tmp, port, sections=[
            '[fake_driver]',
            'fake_volume_range = %d-%d' % (volumes, volumes),
            'fake_pool_range = %d-%d' % (pools, pools)])
        log = open(os.path.join(tmp, 'delfin-all.log'), 'w+')
        base = 'http://127.0.0.1:%d' % port
        started = time.monotonic()
        proc = subprocess.Popen(command() + ['--config-file', conf],
                                cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit('delfin-all exited:\n' + log.read())
                try:
                    if http(base, 'GET', '/v1/storages')[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)
            results['startup_s'] = time.monotonic() - started
            time.sleep(2)
            results['idle_rss_mib'] = rss_kib(proc.pid) / 1024.0
            results['idle_total_rss_mib'] = total_rss_kib(proc.pid) / 1024.0
            results['processes'] = 1 + len(children(proc.pid))

            t0 = time.monotonic()
            status, storage = http(base, 'POST', '/v1/storages', {
                'vendor': 'fake_storage', 'model': 'fake_driver',
                'rest': {'host': '192.0.2.10', 'port': 8443,
                         'username': 'admin', 'password': 'bench'}})
            if status != 201:
                raise SystemExit('register failed: %s %s' % (status, storage))
            results['register_s'] = time.monotonic() - t0
            sid = storage['id']
            while True:
                _s, body = http(base, 'GET', '/v1/storages/%s' % sid)
                if body.get('sync_status') == 'SYNCED':
                    _s, page = http(base, 'GET',
                                    '/v1/volumes?storage_id=%s&limit=1' % sid)
                    if page.get('total') == volumes:
                        break
                    _s, jobs = http(base, 'GET',
                                    '/v1/storages/%s/jobs' % sid)
                    raise SystemExit('sync ended without %d volumes: %s'
                                     % (volumes, jobs))
                time.sleep(0.05)
            results['listable_s'] = time.monotonic() - t0
            results['synced_rss_mib'] = rss_kib(proc.pid) / 1024.0
            results['synced_total_rss_mib'] = \
                total_rss_kib(proc.pid) / 1024.0
            results['peak_rss_mib'] = rss_kib(proc.pid, 'VmHWM') / 1024.0

            t1 = time.monotonic()
            _s, page = http(base, 'GET',
                            '/v1/volumes?storage_id=%s&limit=1000' % sid)
            results['page_1000_s'] = time.monotonic() - t1
            t2 = time.monotonic()
            seen, marker = 0, None
            while True:
                path = '/v1/volumes?storage_id=%s&limit=1000' % sid
                if marker:
                    path += '&marker=%s' % marker
                _s, page = http(base, 'GET', path)
                if not page['volumes']:
                    break
                seen += len(page['volumes'])
                marker = page['volumes'][-1]['id']
            results['page_all_s'] = time.monotonic() - t2
            results['paged_volumes'] = seen

            t3 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            results['exit_code'] = proc.wait(120)
            results['shutdown_s'] = time.monotonic() - t3
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--volumes', type=int, default=10000)
    parser.add_argument('--pools', type=int, default=10)
    parser.add_argument('--json', action='store_true',
                        help='print the results as one JSON object')
    args = parser.parse_args()
    results = run(args.volumes, args.pools)
    if args.json:
        print(json.dumps(results))
        return
    print('delfin-all, fake storage with %d volumes' % results['volumes'])
    print('  startup (spawn to first answer)  %8.2f s' % results['startup_s'])
    print('  idle RSS                         %8.1f MiB'
          % results['idle_rss_mib'])
    print('  idle RSS with %d child process(es) %6.1f MiB'
          % (results['processes'] - 1, results['idle_total_rss_mib']))
    print('  register (POST /v1/storages)     %8.2f s' % results['register_s'])
    print('  register to listable (synced)    %8.2f s' % results['listable_s'])
    print('  RSS after sync                   %8.1f MiB'
          % results['synced_rss_mib'])
    print('  RSS after sync with children     %8.1f MiB'
          % results['synced_total_rss_mib'])
    print('  peak RSS                         %8.1f MiB'
          % results['peak_rss_mib'])
    print('  one page of 1000 volumes         %8.3f s'
          % results['page_1000_s'])
    print('  page through %6d volumes       %8.2f s'
          % (results['paged_volumes'], results['page_all_s']))
    print('  SIGTERM to exit (code %d)         %8.2f s'
          % (results['exit_code'], results['shutdown_s']))


if __name__ == '__main__':
    main()
