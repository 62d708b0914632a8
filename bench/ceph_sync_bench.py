"""Sync time of a real Ceph cluster through ``delfin-all``, with the
cluster's own few RBD images and then with ``--images`` of them (1000 by
default).

Starts a single-node Ceph with ``start-ceph.sh`` (from ``--ceph-scripts``,
default ``../shared/backends/ceph`` beside the repository) in a temporary
folder, or uses a running one (``--state-dir`` of a cluster that script
started; its images are left as found only when ``--images`` is not more
than it holds).  Then starts ``delfin-all`` as a real process on a free
port of 127.0.0.1 (SQLite, in-process transport) and prints:

* ``register``: ``POST /v1/storages`` of the cluster (login and
  ``get_storage``);
* ``first sync``: the registration's sync job, from its start to its end
  (``started_at`` .. ``finished_at`` of the job), and until the volumes
  are listable from the client's side;
* ``re-sync``: ``POST /v1/storages/{id}/sync`` of the unchanged cluster,
  job time and time seen by the client, best of ``--repeat``;
* the same after creating RBD images up to ``--images`` (Python's
  ``rbd`` bindings of the Ceph packages, so images are made in seconds),
  with a check that the service lists as many volumes as ``rbd ls``.

Targets: a sync under 2 s, and under 5 s with 1,000 images (``ok`` /
``MISS`` beside each figure).

Run from the repository root: ``.venv/bin/python bench/ceph_sync_bench.py
[--images 1000] [--repeat 3] [--state-dir DIR] [--json]``.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import service_bench  # noqa: E402  (free_port, http, command)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SCRIPTS = os.path.join(os.path.dirname(REPO_ROOT), 'shared',
                               'backends', 'ceph')
TARGET_SYNC_S = 2.0
TARGET_BIG_SYNC_S = 5.0

# Runs under the system Python, which has Ceph's rados and rbd modules.
_CREATE_IMAGES = r'''
import sys
import rados
import rbd
conf, pool, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
cluster = rados.Rados(conffile=conf)
cluster.connect()
io = cluster.open_ioctx(pool)
try:
    existing = set(rbd.RBD().list(io))
    made = 0
    index = 0
    while len(existing) + made < count:
        name = 'bench-%05d' % index
        index += 1
        if name in existing:
            continue
        rbd.RBD().create(io, name, size)
        made += 1
    print(len(rbd.RBD().list(io)))
finally:
    io.close()
    cluster.shutdown()
'''


def read_env(state_dir):
    env = {}
    with open(os.path.join(state_dir, 'dashboard.env')) as f:
        for line in f:
            if '=' in line:
                key, value = line.strip().split('=', 1)
                env[key] = value.strip("'")
    return env


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def job_seconds(job):
    return (parse_time(job['finished_at']) -
            parse_time(job['started_at'])).total_seconds()


def wait_job(base, sid, job_id):
    while True:
        _s, job = service_bench.http(
            base, 'GET', '/v1/storages/%s/jobs/%s' % (sid, job_id))
        if job.get('state') in ('succeeded', 'failed', 'cancelled'):
            if job['state'] != 'succeeded':
                raise SystemExit('sync job %s: %s' % (job['state'], job))
            return job
        time.sleep(0.01)


def latest_job(base, sid):
    _s, jobs = service_bench.http(
        base, 'GET', '/v1/storages/%s/jobs?sort=created_at:desc&limit=1'
        % sid)
    return jobs['jobs'][0]


def volume_total(base, sid):
    _s, page = service_bench.http(
        base, 'GET', '/v1/volumes?storage_id=%s&limit=1' % sid)
    return page['total']


def resync(base, sid, repeat):
    """(best job seconds, best client seconds) of ``repeat`` syncs."""
    jobs, seen = [], []
    for _ in range(repeat):
        t0 = time.monotonic()
        status, body = service_bench.http(
            base, 'POST', '/v1/storages/%s/sync' % sid)
        if status != 202:
            raise SystemExit('sync refused: %s %s' % (status, body))
        job = wait_job(base, sid, latest_job(base, sid)['id'])
        seen.append(time.monotonic() - t0)
        jobs.append(job_seconds(job))
    return min(jobs), min(seen)


def dashboard_image_count(env):
    """How many images the manager's API shows now (``X-Total-Count``)."""
    base = 'http://127.0.0.1:%s' % env['CEPH_DASHBOARD_PORT']
    login = urllib.request.Request(
        base + '/api/auth', method='POST',
        data=json.dumps({'username': env['CEPH_DASHBOARD_USER'],
                         'password': env['CEPH_DASHBOARD_PASSWORD']}).encode(),
        headers={'Content-Type': 'application/json',
                 'Accept': 'application/vnd.ceph.api.v1.0+json'})
    with urllib.request.urlopen(login, timeout=60) as resp:
        token = json.loads(resp.read())['token']
    count = urllib.request.Request(
        base + '/api/block/image?offset=0&limit=0',
        headers={'Accept': 'application/vnd.ceph.api.v2.0+json',
                 'Authorization': 'Bearer %s' % token})
    with urllib.request.urlopen(count, timeout=60) as resp:
        return int(resp.headers['X-Total-Count'])


def rbd_count(conf, pool):
    out = subprocess.run(['rbd', '-c', conf, 'ls', pool], check=True,
                         capture_output=True, text=True).stdout
    return len(out.split())


