"""The UDP trap listener over real loopback sockets and worker processes."""
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from delfin.alert_manager.listener import TrapListener
from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp.decoder import CommunityEntry
from delfin.alert_manager.snmp.decoder import Credentials
from delfin.alert_manager.snmp.decoder import Reason
from delfin.tests.conftest import REPO_ROOT
from delfin.tests.conftest import wait_for

TRAP_OID = '1.3.6.1.4.1.99.0.1'


def trap(request_id, community='public', tag=ber.TRAP_V2):
    return ber.encode_community_message(1, community, ber.encode_pdu(
        tag, request_id, [
            ('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, request_id),
            ('1.3.6.1.6.3.1.1.4.1.0', ber.OBJECT_IDENTIFIER, TRAP_OID),
            ('1.3.6.1.4.1.99.1.1', ber.OCTET_STRING, 'event %d' % request_id),
        ]))


def credentials(*names, host='127.0.0.1'):
    return Credentials([CommunityEntry(host, name, 'storage')
                        for name in names or ('public',)])


class Collector(object):
    def __init__(self):
        self.traps = []
        self.batches = 0
        self.lock = threading.Lock()

    def __call__(self, traps):
        with self.lock:
            self.batches += 1
            self.traps.extend(traps)

    def ids(self):
        with self.lock:
            return sorted(t.request_id for t in self.traps)


@pytest.fixture
def sender():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        yield sock


def start(handler, creds=None, **kwargs):
    kwargs.setdefault('host', '127.0.0.1')
    kwargs.setdefault('port', 0)
    listener = TrapListener(handler, creds or credentials(), **kwargs)
    listener.start()
    return listener


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


@pytest.mark.parametrize('processes', [0, 1, 2])
def test_traps_reach_the_handler_in_batches(sender, processes):
    collector = Collector()
    began = time.time()
    listener = start(collector, processes=processes)
    try:
        assert listener.port
        stats = listener.stats()
        assert len(stats['worker_pids']) == processes
        for i in range(500):
            sender.sendto(trap(i), ('127.0.0.1', listener.port))
        wait_for(lambda: len(collector.ids()) == 500, 30, what='500 traps')
        assert collector.ids() == list(range(500))
        assert collector.batches < 500
        first = collector.traps[0]
        assert first.trap_oid == TRAP_OID and first.owners == ('storage',)
        assert began <= first.received_at <= time.time()
        stats = listener.stats()
        assert stats['received'] == stats['accepted'] == 500
        assert stats['handled'] == 500 and stats['in_flight'] == 0
        assert stats['queue_depth'] == 0
        assert set(stats['dropped']) == set(Reason.ALL)
        assert not any(stats['dropped'].values())
        latency = stats['latency_seconds']
        assert latency['count'] == 500 and latency['max'] > 0
        assert latency['buckets'][-1] == (float('inf'), 500)
        assert stats['rcvbuf_bytes'] > 0 and stats['port'] == listener.port
        pids = stats['worker_pids']
    finally:
        listener.stop()
    assert not any(alive(pid) for pid in pids)


def test_several_workers_share_the_port():
    collector = Collector()
    listener = start(collector, processes=2)
    try:
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                 for _ in range(16)]
        for i in range(320):
            socks[i % 16].sendto(trap(i), ('127.0.0.1', listener.port))
        wait_for(lambda: len(collector.ids()) == 320, 30, what='traps')
        assert collector.ids() == list(range(320))
    finally:
        for sock in socks:
            sock.close()
        listener.stop()


def test_hostile_traffic_is_counted_and_survived(sender):
    collector = Collector()
    listener = start(collector, creds=credentials('public'))
    rng = random.Random(99)
    sent = valid = 0
    address = ('127.0.0.1', listener.port)
    try:
        template = trap(1)
        for i in range(3000):
            if i % 30 == 0:
                sender.sendto(trap(1000 + valid), address)
                valid += 1
            elif i % 3 == 0:
                junk = bytes(rng.randrange(256)
                             for _ in range(rng.randrange(1, 300)))
                sender.sendto(junk, address)
            elif i % 3 == 1:
                mutated = bytearray(template)
                for _ in range(3):
                    mutated[rng.randrange(len(mutated))] = rng.randrange(256)
                sender.sendto(bytes(mutated), address)
            else:
                sender.sendto(trap(i, community='guess-%d' % i), address)
            sent += 1
        sender.sendto(b'\x30\x84\x7f\xff\xff\xff' + bytes(60000), address)
        sent += 1
        wait_for(lambda: listener.stats()['received'] == sent, 30,
                 what='every datagram read')
        wait_for(lambda: listener.stats()['queue_depth'] == 0, 30,
                 what='queue drained')
        stats = listener.stats()
        dropped = stats['dropped']
        assert dropped[Reason.UNDECODABLE] > 0
        assert dropped[Reason.BAD_COMMUNITY] >= 1000
        assert stats['accepted'] + sum(dropped.values()) == sent
        assert set(range(1000, 1000 + valid)) <= set(collector.ids())
        # Still serving.
        sender.sendto(trap(424242), address)
        wait_for(lambda: 424242 in collector.ids(), 10, what='late trap')
        assert listener.stats()['worker_restarts'] == 0
    finally:
        listener.stop()


