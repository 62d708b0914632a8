"""Local HTTP(S) servers on loopback ports for tests of REST clients."""
import contextlib
import http.server
import json
import socket
import ssl
import threading
import time


class JSONHandler(http.server.BaseHTTPRequestHandler):
    """Base handler: answers ``handle_request(method, path, body)`` which
    returns ``(status, payload)``; quiet logging."""

    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        status, payload = self.handle_request(self.command, self.path, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def handle_request(self, method, path, body):
        raise NotImplementedError


class EchoHandler(JSONHandler):
    """Answers every request with what it received; ``/slow`` waits 1 s,
    ``/status/<n>`` answers with status n."""

    def handle_request(self, method, path, body):
        if path == '/slow':
            time.sleep(1)
        status = 200
        if path.startswith('/status/'):
            status = int(path.rsplit('/', 1)[1])
        return status, {
            'method': method, 'path': path,
            'body': body.decode() if body else None,
            'headers': {k.lower(): v for k, v in self.headers.items()},
        }


@contextlib.contextmanager
def serve(handler_class, cert_file=None, key_file=None):
    """Run a threaded server on 127.0.0.1; yield its port.  With a
    certificate it speaks HTTPS."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler_class)
    server.daemon_threads = True
    if cert_file:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def unused_port():
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def silent_listener():
    """A port whose accept queue is full, so new connections hang in
    the handshake until the client's connect timeout."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(('127.0.0.1', port))
            fillers.append(filler)
        time.sleep(0.1)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
