"""``delfin-api`` with ``delfin_workers = 2``: two API processes on one
port, a dead one replaced, all stopped by SIGTERM to the first process."""
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from delfin.tests import conftest


def _children(pid):
    """Child processes of ``pid``, whichever of its threads started
    them."""
    found = []
    try:
        tasks = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return found
    for task in tasks:
        try:
            with open('/proc/%d/task/%s/children' % (pid, task)) as f:
                found += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return found


def _listening_inodes(port):
    """Inodes of the sockets listening on TCP ``port``."""
    inodes = set()
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == '0A' and int(local.rsplit(':', 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def _listens(pid, port):
    """Whether process ``pid`` holds a socket listening on ``port``."""
    wanted = _listening_inodes(port)
    try:
        fds = os.listdir('/proc/%d/fd' % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        if link.startswith('socket:[') and link[8:-1] in wanted:
            return True
    return False


def _get(port, path):
    with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path),
                                timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def _answers(port):
    try:
        return _get(port, '/v1/storages')[0] == 200
    except OSError:
        return False


@pytest.fixture
def delfin_api(tmp_path):
    if not os.path.isdir('/proc/self/fd'):
        pytest.skip('needs /proc to see the worker processes')
    port = conftest.free_port()
    conf = tmp_path / 'delfin.conf'
    conf.write_text('\n'.join([
        '[DEFAULT]',
        'state_path = %s' % (tmp_path / 'state'),
        'delfin_listen = 127.0.0.1',
        'delfin_listen_port = %d' % port,
        'delfin_workers = 2',
        'api_threads = 2',
        'transport_url = fake://',
        '']))
    log = open(tmp_path / 'delfin-api.log', 'w+')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'delfin.cmd.api', '--config-file', str(conf)],
        cwd=str(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc, port, log
    finally:
        if proc.poll() is None:
            for child in _children(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass
            proc.kill()
            proc.wait()
        log.close()


def _workers_listening(proc, port, log):
    if proc.poll() is not None:
        log.seek(0)
        raise AssertionError('delfin-api exited with %s:\n%s'
                             % (proc.returncode, log.read()[-4000:]))
    workers = _children(proc.pid)
    if len(workers) == 2 and all(_listens(w, port) for w in workers):
        return workers
    return None


def test_two_api_processes_serve_one_port(delfin_api):
    proc, port, log = delfin_api
    workers = conftest.wait_for(
        lambda: _workers_listening(proc, port, log), 120, 0.2,
        what='two API workers listening')
    # The first process only supervises.
    assert not _listens(proc.pid, port)
    for _ in range(20):
        assert _get(port, '/v1/storages') == (
            200, {'storages': [], 'total': 0})

    # A worker that dies is replaced; the other one answers meanwhile (a
    # connection the kernel gave the dying one just before is reset).
    os.kill(workers[0], signal.SIGKILL)
    conftest.wait_for(lambda: _answers(port), 10, 0.05,
                      what='the remaining worker to answer')
    replaced = conftest.wait_for(
        lambda: (lambda w: w if w and workers[0] not in w else None)(
            _workers_listening(proc, port, log)),
        120, 0.2, what='a new API worker')
    assert workers[1] in replaced

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    for pid in replaced:
        assert not os.path.exists('/proc/%d/status' % pid) or \
            'zombie' in open('/proc/%d/status' % pid).read()
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', port), timeout=1)
