#!/usr/bin/env python3
"""Trap blaster: the wire benchmark of the SNMP trap listener.

It pre-encodes distinct traps (v1, v2c, or v3 with any USM protocols),
replays them over UDP to 127.0.0.1 at a given rate or flat out from a
separate sender process, and reports what was sent, what the listener read,
accepted and dropped (by reason), what the kernel dropped, and the rates.
The listener runs in this process with a handler that only counts (the wire
alone, no store), or ``--port`` points the traps at a listener elsewhere.
With ``--snmptrapd`` the same traps also go to net-snmp's snmptrapd on
another loopback port, counting the traps it logs, for reference.

Without ``--scenario`` it runs the standard set: v2c sustained at 10,000/s,
a 10,000-trap v2c burst at line rate, v2c flat out, v3 authPriv
(SHA-256/AES-256) sustained at 3,000/s and flat out.

``--decode-only`` measures the decoder alone on one core, beside pysnmp 7's
engine on the same traps.

    .venv/bin/python bench/trap_blaster.py --snmptrapd
    .venv/bin/python bench/trap_blaster.py --scenario v2c --rate 20000
    .venv/bin/python bench/trap_blaster.py --decode-only --payload 1
"""
import argparse
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from delfin.alert_manager.listener import DEFAULT_RCVBUF  # noqa: E402
from delfin.alert_manager.listener import TrapListener  # noqa: E402
from delfin.alert_manager.snmp import ber  # noqa: E402
from delfin.alert_manager.snmp import decoder  # noqa: E402
from delfin.alert_manager.snmp import usm  # noqa: E402

COMMUNITY = 'blaster-community'
ENGINE_ID = bytes.fromhex('80001f8880b1a5700000000001')
USER = 'blaster'
AUTH_PASSWORD = 'blaster-auth-pass'
PRIV_PASSWORD = 'blaster-priv-pass'
ENTERPRISE = '1.3.6.1.4.1.99999.1'
# net-snmp's names for the USM protocols.
NETSNMP_AUTH = {'hmacmd5': 'MD5', 'hmacsha': 'SHA', 'hmcsha2224': 'SHA-224',
                'hmcsha2256': 'SHA-256', 'hmcsha2384': 'SHA-384',
                'hmcsha2512': 'SHA-512'}
NETSNMP_PRIV = {'des': 'DES', 'aes': 'AES', 'aes192': 'AES-192',
                'aes256': 'AES-256'}

STANDARD_SCENARIOS = [
    # (label, kind, rate (0 = flat out), count or None for rate*duration)
    ('v2c sustained 10k/s', 'v2c', 10000, None),
    ('v2c burst 10k at line rate', 'v2c', 0, 10000),
    ('v2c flat out', 'v2c', 0, None),
    ('v3 authPriv sustained 3k/s', 'v3', 3000, None),
    ('v3 authPriv flat out', 'v3', 0, None),
]


