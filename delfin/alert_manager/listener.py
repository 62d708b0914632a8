"""The SNMP trap listener: a UDP endpoint that turns datagrams into `Trap`s.

Inside, work is split so that the socket is always read promptly:

* a reader thread does nothing but ``recvfrom`` into a bounded queue (bounded
  in datagrams and in bytes); when the queue is full the datagram is dropped
  and counted as ``queue_full``.  The socket gets a large receive buffer
  (``SO_RCVBUF``, 32 MiB by default; ``SO_RCVBUFFORCE`` is tried when the
  kernel caps the request, which works with CAP_NET_ADMIN) so bursts wait
  in the kernel instead of being lost there; the effective size is reported
  in the stats and a warning is logged when it is smaller than asked;
* a decode worker takes datagrams in batches, decodes and authenticates them
  (`decoder.decode_trap`), counts every rejection by reason, acknowledges
  v2c informs, and passes the accepted traps on in batches;
* the caller's ``handler(traps)`` receives each batch, always in the process
  that created the listener and always from one thread, so a store behind
  it runs in one place.

With ``processes=N`` (default 1) the reader and decoder run in N spawned
worker processes, which keeps decoding off the core that runs the handler
(Python threads share one core).  Several workers share the port through
``SO_REUSEPORT``; the kernel spreads senders over them by address, so one
sender always lands on the same worker.  ``processes=0`` runs reader and
decoder as threads of the calling process.  A worker that dies is replaced;
workers exit when the parent disappears, so none is left orphaned.  Workers
are spawned, not forked (the parent runs threads), so a script that starts
a listener guards its entry point with ``if __name__ == '__main__'``.

`TrapListener.stop` is graceful: the reader stops, drains what the kernel
still holds, and every queued datagram is decoded and handed to the handler
before the call returns, unless the drain timeout expires first (what is
left is then counted as ``abandoned``).

Credentials are swapped at run time with `TrapListener.set_credentials`;
workers apply the new value between two batches.

A ``prepare`` callable (picklable; swapped along with the credentials)
moves the handler's per-trap work into the workers: the decoder calls
``prepare(traps)`` on each batch and the handler receives a `TrapBatch`
whose ``prepared`` holds the results, one per trap (None where a batch's
``prepare`` failed, or was skipped because the decoder fell behind while
the handler's process took batches at once: the handler then does that
work itself, which spreads it over both processes).  A trap with
a result arrives without its variable bindings (``varbinds`` is empty)
when it comes from a worker process.

Running unprivileged: UDP port 162 is privileged.  Either listen on a port
above 1023 (``trap_receiver_port``, e.g. 10162) and point the devices there
or redirect 162 to it in the firewall, or grant the service the capability
to bind low ports, e.g. in its systemd unit::

    [Service]
    AmbientCapabilities=CAP_NET_BIND_SERVICE
    CapabilityBoundingSet=CAP_NET_BIND_SERVICE

(or ``setcap cap_net_bind_service=+ep`` on the interpreter, which affects
every program using it).  A receive buffer above ``net.core.rmem_max``
needs that sysctl raised, e.g. ``sysctl -w net.core.rmem_max=33554432``.
"""
import bisect
import functools
import logging
import marshal
import multiprocessing
import operator
import pickle
import queue
import socket
import struct
import sys
import threading
import time
import traceback
from multiprocessing import connection

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.alert_manager.snmp.decoder import Credentials
from delfin.alert_manager.snmp.decoder import Reason
from delfin.alert_manager.snmp.decoder import Trap
from delfin.alert_manager.snmp.decoder import TrapRejected
from delfin.alert_manager.snmp.decoder import decode_trap

# A plain standard-library logger: oslo.log routes it like any other, and
# worker processes, which import this module, skip oslo.log's import cost.
LOG = logging.getLogger(__name__)

