#!/usr/bin/env python3
"""Alert pipeline benchmark: SNMP traps over UDP, end to end into SQL.

Each scenario starts the real alert service (`AlertService`: listener,
processor with the fake storage driver's ``parse_alert``, alert store,
no exporters) on a fresh database with one registered storage and its
alert source, replays pre-encoded traps from a separate sender process at a
given rate or flat out, waits until the pipeline is quiet, and counts what
reached the database: the sum of ``occurrence_count`` over stored alerts.
"lost" is sent minus stored, whatever the cause (kernel, queue, store).

Two trap sets: ``new`` gives every trap its own trap OID, so every trap is
a new alert row (the expensive path: one INSERT per trap); ``repeat``
cycles through a few trap OIDs, so traps are occurrences of a few alerts
(one UPDATE per alert and batch).  With ``--snmptrapd`` the same traps also
go to net-snmp's snmptrapd, for reference (see bench/trap_blaster.py).

    .venv/bin/python bench/alert_store_bench.py
    .venv/bin/python bench/alert_store_bench.py --scenario v2c --rate 15000
    .venv/bin/python bench/alert_store_bench.py --db postgresql+psycopg2://\
postgres@127.0.0.1:5432/test
"""
import argparse
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_DIR))
sys.path.insert(0, BENCH_DIR)

import trap_blaster  # noqa: E402
from delfin import rpc  # noqa: E402,F401
from delfin.alert_manager.snmp import ber  # noqa: E402
from delfin.alert_manager.snmp import decoder  # noqa: E402
from delfin.alert_manager.snmp import usm  # noqa: E402

# The fake driver's trap OIDs (delfin/drivers/fake_storage/alerts.py).
TRAP_PREFIX = '1.3.6.1.4.1.32473.1'
REPEAT_KINDS = 5

STANDARD_SCENARIOS = [
    # (label, kind, rate (0 = flat out), count (None: rate x duration), set)
    ('v2c 10k/s, repeats', 'v2c', 10000, None, 'repeat'),
    ('v2c 10k/s, all new', 'v2c', 10000, None, 'new'),
    ('v2c burst 10k line rate', 'v2c', 0, 10000, 'new'),
    ('v2c flat out, all new', 'v2c', 0, 50000, 'new'),
    ('v2c flat out, repeats', 'v2c', 0, 50000, 'repeat'),
    ('v3 authPriv 3k/s, new', 'v3', 3000, None, 'new'),
    ('v3 authPriv flat out, new', 'v3', 0, 20000, 'new'),
]


def encode(kind, count, trap_set, args):
    """``count`` distinct datagrams of ``kind`` (v1, v2c, v3)."""
    user = trap_blaster.v3_user(args) if kind == 'v3' else None
    packets = []
    for i in range(count):
        number = i % REPEAT_KINDS if trap_set == 'repeat' else i
        trap_oid = '%s.%d' % (TRAP_PREFIX, 100 + number)
        binds = [(TRAP_PREFIX + '.0.1', ber.OCTET_STRING,
                  'component_%d' % number),
                 (TRAP_PREFIX + '.0.2', ber.OCTET_STRING,
                  'Disk enclosure %d slot %d failed' % (i % 16, i % 24)),
                 (TRAP_PREFIX + '.0.3', ber.INTEGER, 100000 + i)]
        if kind == 'v1':
            pdu = ber.encode_trap_v1(TRAP_PREFIX, '127.0.0.1', 6,
                                     100 + number, i, binds)
            packets.append(ber.encode_community_message(
                0, trap_blaster.COMMUNITY, pdu))
            continue
        binds = [(decoder.SYS_UPTIME_OID, ber.TIMETICKS, i),
                 (decoder.SNMP_TRAP_OID_OID, ber.OBJECT_IDENTIFIER,
                  trap_oid)] + binds
        pdu = ber.encode_pdu(ber.TRAP_V2, i + 1, binds)
        if kind == 'v3':
            packets.append(usm.encode_message(user, trap_blaster.ENGINE_ID,
                                              1, 1000, pdu))
        else:
            packets.append(ber.encode_community_message(
                1, trap_blaster.COMMUNITY, pdu))
    return packets


def _sender_main(kind, count, trap_set, args, conn):
    packets = encode(kind, count, trap_set, args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    conn.send('ready')
    while True:
        order = conn.recv()
        if order is None:
            return
        port, total, rate = order
        conn.send(trap_blaster._send(sock, packets, port, total, rate))


class Sender(trap_blaster.Sender):
    """A sender process holding one pre-encoded trap set."""

    def __init__(self, kind, count, trap_set, args):
        context = multiprocessing.get_context('spawn')
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_sender_main, args=(kind, count, trap_set, args, child),
            daemon=True)
        self.process.start()
        child.close()
        if self.conn.recv() != 'ready':
            raise RuntimeError('sender failed')