def run(args, state_dir):
    env = read_env(state_dir)
    conf, pool = env['CEPH_CONF'], env.get('CEPH_POOL', 'rbdpool')
    results = {'images_before': rbd_count(conf, pool)}
    with tempfile.TemporaryDirectory(prefix='delfin-bench-') as tmp:
        port = service_bench.free_port()
        conf_file = service_bench.write_conf(tmp, port)
        log = open(os.path.join(tmp, 'delfin-all.log'), 'w+')
        base = 'http://127.0.0.1:%d' % port
        proc = subprocess.Popen(
            service_bench.command() + ['--config-file', conf_file],
            cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit('delfin-all exited:\n' + log.read())
                try:
                    if service_bench.http(base, 'GET',
                                          '/v1/storages')[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.05)
            t0 = time.monotonic()
            status, storage = service_bench.http(
                base, 'POST', '/v1/storages', {
                    'vendor': 'ceph', 'model': 'ceph',
                    'rest': {'host': '127.0.0.1',
                             'port': int(env['CEPH_DASHBOARD_PORT']),
                             'username': env['CEPH_DASHBOARD_USER'],
                             'password': env['CEPH_DASHBOARD_PASSWORD']},
                    'extra_attributes': {'scheme': 'http'}})
            if status != 201:
                raise SystemExit('register failed: %s %s' % (status, storage))
            results['register_s'] = time.monotonic() - t0
            sid = storage['id']
            job = wait_job(base, sid, latest_job(base, sid)['id'])
            results['first_sync_listable_s'] = time.monotonic() - t0
            results['first_sync_job_s'] = job_seconds(job)
            results['volumes_listed'] = volume_total(base, sid)
            results['resync_job_s'], results['resync_seen_s'] = resync(
                base, sid, args.repeat)

            t1 = time.monotonic()
            made = subprocess.run(
                ['/usr/bin/python3', '-c', _CREATE_IMAGES, conf, pool,
                 str(args.images), str(args.image_size)],
                check=True, capture_output=True, text=True).stdout
            results['images_create_s'] = time.monotonic() - t1
            results['images_after'] = int(made.strip())
            # The manager caches each pool's image list for 30 s: wait
            # until its API shows the new images.
            t2 = time.monotonic()
            while dashboard_image_count(env) < results['images_after']:
                time.sleep(1)
            results['api_shows_images_s'] = time.monotonic() - t2
            results['big_sync_job_s'], results['big_sync_seen_s'] = resync(
                base, sid, 1)
            results['big_volumes_listed'] = volume_total(base, sid)
            results['big_resync_job_s'], results['big_resync_seen_s'] = \
                resync(base, sid, args.repeat)
            if results['big_volumes_listed'] != rbd_count(conf, pool):
                raise SystemExit('the service lists %s volumes, rbd ls %s; '
                                 'last job: %s'
                                 % (results['big_volumes_listed'],
                                    rbd_count(conf, pool),
                                    latest_job(base, sid)))
        finally:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
    return results


def _mark(value, target):
    return '%.3f s  (target < %.0f s: %s)' % (
        value, target, 'ok' if value < target else 'MISS')


def report(results):
    print('cluster images before: %d' % results['images_before'])
    print('register (POST /v1/storages):      %.3f s'
          % results['register_s'])
    print('first sync job:                    %s'
          % _mark(results['first_sync_job_s'], TARGET_SYNC_S))
    print('  listable after register:         %.3f s (%d volumes)'
          % (results['first_sync_listable_s'], results['volumes_listed']))
    print('re-sync job (best):                %s'
          % _mark(results['resync_job_s'], TARGET_SYNC_S))
    print('  seen by the client:              %.3f s'
          % results['resync_seen_s'])
    print('images created up to %d in         %.1f s'
          % (results['images_after'], results['images_create_s']))
    print('  the manager API shows them after %.1f s more'
          % results['api_shows_images_s'])
    print('sync adding them (job):            %s'
          % _mark(results['big_sync_job_s'], TARGET_BIG_SYNC_S))
    print('  seen by the client:              %.3f s (%d volumes)'
          % (results['big_sync_seen_s'], results['big_volumes_listed']))
    print('re-sync of %d images (job, best): %s'
          % (results['big_volumes_listed'],
             _mark(results['big_resync_job_s'], TARGET_BIG_SYNC_S)))
    print('  seen by the client:              %.3f s'
          % results['big_resync_seen_s'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=1000,
                        help='RBD images in the pool for the big sync')
    parser.add_argument('--image-size', type=int, default=64 * 1024 ** 2,
                        help='bytes per created image (thin: no data)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--state-dir',
                        help='folder of a cluster start-ceph.sh started '
                             '(default: start one in a temporary folder)')
    parser.add_argument('--ceph-scripts', default=DEFAULT_SCRIPTS,
                        help='folder of start-ceph.sh and stop-ceph.sh')
    parser.add_argument('--json', action='store_true',
                        help='print the results as one JSON object')
    args = parser.parse_args()
    if args.state_dir:
        results = run(args, args.state_dir)
    else:
        state_dir = tempfile.mkdtemp(prefix='delfin-bench-ceph-')
        start = os.path.join(args.ceph_scripts, 'start-ceph.sh')
        stop = os.path.join(args.ceph_scripts, 'stop-ceph.sh')
        try:
            subprocess.run([start, state_dir], check=True,
                           stdout=subprocess.DEVNULL)
            results = run(args, state_dir)
        finally:
            subprocess.run([stop, state_dir], check=False)
            shutil.rmtree(state_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    else:
        report(results)


if __name__ == '__main__':
    main()