def _varbinds(i):
    """A storage-alarm-like payload; every trap differs."""
    base = ENTERPRISE + '.2.1.'
    return [
        (base + '1', ber.INTEGER, 100000 + i),
        (base + '2', ber.OCTET_STRING, 'Disk enclosure %d slot %d failed'
         % (i % 16, i % 24)),
        (base + '3', ber.INTEGER, i % 6),
        (base + '4', ber.OCTET_STRING, 'controller-%d' % (i % 2)),
        (base + '5', ber.OCTET_STRING, '2024-01-01 00:%02d:%02d'
         % (i // 60 % 60, i % 60)),
    ]


def v3_user(args):
    return usm.UsmUser(USER, args.auth, AUTH_PASSWORD, args.priv,
                       PRIV_PASSWORD, ENGINE_ID)


def encode_traps(kind, count, args):
    user = v3_user(args) if kind == 'v3' else None
    packets = []
    for i in range(count):
        trap_oid = ENTERPRISE + '.0.%d' % (1 + i % 5)
        payload = _varbinds(i)[:args.payload]
        if kind == 'v1':
            pdu = ber.encode_trap_v1(ENTERPRISE, '127.0.0.1', 6, 1 + i % 5,
                                     i, payload)
            packets.append(ber.encode_community_message(0, COMMUNITY, pdu))
            continue
        varbinds = [(decoder.SYS_UPTIME_OID, ber.TIMETICKS, i),
                    (decoder.SNMP_TRAP_OID_OID, ber.OBJECT_IDENTIFIER,
                     trap_oid)] + payload
        pdu = ber.encode_pdu(ber.TRAP_V2, i + 1, varbinds)
        if kind == 'v2c':
            packets.append(ber.encode_community_message(1, COMMUNITY, pdu))
        else:
            packets.append(usm.encode_message(user, ENGINE_ID, 1, 1000, pdu))
    return packets


def credentials(args):
    return decoder.Credentials(
        [decoder.CommunityEntry('127.0.0.1', COMMUNITY, 'bench')],
        [decoder.UserEntry(v3_user(args), ('127.0.0.1',), 'bench')])


def _sender_main(kind, distinct, args, conn):
    """Sender process: encode, wait for the go, send, report."""
    packets = encode_traps(kind, distinct, args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    conn.send('ready')
    while True:
        order = conn.recv()
        if order is None:
            return
        port, total, rate = order
        conn.send(_send(sock, packets, port, total, rate))


def _send(sock, packets, port, total, rate):
    destination = ('127.0.0.1', port)
    sendto = sock.sendto
    distinct = len(packets)
    errors = 0
    start = time.perf_counter()
    if rate <= 0:
        for i in range(total):
            try:
                sendto(packets[i % distinct], destination)
            except OSError:
                errors += 1
    else:
        # Paced in 1 ms slices: send what is due, then sleep.
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                try:
                    sendto(packets[sent % distinct], destination)
                except OSError:
                    errors += 1
                sent += 1
            ahead = sent / rate - (time.perf_counter() - start)
            if ahead > 0:
                time.sleep(min(ahead, 0.001))
    return total - errors, time.perf_counter() - start


class Sender(object):
    def __init__(self, kind, distinct, args):
        context = multiprocessing.get_context('spawn')
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_sender_main,
                                       args=(kind, distinct, args, child),
                                       daemon=True)
        self.process.start()
        child.close()
        if self.conn.recv() != 'ready':
            raise RuntimeError('sender failed')

    def send(self, port, total, rate):
        self.conn.send((port, total, rate))
        return self.conn.recv()

    def close(self):
        self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


class CountingHandler(object):
    """The handler of the wire benchmark: counts, nothing else."""

    def __init__(self):
        self.count = 0
        self.last = None
        self.lock = threading.Lock()

    def __call__(self, traps):
        with self.lock:
            self.count += len(traps)
            self.last = time.perf_counter()


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped for a full buffer."""
    try:
        with open('/proc/net/snmp') as snmp:
            rows = [line.split() for line in snmp if line.startswith('Udp:')]
        return int(rows[1][rows[0].index('RcvbufErrors')])
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds(pid='self'):
    """User plus system CPU time of a process, from /proc."""
    try:
        with open('/proc/%s/stat' % pid) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_quiet(progress, expected, settle):
    """Wait until ``progress()`` reaches expected or stops moving."""
    last, last_change = progress(), time.perf_counter()
    while last < expected and time.perf_counter() - last_change < settle:
        time.sleep(0.05)
        now = progress()
        if now != last:
            last, last_change = now, time.perf_counter()
    return last


def run_listener(label, sender, total, rate, args):
    handler = CountingHandler()
    listener = TrapListener(handler, credentials(args), host='127.0.0.1',
                            port=0, processes=args.processes,
                            batch_size=args.batch_size, rcvbuf=args.rcvbuf)
    listener.start()
    try:
        pids = listener.stats()['worker_pids']
        cpu_before = [cpu_seconds()] + [cpu_seconds(pid) for pid in pids]
        kernel_before = udp_rcvbuf_errors()
        start = time.perf_counter()
        sent, send_time = sender.send(listener.port, total, rate)
        wait_quiet(lambda: listener.stats()['handled']
                   + sum(listener.stats()['dropped'].values()), sent, 2.0)
        end = handler.last or time.perf_counter()
        cpu_after = [cpu_seconds()] + [cpu_seconds(pid) for pid in pids]
        stats = listener.stats()
    finally:
        listener.stop()
    kernel_after = udp_rcvbuf_errors()
    drops = {reason: n for reason, n in stats['dropped'].items() if n}
    kernel = (None if kernel_before is None
              else kernel_after - kernel_before)
    lost = sent - handler.count
    print('%-28s sent %7d at %8.0f/s | read %7d, handled %7d at %8.0f/s | '
          'dropped %s | kernel drops %s | lost %d%s'
          % (label, sent, sent / send_time, stats['received'], handler.count,
             handler.count / max(end - start, 1e-9), drops or 'none',
             kernel, lost, '' if lost else '  ZERO LOSS'))
    latency = stats['latency_seconds']
    if latency['count']:
        cpu = [after - before for before, after in zip(cpu_before, cpu_after)]
        per_trap = 1e6 / max(stats['received'], 1)
        print('%-28s latency mean %.1f ms, max %.1f ms | CPU per trap: '
              'handler process %.1f us, workers %s us | load %.1f'
              % ('', 1000 * latency['sum'] / latency['count'],
                 1000 * latency['max'], cpu[0] * per_trap,
                 '+'.join('%.1f' % (c * per_trap) for c in cpu[1:]) or '-',
                 os.getloadavg()[0]))
    return lost


def run_external(label, sender, total, rate, port):
    sent, send_time = sender.send(port, total, rate)
    print('%-28s sent %7d at %8.0f/s to port %d'
          % (label, sent, sent / send_time, port))


class Snmptrapd(object):
    """net-snmp's snmptrapd on a loopback port, logging one line a trap."""

    def __init__(self, args):
        self.binary = shutil.which('snmptrapd') or '/usr/sbin/snmptrapd'
        self.dir = tempfile.mkdtemp(prefix='trap-blaster-')
        self.log = os.path.join(self.dir, 'traps.log')
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(('127.0.0.1', 0))
        self.port = probe.getsockname()[1]
        probe.close()
        config = os.path.join(self.dir, 'snmptrapd.conf')
        user_line = 'createUser -e 0x%s %s %s %s' % (
            ENGINE_ID.hex(), USER, NETSNMP_AUTH[args.auth], AUTH_PASSWORD)
        if args.priv:
            user_line += ' %s %s' % (NETSNMP_PRIV[args.priv], PRIV_PASSWORD)
        with open(config, 'w') as conf:
            # The same receive buffer as the listener, for a fair burst.
            conf.write('authCommunity log %s\n%s\nauthUser log %s\n'
                       'format1 T\\n\nformat2 T\\n\n'
                       'doNotRetainNotificationLogs yes\n'
                       '[snmp] serverRecvBuf %d\n'
                       % (COMMUNITY, user_line, USER, args.rcvbuf))
        # Logged to stdout: with -Lf, snmptrapd holds v1 traps in a buffer.
        with open(self.log, 'w') as out:
            self.process = subprocess.Popen(
                [self.binary, '-f', '-n', '-Lo', '-C', '-c', config,
                 '-M', '/dev/null', '-m', '', '--persistentDir=' + self.dir,
                 'udp:127.0.0.1:%d' % self.port],
                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.getsize(self.log):
                break
            time.sleep(0.05)

    def count(self):
        try:
            with open(self.log, 'rb') as log:
                return sum(1 for line in log if line == b'T\n')
        except OSError:
            return 0

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_snmptrapd(label, sender, total, rate, trapd):
    before = trapd.count()
    cpu_before = cpu_seconds(trapd.process.pid)
    kernel_before = udp_rcvbuf_errors()
    start = time.perf_counter()
    sent, send_time = sender.send(trapd.port, total, rate)
    logged = wait_quiet(lambda: trapd.count() - before, sent, 2.0)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(trapd.process.pid) - cpu_before
    kernel_after = udp_rcvbuf_errors()
    kernel = (None if kernel_before is None
              else kernel_after - kernel_before)
    print('%-28s sent %7d at %8.0f/s | snmptrapd logged %7d (%8.0f/s) | '
          'kernel drops %s | lost %d | CPU per trap %.1f us'
          % ('  snmptrapd', sent, sent / send_time, logged,
             logged / elapsed, kernel, sent - logged,
             1e6 * cpu / max(logged, 1)))


def decode_only(args):
    """Decode rate of one core, no sockets: decode_trap over the traps."""
    creds = credentials(args)
    source = ('127.0.0.1', 40000)
    print('decode only (one core, best of 3), %d distinct traps, %d vendor '
          'varbinds each' % (args.distinct, args.payload))
    for kind in ('v1', 'v2c', 'v3'):
        packets = encode_traps(kind, args.distinct, args)
        # Warm the key and OID caches as a running listener has them.
        for data in packets[:10]:
            decoder.decode_trap(data, source, creds)
        best = 0.0
        for _ in range(3):
            start = time.process_time()
            for data in packets:
                decoder.decode_trap(data, source, creds, None, 0.0)
            best = max(best, len(packets) / (time.process_time() - start))
        label = kind if kind != 'v3' else 'v3 %s/%s' % (args.auth, args.priv)
        print('  %-28s %8.0f traps/s  (%.1f us each, %d bytes)'
              % (label, best, 1e6 / best,
                 sum(map(len, packets)) / len(packets)))
        if kind != 'v1':
            pysnmp_engine_rate(kind, packets[:2000], args)


def pysnmp_engine_rate(kind, packets, args):
    """Traps/s that pysnmp 7's full engine accepts, for comparison."""
    import asyncio

    from pysnmp.carrier.asyncio.dgram import udp
    from pysnmp.entity import config
    from pysnmp.entity import engine
    from pysnmp.entity.rfc3413 import ntfrcv
    from pysnmp.proto import rfc1902
    from delfin.tests.unit.alert_manager.snmp import reference

    async def measure():
        snmp_engine = engine.SnmpEngine()
        config.add_transport(snmp_engine, udp.DOMAIN_NAME,
                             udp.UdpTransport().open_server_mode(
                                 ('127.0.0.1', 0)))
        config.add_v1_system(snmp_engine, 'bench', COMMUNITY)
        config.add_v3_user(
            snmp_engine, USER, reference.PYSNMP_AUTH[args.auth],
            AUTH_PASSWORD, reference.PYSNMP_PRIV[args.priv], PRIV_PASSWORD,
            securityEngineId=rfc1902.OctetString(ENGINE_ID))
        accepted = []
        ntfrcv.NotificationReceiver(snmp_engine,
                                    lambda *a: accepted.append(1))
        dispatcher = snmp_engine.message_dispatcher
        start = time.process_time()
        for data in packets:
            dispatcher.receive_message(snmp_engine, udp.DOMAIN_NAME,
                                       ('127.0.0.1', 40000), data)
        elapsed = time.process_time() - start
        snmp_engine.close_dispatcher()
        return len(accepted), elapsed

    accepted, elapsed = asyncio.run(measure())
    print('  %-28s %8.0f traps/s  (%d of %d accepted)'
          % ('pysnmp 7 engine, ' + kind, len(packets) / elapsed, accepted,
             len(packets)))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--scenario', choices=('v1', 'v2c', 'v3'),
                        help='run one kind of trap instead of the standard '
                             'set')
    parser.add_argument('--rate', type=float, default=0,
                        help='traps per second for --scenario (0: flat out)')
    parser.add_argument('--count', type=int,
                        help='traps to send (default: rate x duration, or '
                             '--flat-count when flat out)')
    parser.add_argument('--duration', type=float, default=5.0,
                        help='seconds of a paced run (default 5)')
    parser.add_argument('--flat-count', type=int, default=50000,
                        help='traps in a flat-out run (default 50000)')
    parser.add_argument('--payload', type=int, default=5,
                        choices=range(6),
                        help='vendor varbinds per trap after sysUpTime.0 '
                             'and snmpTrapOID.0 (default 5)')
    parser.add_argument('--distinct', type=int, default=10000,
                        help='distinct pre-encoded traps (default 10000)')
    parser.add_argument('--auth', default='hmcsha2256',
                        choices=sorted(usm.AUTH_PROTOCOLS),
                        help='v3 authentication protocol')
    parser.add_argument('--priv', default='aes256',
                        choices=sorted(usm.PRIV_PROTOCOLS),
                        help='v3 privacy protocol')
    parser.add_argument('--processes', type=int, default=1,
                        help='listener worker processes (0: threads)')
    parser.add_argument('--batch-size', type=int, default=256,
                        help='most traps decoded together and handed to '
                             'the handler at once (default 256)')
    parser.add_argument('--rcvbuf', type=int, default=DEFAULT_RCVBUF,
                        help='socket receive buffer of the listener and '
                             'snmptrapd, bytes (default %(default)s)')
    parser.add_argument('--port', type=int,
                        help='send to a listener already on this port of '
                             '127.0.0.1 instead of starting one')
    parser.add_argument('--snmptrapd', action='store_true',
                        help="also send every run to net-snmp's snmptrapd")
    parser.add_argument('--decode-only', action='store_true',
                        help='measure the decoder alone on one core, no '
                             'sockets')
    args = parser.parse_args()
    if args.decode_only:
        decode_only(args)
        return

    if args.scenario:
        count = args.count
        scenarios = [('%s %s' % (args.scenario, '%d/s' % args.rate
                                 if args.rate else 'flat out'),
                      args.scenario, args.rate, count)]
    else:
        scenarios = STANDARD_SCENARIOS
    trapd = None
    if args.snmptrapd:
        if args.snmptrapd and args.priv not in NETSNMP_PRIV:
            parser.error('snmptrapd has no %s' % args.priv)
        trapd = Snmptrapd(args)
    print('cores %d, listener processes %d, v3 %s/%s, %d distinct traps '
          'with %d vendor varbinds'
          % (os.cpu_count(), args.processes, args.auth, args.priv,
             args.distinct, args.payload))
    senders = {}
    try:
        for label, kind, rate, count in scenarios:
            if count is None:
                count = (int(rate * args.duration) if rate
                         else args.flat_count)
            if kind not in senders:
                senders[kind] = Sender(kind, args.distinct, args)
            sender = senders[kind]
            if args.port:
                run_external(label, sender, count, rate, args.port)
            else:
                run_listener(label, sender, count, rate, args)
            if trapd is not None:
                run_snmptrapd(label, sender, count, rate, trapd)
    finally:
        for sender in senders.values():
            sender.close()
        if trapd is not None:
            trapd.close()


if __name__ == '__main__':
    main()
