"""A TCP proxy a test puts between the service and a server, and cuts.

``cut()`` closes every connection through it and stops listening, so new
connections are refused as if the server had stopped; ``restore()``
listens again on the same port.  The server itself (shared by everything
on the machine) is never touched.
"""
import socket
import threading


class TcpProxy(object):

    def __init__(self, target_host, target_port, host='127.0.0.1'):
        self.target = (target_host, target_port)
        self.host = host
        self.port = None
        self._lock = threading.Lock()
        self._listener = None
        self._pairs = set()
        self._accepting = None

    @property
    def address(self):
        return '%s:%d' % (self.host, self.port)

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        with self._lock:
            self._listener = sock
        self._accepting = threading.Thread(target=self._accept, args=(sock,),
                                           daemon=True, name='tcp-proxy')
        self._accepting.start()
        return self

    restore = start

    def _accept(self, listener):
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._pairs.add(pair)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst, pair),
                                 daemon=True).start()

    def _pipe(self, src, dst, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._close(pair)

    def _close(self, pair):
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self):
        """Refuse new connections and drop the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs = list(self._pairs)
        if listener is not None:
            try:
                # Wakes the thread blocked in accept() (close alone does
                # not on Linux).
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for pair in pairs:
            self._close(pair)
        if self._accepting is not None:
            self._accepting.join(5)

    stop = cut