DEFAULT_RCVBUF = 32 * 1024 * 1024
DEFAULT_QUEUE_SIZE = 65536
DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024
DEFAULT_BATCH_SIZE = 256
DEFAULT_DRAIN_TIMEOUT = 10.0
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                   0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_MAX_DATAGRAM = 65535
# How often a blocked reader wakes to look at the stop flag.
_READ_TIMEOUT = 0.2
# A dedicated worker process can afford a short GIL switch interval: it lets
# the reader thread take the socket promptly while the decoder is busy.
_WORKER_SWITCH_INTERVAL = 0.0005
_START_TIMEOUT = 60.0
# After reading what the socket holds, the reader sleeps this long: under
# load the datagrams are then read by the hundred instead of one wake-up
# each, and a quiet socket costs at most this much latency.
_READ_PAUSE = 0.001
_DONTWAIT = getattr(socket, 'MSG_DONTWAIT', 0)
# How long the decoder waits for more datagrams after the first of a batch
# (at 10,000 traps/s, batches of about a hundred).
_LINGER = 0.01
# A hand-over waiting less than this per trap means the handler's process
# has time to spare (see _Wire._prepare).
_EMIT_FREE = 0.00002
# How long a stop waits, past the drain deadline, for a handler call.
_STOP_GRACE = 10.0
# Python < 3.12 does not name this Linux socket option.
_SO_RCVBUFFORCE_LINUX = 33
# A decoder failure is logged at most this often (a flood must not flood
# the log).
_ERROR_LOG_INTERVAL = 60.0
# A trap from a source without SNMP configuration is logged, with its
# address, at most this often per listener worker; the drops in between
# are counted in the next line (and always in the metrics).
UNKNOWN_SOURCE_LOG_INTERVAL = 60.0

# Slots of the shared counter array of one wire (reader + decoder).  Each
# slot has a single writer thread, so plain increments are safe.
_RECEIVED = 0          # reader: datagrams read from the socket
_QUEUED_BYTES_IN = 1   # reader
_PROCESSED = 2         # decoder: datagrams taken off the queue
_QUEUED_BYTES_OUT = 3  # decoder
_ACCEPTED = 4          # decoder: traps passed on
_ABANDONED = 5         # decoder: left in the queue when the drain timed out
_GENERATION = 6        # decoder: credentials generation applied
_REASON_BASE = 7
_REASON_SLOT = {reason: _REASON_BASE + i
                for i, reason in enumerate(Reason.ALL)}
_SLOTS = _REASON_BASE + len(Reason.ALL)
_QUEUE_FULL_SLOT = _REASON_SLOT[Reason.QUEUE_FULL]

_END = None  # queued by the reader after its last datagram
# set_credentials keeps the current ``prepare``.
_UNCHANGED = object()


class TrapBatch(list):
    """A batch of `Trap`s with the per-trap results of ``prepare``."""
    prepared = None


def _bind(host, port, rcvbuf, reuse_port):
    """A bound UDP socket and the receive buffer size the kernel granted."""
    host = host.strip('[]') if host else '0.0.0.0'
    family, _, _, _, address = socket.getaddrinfo(
        host, port, 0, socket.SOCK_DGRAM, 0, socket.AI_PASSIVE)[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and host == '::':
            # Also accept IPv4 senders (as IPv4-mapped addresses).
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        # The kernel reports twice the usable size it reserved.
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < 2 * rcvbuf:
            force = getattr(socket, 'SO_RCVBUFFORCE',
                            _SO_RCVBUFFORCE_LINUX
                            if sys.platform.startswith('linux') else None)
            if force is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, force, rcvbuf)
                except OSError:
                    pass
        granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        sock.bind(address)
        # A blocked recvfrom must wake now and then to notice a stop.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                        struct.pack('ll', 0, int(_READ_TIMEOUT * 1e6)))
    except BaseException:
        sock.close()
        raise
    return sock, granted


