"""Components and processes: start order, reverse stop, signals, failures,
and the API server's graceful stop."""
import os
import signal
import socket
import sys
import threading
import urllib.error
import urllib.request

import pytest

from delfin import coordination
from delfin import service
from delfin.tests import conftest


class Part(service.Component):
    """A component that writes what happens to it in a shared journal."""

    def __init__(self, name, journal, fail_start=False):
        self.name = name
        self.journal = journal
        self.fail_start = fail_start
        self.dead = False

    def start(self):
        if self.fail_start:
            raise RuntimeError('%s cannot start' % self.name)
        self.journal.append('start ' + self.name)

    def stop(self, timeout=None):
        self.journal.append('stop ' + self.name)

    def alive(self):
        return not self.dead


def test_components_start_in_order_and_stop_in_reverse():
    journal = []
    process = service.Process('p', [Part('a', journal), None,
                                    Part('b', journal), Part('c', journal)])
    process.start()
    process.stop()
    assert journal == ['start a', 'start b', 'start c',
                       'stop c', 'stop b', 'stop a']


def test_a_failed_start_stops_what_had_started():
    journal = []
    process = service.Process('p', [Part('a', journal), Part('b', journal),
                                    Part('c', journal, fail_start=True)])
    with pytest.raises(RuntimeError):
        process.start()
    assert journal == ['start a', 'start b', 'stop b', 'stop a']
    assert process.run() == 1


def test_sigterm_stops_the_process_cleanly():
    journal = []
    process = service.Process('p', [Part('a', journal), Part('b', journal)])
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    before = signal.getsignal(signal.SIGTERM)
    assert process.run() == 0
    assert journal == ['start a', 'start b', 'stop b', 'stop a']
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigint_stops_the_process_cleanly():
    journal = []
    process = service.Process('p', [Part('a', journal)])
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    assert process.run() == 0
    assert journal == ['start a', 'stop a']


def test_a_dying_component_stops_the_process_with_an_error():
    journal = []
    part = Part('a', journal)
    process = service.Process('p', [part, Part('b', journal)])
    threading.Timer(0.2, setattr, (part, 'dead', True)).start()
    assert process.run() == 1
    assert journal[-2:] == ['stop b', 'stop a']


def test_any_address_means_ipv4_and_ipv6():
    server = service.ApiServer(app=_slow_app(None, None), host='::',
                               port=0, threads=1)
    server.start()
    try:
        for host in ('127.0.0.1', '[::1]'):
            url = 'http://%s:%d/any' % (host, server.port)
            assert urllib.request.urlopen(url, timeout=5).read() == \
                b'hello /any'
    finally:
        server.stop(5)


def _slow_app(started, release):
    def app(environ, start_response):
        if environ['PATH_INFO'] == '/slow':
            started.set()
            release.wait(10)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'hello ' + environ['PATH_INFO'].encode()]
    return app


def test_api_server_serves_then_finishes_requests_in_progress_on_stop():
    started, release = threading.Event(), threading.Event()
    server = service.ApiServer(app=_slow_app(started, release),
                               host='127.0.0.1', port=0, threads=2)
    server.start()
    base = 'http://127.0.0.1:%d' % server.port
    assert urllib.request.urlopen(base + '/x', timeout=5).read() == \
        b'hello /x'
    slow = {}

    def call_slow():
        slow['body'] = urllib.request.urlopen(base + '/slow',
                                              timeout=10).read()

    caller = threading.Thread(target=call_slow)
    caller.start()
    assert started.wait(5)
    threading.Timer(0.3, release.set).start()
    server.stop(timeout=5)
    caller.join(5)
    assert slow.get('body') == b'hello /slow'
    assert not server.alive()
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', server.port), timeout=1)


def test_api_server_refuses_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        server = service.ApiServer(app=_slow_app(None, None),
                                   host='127.0.0.1',
                                   port=busy.getsockname()[1])
        with pytest.raises(OSError):
            server.start()


def test_coordination_component_makes_this_node_the_owner(tmp_path):
    component = service.Coordination(coordination.Coordinator(
        'node-1', url='file://%s' % tmp_path))
    component.start()
    try:
        assert coordination.get_current() is component.coordinator
        assert coordination.owns('any-storage')
    finally:
        component.stop(5)
    assert coordination.get_current() is None
    # Alone, without a coordinator, a process owns every storage.
    assert coordination.owns('any-storage')


def test_optional_component_missing_is_reported_not_fatal(caplog):
    got = service._optional_component('delfin.no_such_module', 'X', 'Thing')
    assert got is None
    assert 'Thing is not available' in caplog.text


def test_optional_component_with_a_broken_import_fails_loudly(tmp_path,
                                                              monkeypatch):
    (tmp_path / 'broken_component.py').write_text('import no_such_dep\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        service._optional_component('broken_component', 'X', 'Thing')


def test_wait_for_helper_times_out():
    with pytest.raises(AssertionError):
        conftest.wait_for(lambda: False, timeout=0.1, what='never')
    assert conftest.wait_for(lambda: 5, timeout=1) == 5


def test_api_server_sets_the_configured_switch_interval():
    from oslo_config import cfg
    before = sys.getswitchinterval()
    cfg.CONF.set_override('api_switch_interval', 2.0)
    server = service.ApiServer(app=_slow_app(None, None), host='127.0.0.1',
                               port=0, threads=1)
    server.start()
    try:
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        server.stop(5)
        sys.setswitchinterval(before)


def test_api_read_threads_follow_the_database_unless_configured():
    from oslo_config import cfg
    from delfin.api import server as api_server
    server = service.ApiServer(app=_slow_app(None, None), host='127.0.0.1',
                               port=0)
    server.start()
    try:
        # The default database is a SQLite file: one thread for reads.
        assert server.threads == 1
        assert server._server.bridge.pool._max_workers == 1
        url = 'http://127.0.0.1:%d/x' % server.port
        assert urllib.request.urlopen(url, timeout=5).read() == b'hello /x'
    finally:
        server.stop(5)
    cfg.CONF.set_override('connection', 'postgresql://u@127.0.0.1/d',
                          group='database')
    assert api_server.read_threads() == 2
    cfg.CONF.set_override('connection', 'mysql://u@127.0.0.1/d',
                          group='database')
    assert api_server.read_threads() == 2
    cfg.CONF.set_override('api_threads', 3)
    assert api_server.read_threads() == 3