def configure(args, workdir):
    from oslo_config import cfg
    import delfin.conf  # noqa: F401
    conf = cfg.CONF
    conf([], project='delfin')
    conf.set_override('state_path', os.path.join(workdir, 'state'))
    conf.set_override('alert_exporters', [])
    conf.set_override('batch_size', args.batch_size, group='alerts')
    conf.set_override('receive_buffer', args.rcvbuf, group='alerts')
    conf.set_override('check_time_window', False, group='alerts')
    if args.store_linger is not None:
        conf.set_override('store_linger', args.store_linger, group='alerts')
    conf.set_override('parse_in_workers', args.parse_in_workers,
                      group='alerts')
    return conf


def fresh_database(args, workdir, n):
    """A database with the schema and one storage with an alert source."""
    import sqlalchemy as sa
    from delfin import cryptor
    from delfin.db import api as db_api
    from delfin.db import engine as db_engine
    from delfin.db import schema
    url = args.db or 'sqlite:///%s' % os.path.join(workdir, 'bench%d.sqlite'
                                                   % n)
    engine = db_engine.create_engine(url)
    old = db_engine.set_engine(engine)
    if old is not None:
        old.dispose()
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)
    schema.metadata.create_all(engine)
    storage_id = str(uuid.uuid4())
    db_api.create('storage', {
        'id': storage_id, 'name': 'bench-array', 'vendor': 'fake_vendor',
        'model': 'fake_model', 'serial_number': 'BENCH-%d' % n,
        'sync_status': 0, 'deleted': False})
    db_api.create('access_info', {
        'storage_id': storage_id, 'vendor': 'fake_storage',
        'model': 'fake_driver',
        'rest': {'host': '127.0.0.1', 'port': 8443, 'username': 'bench',
                 'password': cryptor.encode('bench')}})
    source = {'storage_id': storage_id, 'host': '127.0.0.1'}
    if args.kind_of_run == 'v3':
        source.update(
            version='snmpv3', username=trap_blaster.USER,
            security_level='authPriv', auth_protocol=args.auth.upper(),
            auth_key=cryptor.encode(trap_blaster.AUTH_PASSWORD),
            privacy_protocol=args.priv.upper(),
            privacy_key=cryptor.encode(trap_blaster.PRIV_PASSWORD),
            engine_id=trap_blaster.ENGINE_ID.hex())
    else:
        source.update(version='snmpv2c' if args.kind_of_run == 'v2c'
                      else 'snmpv1',
                      community_string=cryptor.encode(
                          trap_blaster.COMMUNITY))
    db_api.create('alert_source', source)
    return storage_id


def stored_occurrences():
    import sqlalchemy as sa
    from delfin.db import engine as db_engine
    from delfin.db import schema
    with db_engine.reader() as conn:
        return conn.execute(sa.select(
            sa.func.coalesce(sa.func.sum(schema.alerts.c.occurrence_count),
                             0))).scalar_one()