class _Wire(object):
    """Reader thread plus decode loop around one socket."""

    def __init__(self, sock, credentials, counters, options, prepare=None):
        self.sock = sock
        self.credentials = credentials
        self.prepare = prepare
        # Seconds per trap the last hand-over waited for the handler's side.
        self.emit_wait = 0.0
        self.skipped = 0
        self.counters = counters
        self.queue = queue.SimpleQueue()
        self.queue_size = options['queue_size']
        self.queue_bytes = options['queue_bytes']
        self.batch_size = options['batch_size']
        self.engine_times = usm.EngineTimes()
        self.stopping = False
        self.deadline = None
        self.decoder_errors = 0
        self.last_error_log = -_ERROR_LOG_INTERVAL
        # report_unknown(host, more): says that a trap from ``host`` was
        # dropped for want of an alert source, ``more`` having been dropped
        # unreported since the last time.
        self.report_unknown = log_unknown_source
        self.unknown_unreported = 0
        self.last_unknown_log = -UNKNOWN_SOURCE_LOG_INTERVAL
        self.reader = threading.Thread(target=self._read, daemon=True,
                                       name='trap-reader')

    def start_reader(self):
        self.reader.start()

    def request_stop(self, drain_timeout):
        self.deadline = time.monotonic() + drain_timeout
        self.stopping = True

    def _admit(self, size):
        """Count a received datagram; False when the queue has no room."""
        counters = self.counters
        counters[_RECEIVED] += 1
        full_slot = _QUEUE_FULL_SLOT
        if (counters[_RECEIVED] - counters[_PROCESSED] - counters[full_slot]
                > self.queue_size
                or counters[_QUEUED_BYTES_IN] - counters[_QUEUED_BYTES_OUT]
                + size > self.queue_bytes):
            counters[full_slot] += 1
            return False
        counters[_QUEUED_BYTES_IN] += size
        return True

    def _read(self):
        recv = self.sock.recvfrom
        clock = time.monotonic
        admit = self._admit
        put = self.queue.put
        try:
            while not self.stopping:
                try:
                    data, address = recv(_MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError, socket.timeout):
                    continue
                except OSError:
                    if self.stopping:
                        break
                    LOG.exception('Trap socket read failed')
                    time.sleep(_READ_TIMEOUT)
                    continue
                if admit(len(data)):
                    put((data, address, clock()))
                self._read_ready(recv, clock, admit, put)
                # Let the next datagrams gather in the socket's buffer:
                # waking for each one costs more than reading it.
                time.sleep(_READ_PAUSE)
            self._drain_socket()
        finally:
            self.sock.close()
            put(_END)

    @staticmethod
    def _read_ready(recv, clock, admit, put):
        """Queue the datagrams already waiting, without blocking."""
        if not _DONTWAIT:
            return
        while True:
            try:
                data, address = recv(_MAX_DATAGRAM, _DONTWAIT)
            except OSError:
                # Nothing left (EAGAIN); a real error shows on the next
                # blocking read.
                return
            if admit(len(data)):
                put((data, address, clock()))

    def _drain_socket(self):
        """Queue what the kernel still holds, within the drain deadline."""
        self.sock.setblocking(False)
        while time.monotonic() < self.deadline:
            try:
                data, address = self.sock.recvfrom(_MAX_DATAGRAM)
            except OSError:
                # Nothing left (EAGAIN) or the socket is unusable.
                return
            if self._admit(len(data)):
                self.queue.put((data, address, time.monotonic()))

    def work(self, emit):
        """Decode queued datagrams until the reader has finished.

        ``emit(traps, received_at_monotonic, prepared)`` gets each non-empty
        batch.
        """
        get = self.queue.get
        counters = self.counters
        reason_slot = _REASON_SLOT
        batch_size = self.batch_size
        sock = self.sock
        finished = False
        while not finished:
            try:
                item = get(timeout=_READ_TIMEOUT)
            except queue.Empty:
                continue
            batch = [item]
            if not self.stopping and item is not _END:
                # Let a trickle become a batch: every batch costs thread
                # wake-ups here and in the handler's process.
                time.sleep(_LINGER)
            try:
                while len(batch) < batch_size:
                    batch.append(get(block=False))
            except queue.Empty:
                pass
            if self.deadline is not None and time.monotonic() > self.deadline:
                self._abandon(batch)
                break
            credentials = self.credentials
            engine_times = self.engine_times
            # Turns the reader's monotonic stamps into wall-clock times.
            wall_offset = time.time() - time.monotonic()
            traps = []
            stamps = []
            processed = size = 0
            for item in batch:
                if item is _END:
                    finished = True
                    continue
                data, address, stamp = item
                processed += 1
                size += len(data)
                try:
                    trap = decode_trap(data, address, credentials,
                                       engine_times, stamp + wall_offset)
                except TrapRejected as exc:
                    counters[reason_slot[exc.reason]] += 1
                    if exc.reason == Reason.UNKNOWN_SOURCE:
                        self._unknown_source(address)
                    continue
                except Exception:
                    # A decoder bug must cost one datagram, not the worker.
                    self._log_decoder_error()
                    counters[reason_slot[Reason.UNDECODABLE]] += 1
                    continue
                if trap.pdu_type == 'inform' and trap.version == 'v2c':
                    _acknowledge(sock, data, address)
                traps.append(trap)
                stamps.append(stamp)
            if traps:
                prepared = self._prepare(traps)
                sent = time.monotonic()
                emit(traps, stamps, prepared)
                self.emit_wait = (time.monotonic() - sent) / len(traps)
                counters[_ACCEPTED] += len(traps)
            counters[_QUEUED_BYTES_OUT] += size
            counters[_PROCESSED] += processed

    def _prepare(self, traps):
        prepare = self.prepare
        if prepare is None:
            return None
        if (self.emit_wait < _EMIT_FREE
                and self.queue.qsize() > self.batch_size):
            # This decoder is the bottleneck while the handler's process
            # takes batches at once: leave the work to the handler.
            self.skipped += len(traps)
            return None
        try:
            prepared = prepare(traps)
        except Exception:
            # The handler then does the work itself.
            self._log_decoder_error()
            return None
        if len(prepared) != len(traps):
            return None
        return prepared

    def _unknown_source(self, address):
        now = time.monotonic()
        if now - self.last_unknown_log < UNKNOWN_SOURCE_LOG_INTERVAL:
            self.unknown_unreported += 1
            return
        self.last_unknown_log = now
        more, self.unknown_unreported = self.unknown_unreported, 0
        try:
            self.report_unknown(str(address[0]), more)
        except Exception:
            # Saying so must never cost the trap pipeline anything.
            pass

    def _log_decoder_error(self):
        self.decoder_errors += 1
        now = time.monotonic()
        if now - self.last_error_log >= _ERROR_LOG_INTERVAL:
            self.last_error_log = now
            LOG.exception('Unexpected error decoding a trap (%d so far)',
                          self.decoder_errors)

    def _abandon(self, batch):
        """Count what is still queued after the drain deadline."""
        left = [item for item in batch if item is not _END]
        finished = len(left) != len(batch)
        while not finished:
            try:
                item = self.queue.get(timeout=_READ_TIMEOUT * 2)
            except queue.Empty:
                break
            if item is _END:
                finished = True
            else:
                left.append(item)
        self.counters[_ABANDONED] += len(left)
        self.counters[_PROCESSED] += len(left)
        self.counters[_QUEUED_BYTES_OUT] += sum(len(i[0]) for i in left)


