"""HTTP load for the API benches: wrk when it is installed (Debian package
``wrk``), else keep-alive clients on threads of this process; the resident
memory of a process meanwhile; a new client's wait while idle connections
are held open."""
import http.client
import re
import shutil
import socket
import subprocess
import threading
import time

# Idle connections `idle_check` opens.
IDLE = 1000


def rss_kib(pid, field='VmRSS'):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- load -------------------------------------------------------------------

def _ms(text):
    value, unit = re.match(r'([\d.]+)(\w+)', text).groups()
    return float(value) * {'us': 0.001, 'ms': 1.0, 's': 1000.0,
                           'm': 60000.0}[unit]


def wrk(url, connections, duration):
    out = subprocess.run(
        ['wrk', '-t', str(min(2, connections)), '-c', str(connections),
         '-d', '%ds' % duration, '--latency', '--timeout', '10s', url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    p50 = _ms(re.search(r'\s50%\s+(\S+)', out).group(1))
    p99 = _ms(re.search(r'\s99%\s+(\S+)', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    socket_errors = re.search(r'Socket errors: (.*)', out)
    return {'rps': rps, 'p50_ms': p50, 'p99_ms': p99,
            'errors': (int(errors.group(1)) if errors else 0) + (
                1 if socket_errors else 0)}


def python_load(url, connections, duration):
    """Keep-alive clients on threads, each timing its requests."""
    host, port, path = _split(url)
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine = []
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            try:
                conn.request('GET', path)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {'rps': len(latencies) / duration,
            'p50_ms': percentile(latencies, 50) * 1000,
            'p99_ms': percentile(latencies, 99) * 1000,
            'errors': errors[0]}


def _split(url):
    rest = url.split('://', 1)[1]
    hostport, _sep, path = rest.partition('/')
    host, _sep, port = hostport.partition(':')
    return host, int(port), '/' + path


def percentile(sorted_values, pct):
    if not sorted_values:
        return float('nan')
    index = min(len(sorted_values) - 1,
                int(round(pct / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[index]


LOAD = wrk if shutil.which('wrk') else python_load


def measure(url, connections, duration, watch_pid=None, peak=None):
    """One load run; the peak RSS of ``watch_pid`` meanwhile goes into
    ``peak['kib']``."""
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peak['kib'] = max(peak['kib'], rss_kib(watch_pid))

    sampler = None
    if watch_pid is not None:
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    try:
        return LOAD(url, connections, duration)
    finally:
        done.set()
        if sampler is not None:
            sampler.join()


# -- idle connections -------------------------------------------------------

def idle_check(base, path, duration):
    """(seconds a new client waited, load while idle connections are held,
    idle connections that were opened)."""
    host, port, _ = _split(base + '/')
    idle = []
    try:
        for _ in range(IDLE):
            try:
                idle.append(socket.create_connection((host, port),
                                                     timeout=5))
            except OSError:
                break
        time.sleep(0.5)
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.request('GET', path)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            waited = time.monotonic() - t0 if resp.status == 200 else None
        except OSError:
            waited = None
        load = LOAD(base + path, 16, duration) if waited is not None \
            else None
        return waited, load, len(idle)
    finally:
        for s in idle:
            s.close()
