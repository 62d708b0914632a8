"""Swordfish services for the tests: SNIA's mockups served by sushy-static.

``sushy_static`` starts one ``sushy-static`` per mockup set once per test
session and yields ``{set name: port}``; ``start_sushy`` starts more (on
another folder, or with a TLS certificate) for one test.  Both skip when
sushy-static or the mockups are missing, and fail under CI=true.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from delfin.tests import conftest as base
from delfin.tests.functional.drivers.swordfish import mockups


def _sushy_static():
    beside = os.path.join(os.path.dirname(sys.executable), 'sushy-static')
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which('sushy-static')
    if found is None:
        base._missing('sushy-static is not installed (pip install '
                      'sushy-tools; it is in test-requirements.txt)')
    return found


def mockup_folder(name):
    folder = os.path.join(mockups.root_folder(), name)
    if not os.path.isdir(folder):
        base._missing('the Swordfish mockups are not at %s (set '
                      'DELFIN_SWORDFISH_MOCKUPS)' % folder)
    return folder


class Sushy(object):
    """One sushy-static process."""

    def __init__(self, folder, cert=None, key=None):
        self.folder = folder
        self.port = base.free_port()
        scheme = 'https' if cert else 'http'
        command = [_sushy_static(), '-i', '127.0.0.1', '-p', str(self.port),
                   '-m', folder]
        if cert:
            command += ['-c', cert, '-k', key]
        # It prints every request's headers: keep them out of the output.
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.url = '%s://127.0.0.1:%d' % (scheme, self.port)
        self._wait(scheme)

    def _wait(self, scheme):
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise AssertionError('sushy-static exited with %s'
                                     % self.process.returncode)
            try:
                if scheme == 'http':
                    urllib.request.urlopen(self.url + '/redfish/v1',
                                           timeout=1).close()
                else:
                    socket.create_connection(
                        ('127.0.0.1', self.port), timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError('sushy-static did not start')
                time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture(scope='session')
def sushy_static():
    folders = {name: mockup_folder(name) for name in mockups.SETS}
    servers = {}
    try:
        for name, folder in folders.items():
            servers[name] = Sushy(folder)
        yield {name: server.port for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def start_sushy():
    started = []

    def start(folder, cert=None, key=None):
        server = Sushy(folder, cert, key)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


TERMINAL = ('succeeded', 'failed', 'cancelled')


def wait_job(service, storage_id, timeout=60):
    """The newest job of a storage once it has ended."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = service.request(
            'GET', '/v1/storages/%s/jobs?limit=1' % storage_id)
        assert status == 200, body
        jobs = body['jobs']
        if jobs and jobs[0]['state'] in TERMINAL:
            service.wait_idle(timeout)
            return jobs[0]
        if time.monotonic() > deadline:
            raise AssertionError('no job of storage %s ended: %s'
                                 % (storage_id, jobs))
        time.sleep(0.02)