def _acknowledge(sock, data, address):
    """Answer a v2c InformRequest with the Response RFC 3416 4.2.7 asks for.

    The Response repeats the request-id and variable bindings, so the
    inform's PDU contents are sent back as they came, under a new tag.
    """
    try:
        msg = ber.decode_message(data)
        response = ber.encode_community_message(
            msg.version, msg.community,
            ber.encode_tlv(ber.RESPONSE, data[msg.pdu_start:msg.pdu_end]))
        sock.sendto(response, address)
    except OSError:
        pass


# Messages from a worker process are byte strings: a kind octet, then the
# body.  Trap batches travel as marshalled field tuples, several times
# cheaper than pickled objects; owners that marshal cannot carry fall back
# to pickle.
_MARSHALLED_TRAPS = b'M'
_PICKLED_TRAPS = b'P'
_CONTROL = b'C'
_trap_fields = operator.attrgetter(*Trap.__dataclass_fields__)
_VARBINDS = list(Trap.__dataclass_fields__).index('varbinds')


def _pack_traps(traps, stamps, prepared=None):
    rows = [_trap_fields(trap) for trap in traps]
    if prepared is not None:
        # What ``prepare`` made of a trap replaces its variable bindings,
        # which would double the bytes to send and to unpack.
        rows = [row if done is None else row[:_VARBINDS] + ({},)
                + row[_VARBINDS + 1:] for row, done in zip(rows, prepared)]
    body = (stamps, rows, prepared)
    try:
        return _MARSHALLED_TRAPS + marshal.dumps(body)
    except ValueError:
        return _PICKLED_TRAPS + pickle.dumps(body, pickle.HIGHEST_PROTOCOL)


