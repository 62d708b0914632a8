"""SSH access to storage backends managed through a CLI.

``SSHPool`` is what drivers use: a pool of at most three paramiko
connections per backend, created on demand, shared by threads, with
Delfin's attributes (``ssh_host``, ``ssh_port``, ``ssh_username``,
``ssh_password`` (encrypted), ``ssh_pub_key``, ``ssh_pub_key_type``,
``ssh_conn_timeout``) and methods (``create``, ``item``, ``get``, ``put``,
``remove``, ``do_exec``, ``do_exec_shell``, ``set_host_key``), and Delfin's
mapping of SSH failures to exceptions.

Authentication is by password only; neither an SSH agent nor the service
account's own keys are offered to a backend.  When the access info holds
``pub_key`` (with ``pub_key_type``), the backend's host key must be exactly
that key, on any port; without it any host key is accepted.  Every command
is checked by ``utils.check_ssh_injection`` before it is sent.

``SSHClient`` (one connection per command) is kept for code that names it.
"""
import collections
import contextlib
import socket
import threading
import time

import paramiko
from paramiko.hostkeys import HostKeyEntry
from oslo_log import log as logging

from delfin import cryptor
from delfin import exception
from delfin import utils

LOG = logging.getLogger(__name__)

_AUTH_FAILURES = ('No authentication methods available',
                  'Authentication failed')
_BAD_KEY = 'not a valid RSA private key file'
_NOT_KNOWN = 'not found in known_hosts'
_AUTH_TEXTS = _AUTH_FAILURES + ('Invalid username or password',)
_BAD_KEY_TEXTS = (_BAD_KEY, 'not a valid RSA private key')

# How each entry point turns the text of a failure into a Delfin error:
# (texts, error) pairs tried in order; anything else is an SSHException.
# Each table is Delfin's mapping for that method, which drivers rely on.
_CLIENT_ERRORS = (
    (('WSAETIMEDOUT',), lambda host: exception.SSHConnectTimeout()),
    (_AUTH_FAILURES, lambda host: exception.InvalidUsernameOrPassword()),
    ((_BAD_KEY,), lambda host: exception.InvalidPrivateKey()),
    ((_NOT_KNOWN,), exception.SSHNotFoundKnownHosts),
)
_CONNECT_ERRORS = (
    (('timed out',), lambda host: exception.InvalidIpOrPort()),
) + _CLIENT_ERRORS[1:]
_EXEC_ERRORS = (
    (('timed out', 'SSH connect timeout', 'Unable to connect to port'),
     lambda host: exception.ConnectTimeout()),
    (_AUTH_TEXTS, lambda host: exception.InvalidUsernameOrPassword()),
    (_BAD_KEY_TEXTS, lambda host: exception.InvalidPrivateKey()),
)
_SHELL_ERRORS = (
    (('timed out', 'SSH connect timeout'),
     lambda host: exception.SSHConnectTimeout()),
    (_AUTH_TEXTS, lambda host: exception.InvalidUsernameOrPassword()),
    (_BAD_KEY_TEXTS, lambda host: exception.InvalidPrivateKey()),
    (('Unable to connect to port', 'Invalid ip or port'),
     lambda host: exception.InvalidIpOrPort()),
)


def _mapped_error(text, host, table):
    """The Delfin error for a failure whose text is ``text``."""
    for texts, error in table:
        if any(t in text for t in texts):
            return error(host)
    return exception.SSHException(text)


def _connect(owner, ssh, pin):
    """Connect paramiko client ``ssh`` with ``owner``'s ssh_* settings;
    ``pin(known_hosts_line)`` pins the host key when one is configured,
    else any host key is accepted (Delfin's behaviour without pub_key)."""
    if owner.ssh_pub_key:
        pin('%s %s %s' % (owner.ssh_host, owner.ssh_pub_key_type,
                          owner.ssh_pub_key))
    else:
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    ssh.connect(hostname=owner.ssh_host, port=owner.ssh_port,
                username=owner.ssh_username,
                password=cryptor.decode(owner.ssh_password),
                timeout=owner.ssh_conn_timeout,
                allow_agent=False, look_for_keys=False)


_EXEC_BACKEND_ERRORS = ('invalid command name', 'login failed',
                        'is not a recognized command')
_SHELL_UNKNOWN_COMMAND = ('is not a recognized command', 'Unknown command')


def _text(data):
    return data.decode('utf-8', errors='replace')


def _read_ssh_access(owner, kwargs, default_timeout):
    ssh_access = kwargs.get('ssh')
    if ssh_access is None:
        raise exception.InvalidInput('Input ssh_access is missing')
    owner.ssh_host = ssh_access.get('host')
    owner.ssh_port = ssh_access.get('port')
    owner.ssh_username = ssh_access.get('username')
    owner.ssh_password = ssh_access.get('password')
    owner.ssh_pub_key_type = ssh_access.get('pub_key_type')
    owner.ssh_pub_key = ssh_access.get('pub_key')
    if 'conn_timeout' in ssh_access:
        owner.ssh_conn_timeout = ssh_access['conn_timeout']
    else:
        owner.ssh_conn_timeout = default_timeout


