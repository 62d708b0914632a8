"""Time of ``delfin-manage import-delfin`` on a large Delfin database.

Builds a Delfin 1.x database with Delfin's tables (the test fixture's
schema) holding ``--storages`` storages (with access info and an SNMP
configuration each) and ``--volumes`` volumes spread over them, then runs,
as an operator would, ``delfin-manage db upgrade`` on a fresh SQLite
database of the service and ``delfin-manage import-delfin --from ...``
twice (the second run finds everything present).  Prints the wall time of
each command, the time the import itself reports, and rows per second.

The Delfin database is SQLite by default; ``--source-url`` points at an
empty MySQL/MariaDB database instead (e.g.
``mysql+pymysql://root@127.0.0.1:3306/delfin_bench``, created beforehand).

Run from the repository root: ``.venv/bin/python bench/delfin_import_bench.py
[--storages 10] [--volumes 100000] [--source-url URL]``.
"""
import argparse
import base64
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from delfin.tests.fixtures import delfin_v1  # noqa: E402


def build(url, storages, volumes):
    delfin_v1.create(url)
    now = datetime.datetime(2023, 5, 4, 10, 11, 12)
    password = base64.b64encode(b'bench-password').decode()
    ids = ['%08x-0000-4000-8000-%012d' % (0xbe9c, n)
           for n in range(storages)]
    rows = {'storages': [], 'access_info': [], 'alert_source': []}
    for n, sid in enumerate(ids):
        rows['storages'].append({
            'id': sid, 'name': 'array-%d' % n, 'status': 'normal',
            'sync_status': 0, 'vendor': 'fake_vendor', 'model': 'fake_model',
            'serial_number': 'BENCH-%d' % n, 'total_capacity': 1 << 40,
            'used_capacity': 1 << 39, 'free_capacity': 1 << 39,
            'deleted': 0, 'created_at': now, 'updated_at': now})
        rows['access_info'].append({
            'storage_id': sid, 'vendor': 'fake_storage',
            'model': 'fake_driver',
            'rest': json.dumps({'host': '192.0.2.%d' % (n + 1),
                                'port': 8443, 'username': 'admin',
                                'password': password}),
            'ssh': '{}', 'cli': '{}', 'smis': '{}',
            'extra_attributes': '{}', 'created_at': now})
        rows['alert_source'].append({
            'storage_id': sid, 'host': '192.0.2.%d' % (n + 1),
            'version': 'SNMPv2c',
            'community_string': base64.b64encode(b'public').decode(),
            'port': 161, 'retry_num': 1, 'expiration': 2,
            'created_at': now})
    delfin_v1.insert(url, rows)
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table('volumes', meta, autoload_with=engine)
    chunk = []
    with engine.begin() as conn:
        for n in range(volumes):
            sid = ids[n % storages]
            chunk.append({
                'id': '%08x-%04x-4000-8000-%012d' % (0xbe9c, 2, n),
                'native_volume_id': 'volume_%d' % n,
                'name': 'volume_%d' % n, 'description': 'bench volume',
                'type': 'thin', 'status': 'available', 'storage_id': sid,
                'native_storage_pool_id': 'pool_1', 'wwn': 'wwn%020d' % n,
                'total_capacity': 1 << 30, 'used_capacity': 1 << 29,
                'free_capacity': 1 << 29, 'compressed': n % 2,
                'deduplicated': 0, 'created_at': now, 'updated_at': now})
            if len(chunk) == 10000:
                conn.execute(table.insert(), chunk)
                chunk = []
        if chunk:
            conn.execute(table.insert(), chunk)
    engine.dispose()


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def manage(conf, *args):
    """(wall seconds, CPU seconds, output) of a delfin-manage command."""
    started, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file', conf]
        + list(args), capture_output=True, text=True, cwd=REPO_ROOT)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit('delfin-manage %s failed:\n%s' % (' '.join(args),
                                                   done.stderr))
    return elapsed, _children_cpu() - cpu, done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--storages', type=int, default=10)
    parser.add_argument('--volumes', type=int, default=100000)
    parser.add_argument('--source-url', default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='delfin-import-bench-') as tmp:
        source = args.source_url or 'sqlite:///%s' % os.path.join(
            tmp, 'delfin-v1.sqlite')
        started = time.monotonic()
        build(source, args.storages, args.volumes)
        print('Delfin database: %d storages, %d volumes (%s), built in '
              '%.1f s' % (args.storages, args.volumes,
                          source.split(':')[0], time.monotonic() - started))
        conf = os.path.join(tmp, 'delfin.conf')
        state = os.path.join(tmp, 'state')
        os.makedirs(state)
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\ntransport_url = fake://\n'
                    '[database]\nconnection = sqlite:///%s\n'
                    % (state, os.path.join(tmp, 'target.sqlite')))
        manage(conf, 'db', 'upgrade')
        print('load average before the import: %.1f (the CPU time is the '
              'figure a busy machine does not inflate)' % os.getloadavg()[0])
        rows = args.storages * 3 + args.volumes
        for run in ('first run', 'second run'):
            elapsed, cpu, out = manage(conf, 'import-delfin', '--from',
                                       source)
            found = re.search(r'imported in ([0-9.]+) s', out)
            own = float(found.group(1)) if found else float('nan')
            print('import-delfin, %s: %.2f s wall, %.2f s CPU (the import '
                  'itself %.2f s wall, %.0f Delfin rows/s)'
                  % (run, elapsed, cpu, own, rows / own))
            for line in out.splitlines():
                if line.split() and line.split()[0] in (
                        'storages', 'access_info', 'alert_source',
                        'volumes'):
                    print('    ' + line)
    if args.source_url:
        print('(the database at --source-url keeps its tables and rows)')


if __name__ == '__main__':
    main()