def _unpack(message):
    """('traps', traps, stamps) or a control tuple from a worker message."""
    kind, body = message[:1], message[1:]
    if kind == _CONTROL:
        return pickle.loads(body)
    stamps, rows, prepared = (marshal.loads(body)
                              if kind == _MARSHALLED_TRAPS
                              else pickle.loads(body))
    return ('traps', [Trap(*row) for row in rows], stamps, prepared)


def log_unknown_source(host, more=0):
    """Log a trap dropped because no alert source has its address."""
    LOG.warning('Dropped a trap from %s: no SNMP configuration (alert '
                'source) has this address%s', host,
                ' (%d more such traps dropped since the last report)' % more
                if more else '')


def _send_control(conn, *message):
    conn.send_bytes(_CONTROL + pickle.dumps(message))


def _worker_main(host, port, reuse_port, rcvbuf, credentials, options,
                 counters, data_conn, control_conn, prepare=None):
    """Entry point of a worker process."""
    sys.setswitchinterval(_WORKER_SWITCH_INTERVAL)
    try:
        sock, granted = _bind(host, port, rcvbuf, reuse_port)
    except OSError as exc:
        _send_control(data_conn, 'error',
                      '%s: %s' % (type(exc).__name__, exc))
        return
    wire = _Wire(sock, credentials, counters, options, prepare)
    # The parent logs: this process has no log configuration.
    wire.report_unknown = functools.partial(_send_control, data_conn,
                                            'unknown_source')
    _send_control(data_conn, 'ready', sock.getsockname()[1], granted)

    def control():
        while True:
            try:
                message = control_conn.recv()
            except (EOFError, OSError):
                # The parent is gone: stop without waiting.
                wire.request_stop(0)
                return
            if message[0] == 'credentials':
                if len(message) > 3:
                    wire.prepare = message[3]
                wire.credentials = message[1]
                counters[_GENERATION] = message[2]
            elif message[0] == 'stop':
                wire.request_stop(message[1])
                return

    threading.Thread(target=control, daemon=True,
                     name='trap-control').start()
    wire.start_reader()

    def emit(traps, stamps, prepared):
        data_conn.send_bytes(_pack_traps(traps, stamps, prepared))

    try:
        wire.work(emit)
    except (BrokenPipeError, EOFError):
        return
    except Exception:
        _send_control(data_conn, 'error', traceback.format_exc())
        raise
    wire.reader.join()
    try:
        _send_control(data_conn, 'done')
    except OSError:
        pass


class _Worker(object):
    """The parent's handle on one worker process."""

    def __init__(self, process, data_conn, control_conn, counters):
        self.process = process
        self.data_conn = data_conn
        self.control_conn = control_conn
        self.counters = counters
        self.done = False