def _pin_host_key(host_key, ssh, port):
    """Add the known_hosts line `host_key` to `ssh`'s host keys under each
    of its host names, and also as ``[name]:port`` (how paramiko looks a
    host up when the port is not 22)."""
    if not host_key or host_key.startswith('#'):
        return
    entry = HostKeyEntry.from_line(host_key)
    if entry is None or entry.key is None:
        raise ValueError("Invalid host key line for %s"
                         % host_key.split(' ', 1)[0])
    host_keys = ssh.get_host_keys()
    key_type = entry.key.get_name()
    for name in entry.hostnames:
        host_keys.add(name, key_type, entry.key)
        if port and int(port) != 22 and not name.startswith('['):
            host_keys.add('[%s]:%s' % (name, port), key_type, entry.key)


def _is_active(conn):
    try:
        transport = conn.get_transport()
        return transport is not None and transport.is_active()
    except Exception:
        return False


def _close_quietly(conn, host):
    try:
        conn.close()
    except Exception as e:
        LOG.warning("Closing SSH connection to %s failed: %s", host, e)


class SSHClient(object):
    """One SSH connection per command (no pool)."""

    SOCKET_TIMEOUT = 10

    def __init__(self, **kwargs):
        _read_ssh_access(self, kwargs, self.SOCKET_TIMEOUT)
        self.ssh = None

    def connect(self):
        self.ssh = paramiko.SSHClient()
        _connect(self, self.ssh, self.set_host_key)

    def set_host_key(self, host_key):
        _pin_host_key(host_key, self.ssh, self.ssh_port)

    def exec_command(self, command_str):
        """Run one command on the open connection; stdout, else stderr."""
        _, stdout, stderr = self.ssh.exec_command(command_str)
        output = _text(stdout.read())
        return output if output else _text(stderr.read())

    def close(self):
        try:
            if self.ssh:
                self.ssh.close()
        except Exception as e:
            LOG.warning("Closing SSH connection to %s failed: %s",
                        self.ssh_host, e)

    def do_exec(self, command_str):
        """Connect, run `command_str` after the injection check, close."""
        try:
            utils.check_ssh_injection(command_str)
            self.connect()
            return self.exec_command(command_str)
        except paramiko.AuthenticationException as e:
            LOG.error("SSH authentication to %s failed: %s", self.ssh_host, e)
            raise exception.InvalidUsernameOrPassword()
        except Exception as e:
            LOG.error("SSH command on %s failed: %s", self.ssh_host, e)
            raise _mapped_error(str(e), self.ssh_host, _CLIENT_ERRORS)
        finally:
            self.close()