def run(label, kind, rate, total, trap_set, sender, args, workdir, n):
    from delfin.alert_manager import service
    args.kind_of_run = kind
    fresh_database(args, workdir, n)
    svc = service.AlertService(host='127.0.0.1', port=0,
                               processes=args.processes)
    svc.start()
    try:
        pids = svc.listener.stats().get('worker_pids', [])
        cpu_before = [trap_blaster.cpu_seconds()] + [
            trap_blaster.cpu_seconds(p) for p in pids]
        kernel_before = trap_blaster.udp_rcvbuf_errors()
        samples = []
        sampling = threading.Event()

        def sample():
            # (time, occurrences stored so far), every 20 ms: the rate
            # below is read between two stores, each seen within 20 ms of
            # its commit (0.1% of a 20 s window).
            while not sampling.wait(0.02):
                samples.append((time.perf_counter(), svc.processor.stored))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        sent, send_time = sender.send(svc.port, total, rate)
        send_end = time.perf_counter()
        stored_at_send_end = svc.processor.stored

        def progress():
            stats = svc.trap_stats()
            return stats['handled'] + sum(stats['dropped'].values())
        trap_blaster.wait_quiet(progress, sent, 3.0)
        svc.processor.flush(30)
        end = time.perf_counter()
        sampling.set()
        sampler.join()
        cpu_after = [trap_blaster.cpu_seconds()] + [
            trap_blaster.cpu_seconds(p) for p in pids]
        stats = svc.trap_stats()
    finally:
        svc.stop(30)
    kernel_after = trap_blaster.udp_rcvbuf_errors()
    stored = stored_occurrences()
    drops = {r: c for r, c in stats['dropped'].items() if c}
    kernel = (None if kernel_before is None
              else kernel_after - kernel_before)
    lost = sent - stored
    elapsed = max(end - start, 1e-9)
    print('%-27s sent %6d at %7.0f/s | stored %6d at %7.0f/s | dropped %s '
          '| kernel %s | lost %d%s'
          % (label, sent, sent / send_time, stored, stored / elapsed,
             drops or 'none', kernel, lost, '' if lost else '  ZERO LOSS'))
    if rate and send_time >= 4:
        # The rate at which the database took the traps while they kept
        # coming: from a fifth of the sending time to its end, leaving out
        # the start (the first batches) and the drain after the last send.
        # Stores come in batches: the rate is taken between the first and
        # the last batch seen in the window.
        begin = start + send_time / 5
        window = [(t, n) for (t, n), (_, before) in zip(samples[1:], samples)
                  if begin <= t <= send_end and n != before]
        if len(window) >= 2:
            (t0, n0), (t1, n1) = window[0], window[-1]
            print('%-27s sustained %.0f/s into SQL while sending; backlog '
                  'at the last send %d traps, all stored %.2f s later'
                  % ('', (n1 - n0) / max(t1 - t0, 1e-9),
                     sent - stored_at_send_end, end - send_end))
    cpu = [b - a for a, b in zip(cpu_before, cpu_after)]
    per_trap = 1e6 / max(sent, 1)
    latency = stats['latency_seconds']
    print('%-27s CPU/trap: alert process %.0f us, workers %s us | '
          'delivery latency mean %.1f ms max %.0f ms | load %.1f'
          % ('', cpu[0] * per_trap,
             '+'.join('%.0f' % (c * per_trap) for c in cpu[1:]) or '-',
             1000 * latency['sum'] / max(latency['count'], 1),
             1000 * latency['max'], os.getloadavg()[0]))
    return lost


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--scenario', choices=('v1', 'v2c', 'v3'))
    parser.add_argument('--set', choices=('new', 'repeat'), default='new',
                        help='trap set of --scenario')
    parser.add_argument('--rate', type=float, default=0,
                        help='traps/s of --scenario (0: flat out)')
    parser.add_argument('--count', type=int)
    parser.add_argument('--duration', type=float, default=5.0)
    parser.add_argument('--auth', default='hmcsha2256',
                        choices=sorted(usm.AUTH_PROTOCOLS))
    parser.add_argument('--priv', default='aes256',
                        choices=sorted(usm.PRIV_PROTOCOLS))
    parser.add_argument('--processes', type=int, default=1,
                        help='listener worker processes (0: threads)')
    parser.add_argument('--batch-size', type=int, default=4096)
    parser.add_argument('--rcvbuf', type=int,
                        default=trap_blaster.DEFAULT_RCVBUF,
                        help='receive buffer of the trap socket (and of '
                             'snmptrapd), bytes')
    parser.add_argument('--db', help='database URL (default: a SQLite '
                        'file in a temporary directory); its tables are '
                        'dropped')
    parser.add_argument('--parse-in-workers', action='store_true',
                        help="run the drivers' parse_alert in the listener "
                             'workers ([alerts] parse_in_workers)')
    parser.add_argument('--snmptrapd', action='store_true',
                        help="also send every run to net-snmp's snmptrapd")
    parser.add_argument('--store-linger', type=float,
                        help='seconds the alert writer waits for more '
                             'traps per transaction ([alerts] '
                             'store_linger; default: the option\'s)')
    args = parser.parse_args()
    if args.scenario:
        scenarios = [('%s %s %s' % (args.scenario, '%d/s' % args.rate
                                    if args.rate else 'flat out', args.set),
                      args.scenario, args.rate, args.count, args.set)]
    else:
        scenarios = STANDARD_SCENARIOS
    workdir = tempfile.mkdtemp(prefix='alert-bench-')
    configure(args, workdir)
    from oslo_config import cfg
    trapd = trap_blaster.Snmptrapd(args) if args.snmptrapd else None
    print('cores %d, listener processes %d%s, batch %d, store linger %s s, '
          'database %s'
          % (os.cpu_count(), args.processes,
             ' (parsing)' if args.parse_in_workers else '', args.batch_size,
             cfg.CONF.alerts.store_linger,
             (args.db or 'sqlite').split('://')[0]))
    try:
        for n, (label, kind, rate, count, trap_set) in enumerate(scenarios):
            if count is None:
                count = int(rate * args.duration) if rate else 50000
            sender = Sender(kind, count, trap_set, args)
            try:
                run(label, kind, rate, count, trap_set, sender, args,
                    workdir, n)
                if trapd is not None:
                    trap_blaster.run_snmptrapd(label, sender, count, rate,
                                               trapd)
            finally:
                sender.close()
    finally:
        if trapd is not None:
            trapd.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