def test_queue_full_is_counted_not_fatal(sender):
    gate = threading.Event()
    collector = Collector()

    def handler(traps):
        gate.wait(30)
        collector(traps)

    listener = start(handler, processes=0, queue_size=20, batch_size=5)
    try:
        for i in range(300):
            sender.sendto(trap(i), ('127.0.0.1', listener.port))
        wait_for(lambda: listener.stats()['received'] == 300, 30,
                 what='all read')
        assert listener.stats()['dropped'][Reason.QUEUE_FULL] > 0
        gate.set()
        wait_for(lambda: listener.stats()['queue_depth'] == 0, 30,
                 what='queue drained')
        stats = listener.stats()
        assert stats['handled'] + stats['dropped'][Reason.QUEUE_FULL] == 300
        assert len(collector.ids()) == stats['handled']
    finally:
        gate.set()
        listener.stop()


def test_queue_is_bounded_in_bytes(sender):
    gate = threading.Event()
    listener = start(lambda traps: gate.wait(30), processes=0,
                     queue_bytes=20000, batch_size=1)
    try:
        for i in range(50):
            sender.sendto(trap(i), ('127.0.0.1', listener.port))
            sender.sendto(bytes(4000), ('127.0.0.1', listener.port))
        wait_for(lambda: listener.stats()['received'] == 100, 30,
                 what='all read')
        # The count bound (65536) is far away: the byte bound drops all but
        # the first few 4000-byte datagrams.
        assert listener.stats()['dropped'][Reason.QUEUE_FULL] >= 45
    finally:
        gate.set()
        listener.stop()


@pytest.mark.parametrize('processes', [0, 1])
def test_handler_failures_are_counted(sender, processes):
    collector = Collector()
    calls = []

    def handler(traps):
        calls.append(len(traps))
        if len(calls) == 1:
            raise RuntimeError('store unavailable')
        collector(traps)

    listener = start(handler, processes=processes)
    try:
        sender.sendto(trap(1), ('127.0.0.1', listener.port))
        wait_for(lambda: calls, 10, what='first call')
        sender.sendto(trap(2), ('127.0.0.1', listener.port))
        wait_for(lambda: collector.ids() == [2], 10, what='second trap')
        assert listener.stats()['handler_errors'] == 1
    finally:
        listener.stop()


@pytest.mark.parametrize('processes', [0, 1])
def test_stop_hands_over_every_queued_trap(sender, processes):
    collector = Collector()

    def slow(traps):
        time.sleep(0.02)
        collector(traps)

    listener = start(slow, processes=processes, batch_size=10)
    for i in range(400):
        sender.sendto(trap(i), ('127.0.0.1', listener.port))
    # Everything sent is in the socket's buffer or queue: nothing may be
    # lost by stopping now.
    listener.stop()
    assert collector.ids() == list(range(400))
    stats = listener.stats()
    assert stats['abandoned'] == 0 and stats['received'] == 400


@pytest.mark.parametrize('processes', [0, 1])
def test_drain_timeout_bounds_the_stop(sender, processes):
    collector = Collector()

    def very_slow(traps):
        time.sleep(0.1)
        collector(traps)

    listener = start(very_slow, processes=processes, batch_size=5)
    for i in range(400):
        sender.sendto(trap(i), ('127.0.0.1', listener.port))
    wait_for(lambda: listener.stats()['received'] == 400, 30, what='read')
    began = time.monotonic()
    listener.stop(timeout=0.5)
    assert time.monotonic() - began < 15
    stats = listener.stats()
    assert stats['abandoned'] > 0
    assert len(collector.ids()) + stats['abandoned'] == 400


def test_credentials_change_without_restart(sender):
    collector = Collector()
    listener = start(collector, creds=credentials('old-community'))
    address = ('127.0.0.1', listener.port)
    try:
        sender.sendto(trap(1, 'new-community'), address)
        wait_for(lambda: listener.stats()['dropped'][Reason.BAD_COMMUNITY],
                 10, what='rejection')
        assert listener.set_credentials(credentials('new-community'))
        sender.sendto(trap(2, 'new-community'), address)
        sender.sendto(trap(3, 'old-community'), address)
        wait_for(lambda: listener.stats()['dropped'][Reason.BAD_COMMUNITY]
                 == 2, 10, what='second rejection')
        wait_for(lambda: collector.ids() == [2], 10, what='accepted trap')
    finally:
        listener.stop()