class SSHPool(object):
    """Thread-safe pool of SSH connections to one backend."""

    CONN_TIMEOUT = 60
    # Names a Delfin subclass (Fujitsu Eternus) still reads.
    SOCKET_TIMEOUT = 10

    def __init__(self, **kwargs):
        _read_ssh_access(self, kwargs, self.CONN_TIMEOUT)
        self.conn_timeout = self.ssh_conn_timeout
        self.min_size = 0
        self.max_size = 3
        self.current_size = 0
        self.free_items = collections.deque()
        # Connections are tracked by identity, not by hash: what a driver
        # or its tests hand to put() need not be hashable (Delfin's pool
        # never hashed them).
        self._in_use = {}
        self._removed = {}
        self._condition = threading.Condition()

    # -- connections -------------------------------------------------------

    def set_host_key(self, host_key, ssh):
        """Pin the known_hosts line ``"<host> <type> <base64 key>"`` on the
        paramiko client `ssh`; the default reject policy stays in force."""
        _pin_host_key(host_key, ssh, self.ssh_port)

    def create(self):
        """Return a new connected ``paramiko.SSHClient`` (not pooled)."""
        ssh = paramiko.SSHClient()
        try:
            _connect(self, ssh, lambda line: self.set_host_key(line, ssh))
            transport = ssh.get_transport()
            transport.set_keepalive(self.ssh_conn_timeout)
            return ssh
        except Exception as e:
            ssh.close()
            text = str(e)
            LOG.error("SSH connection to %s:%s failed: %s", self.ssh_host,
                      self.ssh_port, text)
            raise _mapped_error(text, self.ssh_host, _CONNECT_ERRORS)

    # -- pool --------------------------------------------------------------

    def get(self):
        """Take a live connection, creating one while fewer than
        ``max_size`` exist, else wait until another thread puts one back."""
        while True:
            stale = None
            with self._condition:
                if self.free_items:
                    conn = self.free_items.popleft()
                    if _is_active(conn):
                        self._in_use[id(conn)] = conn
                        return conn
                    stale = conn
                    self.current_size -= 1
                    self._condition.notify()
                elif self.current_size < self.max_size:
                    self.current_size += 1
                    break
                else:
                    self._condition.wait()
                    continue
            _close_quietly(stale, self.ssh_host)
        try:
            conn = self.create()
        except BaseException:
            with self._condition:
                self.current_size -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._in_use[id(conn)] = conn
        return conn

    def put(self, conn):
        """Give a connection back for reuse (it is closed instead when the
        pool holds more than ``max_size``)."""
        close = False
        key = id(conn)
        with self._condition:
            if self._removed.pop(key, None) is not None:
                return
            if self._in_use.pop(key, None) is not None:
                if self.current_size > self.max_size:
                    self.current_size -= 1
                    close = True
            elif self.current_size < self.max_size:
                # A connection made by create() outside the pool joins it.
                self.current_size += 1
            else:
                close = True
            if not close:
                self.free_items.append(conn)
            self._condition.notify()
        if close:
            _close_quietly(conn, self.ssh_host)

    def remove(self, ssh):
        """Close a broken connection and drop it from the pool."""
        key = id(ssh)
        with self._condition:
            idle = [i for i, c in enumerate(self.free_items) if c is ssh]
            if idle:
                del self.free_items[idle[0]]
                self.current_size -= 1
            elif self._in_use.pop(key, None) is not None:
                self.current_size -= 1
                # item() puts it back when the block ends: it must not
                # return to the pool then.
                self._removed[key] = ssh
            self._condition.notify()
        _close_quietly(ssh, self.ssh_host)

    @contextlib.contextmanager
    def item(self):
        """``with pool.item() as ssh:`` borrows a connection and always
        gives it back."""
        conn = self.get()
        try:
            yield conn
        finally:
            self.put(conn)

    def close(self):
        """Close the idle connections (those in use close when put back
        after ``max_size`` was exceeded, or when garbage collected)."""
        with self._condition:
            idle = list(self.free_items)
            self.free_items.clear()
            self.current_size -= len(idle)
            self._condition.notify_all()
        for conn in idle:
            _close_quietly(conn, self.ssh_host)

    # -- commands ----------------------------------------------------------

    def do_exec(self, command_str):
        """Run one command and return its stdout (its stderr when stdout
        is empty).

        Raises InvalidUsernameOrPassword, ConnectTimeout, InvalidPrivateKey
        or SSHException (any other failure, the injection check included),
        and StorageBackendException when the output reports an unknown
        command or a failed login.
        """
        result = None
        try:
            utils.check_ssh_injection(command_str)
            with self.item() as ssh:
                if command_str:
                    _, stdout, stderr = ssh.exec_command(command_str)
                    output = _text(stdout.read())
                    errors = _text(stderr.read())
                    result = output if output else errors
        except paramiko.AuthenticationException as e:
            LOG.error("SSH authentication to %s failed: %s", self.ssh_host, e)
            raise exception.InvalidUsernameOrPassword()
        except Exception as e:
            text = str(e)
            LOG.error("SSH command on %s failed: %s", self.ssh_host, text)
            raise _mapped_error(text, self.ssh_host, _EXEC_ERRORS)
        if result and any(s in result for s in _EXEC_BACKEND_ERRORS):
            raise exception.StorageBackendException(result)
        return result

    def do_exec_shell(self, command_list, sleep_time=0.5):
        """Type `command_list` into an interactive shell, `sleep_time`
        seconds apart, then ``exit``; return everything the shell printed
        (prompts and echoed input included).

        Raises InvalidIpOrPort when the shell does not know a command, and
        maps other failures like ``do_exec`` (timeouts to
        SSHConnectTimeout, unreachable hosts to InvalidIpOrPort).
        """
        result = ''
        try:
            for command in command_list or ():
                utils.check_ssh_injection(command)
            with self.item() as ssh:
                if command_list:
                    result = self._run_in_shell(ssh, command_list,
                                                sleep_time)
            if any(s in result for s in _SHELL_UNKNOWN_COMMAND):
                raise exception.InvalidIpOrPort()
        except paramiko.AuthenticationException as e:
            LOG.error("SSH authentication to %s failed: %s", self.ssh_host, e)
            raise exception.InvalidUsernameOrPassword()
        except Exception as e:
            text = str(e)
            LOG.error("SSH shell on %s failed: %s", self.ssh_host, text)
            raise _mapped_error(text, self.ssh_host, _SHELL_ERRORS)
        return result

    def _run_in_shell(self, ssh, command_list, sleep_time):
        channel = ssh.invoke_shell()
        try:
            for command in command_list:
                channel.send(command + '\n')
                time.sleep(sleep_time)
            channel.send('exit\n')
            # Read until the shell has exited, so the output of the last
            # command is not cut off; give up after the connect timeout.
            channel.settimeout(self.ssh_conn_timeout)
            chunks = []
            while True:
                try:
                    chunk = channel.recv(9999)
                except socket.timeout:
                    LOG.warning("Shell on %s did not exit in %s s",
                                self.ssh_host, self.ssh_conn_timeout)
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return _text(b''.join(chunks))
        finally:
            channel.close()