class TrapListener(object):
    """UDP SNMP trap listener component.

    ``handler(traps)`` is called with a non-empty list of at most
    ``batch_size`` `decoder.Trap`; it runs in one thread of the creating
    process, and while it runs further traps wait (in the workers' queues,
    then in the kernel), so it must keep up with the arrival rate on
    average.  Exceptions from it are logged and counted, never fatal.

    ``credentials`` is a `decoder.Credentials` (None: nobody yet).
    ``host`` is an IPv4 or IPv6 literal (brackets allowed) or a name;
    ``port`` 0 picks a free port (see `port`).  ``processes``: worker
    processes (0: threads in this process).  ``rcvbuf``: socket receive
    buffer asked for, in bytes.  ``queue_size``/``queue_bytes``: bounds of
    each worker's queue.  ``drain_timeout``: default bound of a graceful
    `stop`.  ``prepare``: see the module docstring.
    """

    def __init__(self, handler, credentials, host='0.0.0.0', port=162,
                 processes=1, rcvbuf=DEFAULT_RCVBUF,
                 queue_size=DEFAULT_QUEUE_SIZE,
                 queue_bytes=DEFAULT_QUEUE_BYTES,
                 batch_size=DEFAULT_BATCH_SIZE,
                 drain_timeout=DEFAULT_DRAIN_TIMEOUT, prepare=None):
        if processes < 0:
            raise ValueError('processes must be 0 or more')
        self._handler = handler
        # No credentials yet: every datagram is refused with its reason.
        self._credentials = credentials or Credentials()
        self._prepare = prepare
        self._generation = 0
        self._host = host
        self._requested_port = port
        self._processes = processes
        self._rcvbuf = rcvbuf
        self._options = {'queue_size': queue_size, 'queue_bytes': queue_bytes,
                         'batch_size': batch_size}
        self._drain_timeout = drain_timeout
        self._lock = threading.Lock()
        self._started = False
        self._stopping = False
        self._port = None
        self._granted_rcvbuf = None
        self._workers = []
        self._retired = [0] * _SLOTS
        self._restarts = 0
        self._wire = None
        self._threads = []
        self._deadline = None
        self._handled = 0
        self._abandoned = 0
        self._handler_errors = 0
        self._latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self._latency_max = 0.0
        self._context = multiprocessing.get_context('spawn')

    # -- life cycle --------------------------------------------------------

    @property
    def port(self):
        """The bound UDP port (useful with port 0)."""
        return self._port

    @property
    def address(self):
        return (self._host, self._port)

    def start(self):
        with self._lock:
            if self._started:
                raise RuntimeError('listener already started')
            self._started = True
        try:
            if self._processes == 0:
                self._start_in_process()
            else:
                port = self._requested_port
                for _ in range(self._processes):
                    self._workers.append(self._spawn(port))
                    port = self._port
                dispatcher = threading.Thread(target=self._dispatch,
                                              daemon=True,
                                              name='trap-dispatch')
                self._threads.append(dispatcher)
                dispatcher.start()
        except BaseException:
            self._kill_workers()
            self._workers = []
            self._started = False
            raise
        if self._granted_rcvbuf < 2 * self._rcvbuf:
            LOG.warning('Trap socket receive buffer is %d bytes, less than '
                        'the %d asked for; raise net.core.rmem_max',
                        self._granted_rcvbuf // 2, self._rcvbuf)
        LOG.info('SNMP trap listener on %s port %d (%d worker processes)',
                 self._host, self._port, self._processes)

    def _start_in_process(self):
        sock, self._granted_rcvbuf = _bind(
            self._host, self._requested_port, self._rcvbuf,
            reuse_port=False)
        self._port = sock.getsockname()[1]
        counters = [0] * _SLOTS
        self._wire = _Wire(sock, self._credentials, counters, self._options,
                           self._prepare)
        self._wire.start_reader()
        decoder = threading.Thread(target=self._wire.work,
                                   args=(self._deliver,), daemon=True,
                                   name='trap-decoder')
        self._threads.append(decoder)
        decoder.start()

    def _spawn(self, port):
        counters = self._context.RawArray('q', _SLOTS)
        counters[_GENERATION] = self._generation
        data_read, data_write = self._context.Pipe(duplex=False)
        control_read, control_write = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker_main, name='delfin-trap-worker', daemon=True,
            args=(self._host, port, self._processes > 1, self._rcvbuf,
                  self._credentials, self._options, counters, data_write,
                  control_read, self._prepare))
        process.start()
        data_write.close()
        control_read.close()
        try:
            if not data_read.poll(_START_TIMEOUT):
                process.kill()
                raise RuntimeError('trap worker did not start')
            try:
                message = _unpack(data_read.recv_bytes())
            except EOFError:
                message = ('error', 'worker exited with code %s'
                           % process.exitcode)
            if message[0] != 'ready':
                process.join(5)
                raise OSError('cannot listen on %s port %s: %s'
                              % (self._host, port, message[1]))
        except BaseException:
            data_read.close()
            control_write.close()
            raise
        self._port = message[1]
        self._granted_rcvbuf = message[2]
        return _Worker(process, data_read, control_write, counters)

    def stop(self, timeout=None):
        """Stop receiving, hand every queued trap to the handler, clean up.

        ``timeout`` (default: the drain timeout) bounds the drain: traps
        not handed over by then are counted as abandoned.  A handler call
        in progress at the deadline is waited for a little longer.
        """
        with self._lock:
            if not self._started or self._stopping:
                return
            self._stopping = True
        drain = self._drain_timeout if timeout is None else timeout
        self._deadline = time.monotonic() + drain
        if self._wire is not None:
            self._wire.request_stop(drain)
        else:
            for worker in list(self._workers):
                self._send_control(worker, ('stop', drain))
        for thread in self._threads:
            thread.join(max(self._deadline - time.monotonic(), 0)
                        + _STOP_GRACE)
        busy = [t.name for t in self._threads if t.is_alive()]
        if busy:
            LOG.warning('Trap listener threads %s still busy (in the '
                        'handler?) after the drain timeout', busy)
        self._kill_workers(close=not busy)
        LOG.info('SNMP trap listener on port %s stopped', self._port)

    def _kill_workers(self, close=True):
        for worker in self._workers:
            worker.process.join(5)
            if worker.process.is_alive():
                LOG.warning('Trap worker %s did not exit; killing it',
                            worker.process.pid)
                worker.process.kill()
                worker.process.join(5)
            if close:
                worker.data_conn.close()
                worker.control_conn.close()

    def _send_control(self, worker, message):
        with self._lock:
            try:
                worker.control_conn.send(message)
            except OSError:
                pass

    # -- credentials -------------------------------------------------------

    def set_credentials(self, credentials, timeout=10.0,
                        prepare=_UNCHANGED):
        """Replace the credentials (and ``prepare`` when given); True once
        every worker applies them."""
        message = ('credentials', credentials)
        if prepare is not _UNCHANGED:
            self._prepare = prepare
        self._credentials = credentials
        if self._wire is not None:
            self._wire.prepare = self._prepare
            self._wire.credentials = credentials
            return True
        with self._lock:
            self._generation += 1
            generation = self._generation
        for worker in list(self._workers):
            self._send_control(worker, message + (generation,
                                                  self._prepare))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(w.counters[_GENERATION] >= generation or w.done
                   for w in list(self._workers)):
                return True
            time.sleep(0.005)
        return False

    # -- delivery ----------------------------------------------------------

    def _deliver(self, traps, stamps, prepared=None):
        if prepared is not None:
            traps = TrapBatch(traps)
            traps.prepared = prepared
        now = time.monotonic()
        counts = self._latency_counts
        total = 0.0
        worst = self._latency_max
        for stamp in stamps:
            latency = now - stamp
            total += latency
            if latency > worst:
                worst = latency
            counts[bisect.bisect_left(LATENCY_BUCKETS, latency)] += 1
        self._latency_sum += total
        self._latency_max = worst
        try:
            self._handler(traps)
        except Exception:
            self._handler_errors += 1
            LOG.exception('Trap handler failed on a batch of %d traps',
                          len(traps))
        self._handled += len(traps)

    def _dispatch(self):
        """Parent thread: receive batches from workers, call the handler.

        Batches waiting from several workers (or several small ones from one
        worker) are merged up to ``batch_size`` traps per handler call, so a
        handler that falls behind gets fuller batches.
        """
        limit = self._options['batch_size']
        timeout = _READ_TIMEOUT
        traps, stamps, prepared = [], [], []
        while True:
            live = {w.data_conn: w for w in self._workers if not w.done}
            if not live:
                break
            try:
                ready = connection.wait(list(live), timeout=timeout)
            except OSError:
                break
            for conn in ready:
                self._receive(live[conn], traps, stamps, prepared)
            if ready and len(traps) < limit:
                # Take whatever else is already waiting before handing over.
                timeout = 0
                continue
            timeout = _READ_TIMEOUT
            if traps:
                self._hand_over(traps, stamps, prepared)
                traps, stamps, prepared = [], [], []
        if traps:
            self._hand_over(traps, stamps, prepared)

    def _receive(self, worker, traps, stamps, prepared):
        try:
            message = _unpack(worker.data_conn.recv_bytes())
        except (EOFError, OSError):
            self._worker_lost(worker)
            return
        except Exception:
            # Whatever a worker sends must not end the dispatch thread.
            LOG.exception('Unreadable message from trap worker %s',
                          worker.process.pid)
            return
        kind = message[0]
        if kind == 'traps':
            traps.extend(message[1])
            stamps.extend(message[2])
            prepared.extend(message[3] or [None] * len(message[1]))
        elif kind == 'unknown_source':
            log_unknown_source(message[1], message[2])
        elif kind == 'done':
            worker.done = True
        elif kind == 'error':
            LOG.error('Trap worker %s failed: %s', worker.process.pid,
                      message[1])

    def _hand_over(self, traps, stamps, prepared):
        limit = self._options['batch_size']
        if not any(p is not None for p in prepared):
            prepared = None
        for start in range(0, len(traps), limit):
            if self._stopping and time.monotonic() > self._deadline:
                self._abandoned += len(traps) - start
                return
            self._deliver(traps[start:start + limit],
                          stamps[start:start + limit],
                          None if prepared is None
                          else prepared[start:start + limit])

    def _worker_lost(self, worker):
        worker.done = True
        worker.process.join(1)
        if self._stopping:
            return
        LOG.error('Trap worker %s exited unexpectedly (code %s); '
                  'starting another', worker.process.pid,
                  worker.process.exitcode)
        self._retire(worker)
        try:
            replacement = self._spawn(self._port)
        except Exception:
            LOG.exception('Could not replace trap worker')
            return
        with self._lock:
            self._restarts += 1
            self._workers.append(replacement)

    def _retire(self, worker):
        for slot in range(_SLOTS):
            if slot != _GENERATION:
                self._retired[slot] += worker.counters[slot]
        # Datagrams it still held are lost with it.
        held = (worker.counters[_RECEIVED] - worker.counters[_PROCESSED]
                - worker.counters[_QUEUE_FULL_SLOT])
        self._retired[_ABANDONED] += held
        self._retired[_PROCESSED] += held
        with self._lock:
            self._workers.remove(worker)
        worker.data_conn.close()
        worker.control_conn.close()

    # -- statistics --------------------------------------------------------

    def stats(self):
        """A snapshot of the listener's counters as a plain dict.

        Keys: ``received`` (datagrams read), ``accepted`` (traps decoded
        and authenticated), ``handled`` (traps given to the handler),
        ``dropped`` ({reason: count} for every `Reason`), ``queue_depth``
        (datagrams waiting for a decoder), ``queue_capacity``,
        ``in_flight`` (accepted, not yet handled), ``abandoned`` (left at a
        timed-out stop), ``handler_errors``, ``latency_seconds`` (receipt to
        handler call: ``count``, ``sum``, ``max`` and cumulative
        ``buckets`` as [(upper bound, count)], last bound ``inf``),
        ``rcvbuf_bytes`` (as the kernel reports it), ``processes``,
        ``worker_restarts``, ``worker_pids``, ``port``.
        """
        totals = list(self._retired)
        sources = ([self._wire.counters] if self._wire is not None
                   else [w.counters for w in list(self._workers)])
        for counters in sources:
            for slot in range(_SLOTS):
                totals[slot] += counters[slot]
        dropped = {reason: totals[_REASON_SLOT[reason]]
                   for reason in Reason.ALL}
        depth = (totals[_RECEIVED] - totals[_PROCESSED]
                 - totals[_QUEUE_FULL_SLOT])
        cumulative = []
        running = 0
        for bound, count in zip(LATENCY_BUCKETS + (float('inf'),),
                                self._latency_counts):
            running += count
            cumulative.append((bound, running))
        handled = self._handled
        return {
            'received': totals[_RECEIVED],
            'accepted': totals[_ACCEPTED],
            'handled': handled,
            'dropped': dropped,
            'queue_depth': max(depth, 0),
            'queue_capacity': self._options['queue_size'],
            'in_flight': max(totals[_ACCEPTED] - handled, 0),
            'abandoned': totals[_ABANDONED] + self._abandoned,
            'handler_errors': self._handler_errors,
            'latency_seconds': {'count': running, 'sum': self._latency_sum,
                                'max': self._latency_max,
                                'buckets': cumulative},
            'rcvbuf_bytes': self._granted_rcvbuf,
            'processes': self._processes,
            'worker_restarts': self._restarts,
            'worker_pids': [w.process.pid for w in list(self._workers)
                            if not w.done],
            'port': self._port,
        }