def test_no_credentials_yet_refuses_everything(sender):
    collector = Collector()
    listener = TrapListener(collector, None, '127.0.0.1', 0, processes=0)
    listener.start()
    try:
        sender.sendto(trap(1), ('127.0.0.1', listener.port))
        wait_for(lambda: listener.stats()['dropped'][Reason.UNKNOWN_SOURCE],
                 10, what='rejection')
        assert listener.set_credentials(credentials())
        sender.sendto(trap(2), ('127.0.0.1', listener.port))
        wait_for(lambda: collector.ids() == [2], 10, what='accepted trap')
    finally:
        listener.stop()


def test_a_killed_worker_is_replaced(sender):
    collector = Collector()
    listener = start(collector)
    try:
        old_pid, = listener.stats()['worker_pids']
        os.kill(old_pid, signal.SIGKILL)
        wait_for(lambda: listener.stats()['worker_restarts'] == 1, 30,
                 what='replacement')
        new_pid, = listener.stats()['worker_pids']
        assert new_pid != old_pid
        sender.sendto(trap(7), ('127.0.0.1', listener.port))
        wait_for(lambda: collector.ids() == [7], 10, what='trap after restart')
    finally:
        listener.stop()
    assert not alive(new_pid)


def test_v2c_inform_is_acknowledged(sender):
    collector = Collector()
    listener = start(collector)
    try:
        inform = trap(5150, tag=ber.INFORM_REQUEST)
        sender.settimeout(10)
        sender.sendto(inform, ('127.0.0.1', listener.port))
        response, _ = sender.recvfrom(65535)
        msg = ber.decode_message(response)
        assert (msg.version, msg.community, msg.pdu_tag) == (
            1, b'public', ber.RESPONSE)
        pdu = ber.decode_pdu(response, msg.pdu_tag, msg.pdu_start,
                             msg.pdu_end)
        assert (pdu.request_id, pdu.error_status) == (5150, 0)
        sent = ber.decode_message(inform)
        assert pdu.varbinds == ber.decode_pdu(
            inform, sent.pdu_tag, sent.pdu_start, sent.pdu_end).varbinds
        wait_for(lambda: collector.ids() == [5150], 10, what='inform')
        assert collector.traps[0].pdu_type == 'inform'
    finally:
        listener.stop()


@pytest.mark.parametrize('processes', [0, 1])
def test_ipv6_literal(processes):
    if not socket.has_ipv6:
        pytest.skip('no IPv6 on this host')
    collector = Collector()
    listener = start(collector, creds=credentials(host='::1'), host='[::1]',
                     processes=processes)
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.sendto(trap(6), ('::1', listener.port))
        wait_for(lambda: collector.ids() == [6], 10, what='IPv6 trap')
        assert collector.traps[0].source_ip == '::1'
    finally:
        listener.stop()


@pytest.mark.parametrize('processes', [0, 1])
def test_busy_port_fails_start(processes):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(('127.0.0.1', 0))
        listener = TrapListener(Collector(), credentials(), '127.0.0.1',
                                busy.getsockname()[1], processes=processes)
        with pytest.raises(OSError):
            listener.start()
        assert listener.stats()['worker_pids'] == []


def test_workers_exit_with_their_parent():
    script = textwrap.dedent('''
        import sys, time
        from delfin.alert_manager.listener import TrapListener
        from delfin.alert_manager.snmp.decoder import Credentials
        if __name__ == '__main__':
            listener = TrapListener(print, Credentials(), '127.0.0.1', 0)
            listener.start()
            print(listener.stats()['worker_pids'][0], flush=True)
            time.sleep(60)
    ''')
    parent = subprocess.Popen([sys.executable, '-c', script],
                              stdout=subprocess.PIPE, cwd=REPO_ROOT)
    try:
        worker = int(parent.stdout.readline())
        assert alive(worker)
        parent.kill()
        parent.wait(10)
        wait_for(lambda: not alive(worker), 15, what='worker exit')
    finally:
        parent.kill()
        parent.stdout.close()


@pytest.mark.parametrize('processes', [0, 1])
def test_a_trap_from_an_unknown_source_is_logged_rate_limited(
        sender, caplog, processes):
    caplog.set_level(logging.WARNING, logger='delfin.alert_manager.listener')
    collector = Collector()
    # Only 127.0.0.2 is configured; the sender is 127.0.0.1.
    listener = start(collector, creds=credentials(host='127.0.0.2'),
                     processes=processes)
    try:
        for n in range(20):
            sender.sendto(trap(n), ('127.0.0.1', listener.port))
        wait_for(lambda: listener.stats()['dropped'][Reason.UNKNOWN_SOURCE]
                 == 20, 10, what='rejections')

        def reported():
            return [r.getMessage() for r in caplog.records
                    if 'no SNMP configuration' in r.getMessage()]
        lines = wait_for(reported, 10, what='the log line')
    finally:
        listener.stop()
    # One line for the burst, naming the sender.
    assert len(lines) == 1, lines
    assert lines[0].startswith('Dropped a trap from 127.0.0.1:')
