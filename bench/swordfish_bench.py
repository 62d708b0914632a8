"""Sync time of SNIA's Swordfish mockup sets through the Swordfish driver.

Starts ``delfin-all`` as a real process (SQLite, in-process transport) and
one ``sushy-static`` per mockup set, registers each set as a ``snia
swordfish`` storage (``extra_attributes.scheme = http``) and prints, per
set:

* ``register``: the POST /v1/storages answer time (the driver reads the
  whole service once to describe the storage);
* ``first sync``: the registration's sync job, from its ``started_at`` to
  its ``finished_at``, and the wall time from the POST until the storage is
  ``SYNCED``;
* ``re-sync``: ``--repeat`` more syncs (POST /v1/storages/{id}/sync) of the
  unchanged service: the median and the worst job duration;
* the CPU seconds (user + system) that ``delfin-all`` and the set's
  ``sushy-static`` spent per re-sync (median): on a loaded machine the wall
  times above grow with the wait for a CPU, these do not;
* the number of pools, volumes, disks and controllers listed afterwards.

The target is a sync under 2 s per set (``ok`` / ``MISS``).  The sets are
read from ``../shared/fixtures/swordfish`` beside the repository, or from
``DELFIN_SWORDFISH_MOCKUPS``.

Run from the repository root: ``.venv/bin/python bench/swordfish_bench.py
[--repeat 5] [--json]``.
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_bench  # noqa: E402  (free_port, http, command)

REPO_ROOT = service_bench.REPO_ROOT
SETS = ('midrange-replication-mockups', 'service-based-mockups',
        'filesystem-with-backend-storage-mockups',
        'direct-attach-with-telemetry')
TARGET_S = 2.0
KINDS = ('storage-pools', 'volumes', 'disks', 'controllers')


def mockup_root():
    return os.environ.get('DELFIN_SWORDFISH_MOCKUPS', os.path.join(
        os.path.dirname(REPO_ROOT), 'shared', 'fixtures', 'swordfish'))


def sushy_static():
    beside = os.path.join(os.path.dirname(sys.executable), 'sushy-static')
    found = beside if os.path.exists(beside) else shutil.which(
        'sushy-static')
    if not found:
        raise SystemExit('sushy-static is not installed (pip install '
                         'sushy-tools)')
    return found


def wait_http(url, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if service_bench.http(url, 'GET', '/redfish/v1')[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit('no answer from %s' % url)
        time.sleep(0.05)


def _time(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def job_seconds(job):
    return (_time(job['finished_at']) - _time(job['started_at'])) \
        .total_seconds()


def last_job(base, sid, after=None, timeout=60):
    """The newest job of a storage once it ended (newer than ``after``)."""
    deadline = time.monotonic() + timeout
    while True:
        _s, body = service_bench.http(base, 'GET',
                                      '/v1/storages/%s/jobs?limit=1' % sid)
        jobs = body.get('jobs') or []
        if jobs and jobs[0]['id'] != after and \
                jobs[0]['state'] in ('succeeded', 'failed', 'cancelled'):
            return jobs[0]
        if time.monotonic() > deadline:
            raise SystemExit('no job of %s ended: %s' % (sid, jobs))
        time.sleep(0.01)


def start_service(tmp):
    port = service_bench.free_port()
    conf = service_bench.write_conf(tmp, port)
    log = open(os.path.join(tmp, 'delfin-all.log'), 'w+')
    proc = subprocess.Popen(service_bench.command() + ['--config-file', conf],
                            cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    base = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit('delfin-all exited:\n' + log.read())
        try:
            if service_bench.http(base, 'GET', '/v1/storages')[0] == 200:
                return proc, log, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit('delfin-all did not start')
        time.sleep(0.05)


def bench_set(base, name, port, repeat, service_pid, sushy_pid):
    result = {'set': name}
    t0 = time.monotonic()
    status, storage = service_bench.http(base, 'POST', '/v1/storages', {
        'vendor': 'snia', 'model': 'swordfish',
        'rest': {'host': '127.0.0.1', 'port': port, 'username': 'bench',
                 'password': 'bench'},
        'extra_attributes': {'scheme': 'http'}})
    if status != 201:
        raise SystemExit('register %s failed: %s %s'
                         % (name, status, storage))
    result['register_s'] = time.monotonic() - t0
    sid = storage['id']
    job = last_job(base, sid)
    if job['state'] != 'succeeded':
        raise SystemExit('first sync of %s: %s' % (name, job))
    result['first_sync_s'] = job_seconds(job)
    result['register_to_synced_s'] = time.monotonic() - t0
    durations = []
    service_cpu = []
    sushy_cpu = []
    for _ in range(repeat):
        cpu0 = (cpu_seconds(service_pid), cpu_seconds(sushy_pid))
        status, _b = service_bench.http(base, 'POST',
                                        '/v1/storages/%s/sync' % sid)
        if status != 202:
            raise SystemExit('sync of %s: %s %s' % (name, status, _b))
        job = last_job(base, sid, after=job['id'])
        if job['state'] != 'succeeded':
            raise SystemExit('re-sync of %s: %s' % (name, job))
        durations.append(job_seconds(job))
        service_cpu.append(cpu_seconds(service_pid) - cpu0[0])
        sushy_cpu.append(cpu_seconds(sushy_pid) - cpu0[1])
    result['resync_median_s'] = statistics.median(durations) \
        if durations else None
    result['resync_max_s'] = max(durations) if durations else None
    result['resync_service_cpu_s'] = statistics.median(service_cpu) \
        if service_cpu else None
    result['resync_sushy_cpu_s'] = statistics.median(sushy_cpu) \
        if sushy_cpu else None
    for kind in KINDS:
        _s, body = service_bench.http(
            base, 'GET', '/v1/%s?storage_id=%s&limit=1' % (kind, sid))
        result[kind] = body['total']
    return result


def run(repeat):
    root = mockup_root()
    missing = [s for s in SETS if not os.path.isdir(os.path.join(root, s))]
    if missing:
        raise SystemExit('mockup sets missing under %s: %s'
                         % (root, ', '.join(missing)))
    servers = []
    results = []
    with tempfile.TemporaryDirectory(prefix='delfin-sf-bench-') as tmp:
        proc, log, base = start_service(tmp)
        try:
            ports = {}
            pids = {}
            for name in SETS:
                port = service_bench.free_port()
                servers.append(subprocess.Popen(
                    [sushy_static(), '-i', '127.0.0.1', '-p', str(port),
                     '-m', os.path.join(root, name)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                ports[name] = port
                pids[name] = servers[-1].pid
            for port in ports.values():
                wait_http('http://127.0.0.1:%d' % port)
            for name in SETS:
                results.append(bench_set(base, name, ports[name], repeat,
                                         proc.pid, pids[name]))
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
            proc.terminate()
            proc.wait(60)
            log.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=5,
                        help='re-syncs per set (default 5)')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    results = run(args.repeat)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print('%-40s %8s %8s %8s %8s %8s %8s %6s  %s' % (
        'mockup set', 'register', '1st sync', 'resync50', 'resyncMx',
        'cpu:svc', 'cpu:sushy', 'target', 'pools/volumes/disks/ctrls'))
    for r in results:
        worst = max(r['first_sync_s'], r['resync_max_s'] or 0)
        print('%-40s %7.2fs %7.2fs %7.2fs %7.2fs %7.2fs %8.2fs %6s  %s' % (
            r['set'], r['register_s'], r['first_sync_s'],
            r['resync_median_s'] or 0, r['resync_max_s'] or 0,
            r['resync_service_cpu_s'] or 0, r['resync_sushy_cpu_s'] or 0,
            'ok' if worst < TARGET_S else 'MISS',
            '/'.join(str(r[k]) for k in KINDS)))
    print('load average: %.1f %.1f %.1f on %d CPUs' % (
        os.getloadavg() + (os.cpu_count(),)))


if __name__ == '__main__':
    main()
