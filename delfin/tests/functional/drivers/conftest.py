"""A real single-node Ceph for the driver tests, started once per session.

``ceph_cluster`` runs ``start-ceph.sh`` of the shared Ceph backend (one
mon, one mgr with the dashboard on a free loopback port, one memory-backed
OSD, a pool with two RBD images) in a temporary folder, and
``stop-ceph.sh`` at the end of the session.  The scripts are looked up in
``DELFIN_TEST_CEPH_SCRIPTS``, else in ``../shared/backends/ceph`` beside
the repository.  Where they are absent, or the cluster cannot start, the
tests that need it are skipped with the reason (under ``CI=true`` they
fail).  Starting takes about 20 s and 540 MB of memory; the script
installs the Debian packages it needs when they are missing and it runs
as root.
"""
import json
import os
import subprocess

import pytest

from delfin.tests import conftest

SCRIPTS = os.environ.get('DELFIN_TEST_CEPH_SCRIPTS') or os.path.join(
    os.path.dirname(conftest.REPO_ROOT), 'shared', 'backends', 'ceph')
START_TIMEOUT = 600


def _missing(message):
    if conftest.in_ci():
        pytest.fail(message + ' (CI=true: required)', pytrace=False)
    pytest.skip(message)


class CephCluster(object):
    """A running cluster: its dashboard and its command line."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        env = {}
        with open(os.path.join(state_dir, 'dashboard.env')) as f:
            for line in f:
                if '=' in line:
                    key, value = line.strip().split('=', 1)
                    env[key] = value.strip("'")
        self.conf = env['CEPH_CONF']
        self.port = int(env['CEPH_DASHBOARD_PORT'])
        self.user = env['CEPH_DASHBOARD_USER']
        self.password = env['CEPH_DASHBOARD_PASSWORD']
        self.pool = env.get('CEPH_POOL', 'rbdpool')

    def access(self, **extra):
        """The body of ``POST /v1/storages`` for this cluster."""
        body = {'vendor': 'ceph', 'model': 'ceph',
                'rest': {'host': '127.0.0.1', 'port': self.port,
                         'username': self.user, 'password': self.password},
                'extra_attributes': {'scheme': 'http'}}
        body.update(extra)
        return body

    def run(self, *args):
        """Output of a ``ceph`` (or ``rbd``, with ``args[0] == 'rbd'``)
        command on this cluster."""
        program = 'ceph'
        if args and args[0] == 'rbd':
            program, args = 'rbd', args[1:]
        return subprocess.run(
            [program, '-c', self.conf] + list(args), check=True,
            capture_output=True, text=True, timeout=60).stdout

    def json(self, *args):
        """A ``ceph``/``rbd`` command's JSON output."""
        return json.loads(self.run(*(args + ('--format', 'json'))))


@pytest.fixture(scope='session')
def ceph_cluster(tmp_path_factory):
    start = os.path.join(SCRIPTS, 'start-ceph.sh')
    stop = os.path.join(SCRIPTS, 'stop-ceph.sh')
    if not os.path.exists(start):
        _missing('the Ceph test backend is absent: no %s (set '
                 'DELFIN_TEST_CEPH_SCRIPTS)' % start)
    state_dir = str(tmp_path_factory.mktemp('ceph'))
    try:
        started = subprocess.run([start, state_dir], capture_output=True,
                                 text=True, timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        subprocess.run([stop, state_dir], check=False)
        _missing('the Ceph test cluster did not start within %s s'
                 % START_TIMEOUT)
    if started.returncode != 0:
        subprocess.run([stop, state_dir], check=False)
        _missing('the Ceph test cluster did not start (exit %s): %s'
                 % (started.returncode, started.stderr.strip()[-500:]))
    try:
        yield CephCluster(state_dir)
    finally:
        subprocess.run([stop, state_dir], check=False, timeout=120)
