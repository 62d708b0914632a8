"""A real OpenSSH server on a loopback port for tests of SSH drivers.

The server runs from a throwaway configuration in a temporary directory,
accepts password logins of one throwaway user only, and gives that user
the fake array CLI of delfin_style/fixtures/cli_array as login shell.  It
needs root (sshd, useradd, chpasswd) and Debian's openssh-server.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

SSHD = '/usr/sbin/sshd'
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'delfin_style', 'fixtures', 'cli_array')
_READY_TIMEOUT = 10

_CONFIG = """\
ListenAddress 127.0.0.1:{port}
HostKey {host_key}
PidFile {pid_file}
AllowUsers {user}
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
UsePAM no
PermitRootLogin no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
MaxStartups 50
LogLevel VERBOSE
"""


def unavailable_reason():
    """Why the server cannot run here, or None."""
    if os.geteuid() != 0:
        return 'the OpenSSH test server needs root'
    for tool in (SSHD, shutil.which('ssh-keygen'), shutil.which('useradd'),
                 shutil.which('chpasswd'), shutil.which('userdel')):
        if not tool or not os.path.exists(tool):
            return 'openssh-server and the shadow tools are not installed'
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          timeout=30, **kwargs)


def generate_host_key(path, key_type='ed25519'):
    """Write a key pair; return (public key type, base64 blob)."""
    _run('ssh-keygen', '-q', '-t', key_type, '-N', '', '-C', '',
         '-f', str(path))
    with open(str(path) + '.pub') as f:
        key_type_name, blob = f.read().split()[:2]
    return key_type_name, blob


class OpenSSHServer(object):
    """Start with ``start()``, stop with ``stop()`` (also removes the user
    and the directory)."""

    def __init__(self):
        self.base = None
        self.user = 'dlfn' + secrets.token_hex(4)
        self.password = secrets.token_urlsafe(12)
        self.port = None
        self.process = None
        self.uid = None
        self.host_key_type = self.host_key = None
        self._user_created = False

    @property
    def data_dir(self):
        return os.path.join(self.base, 'data')

    def start(self):
        self.base = tempfile.mkdtemp(prefix='delfin-sshd-')
        # The test user must reach its login shell and the data.
        os.chmod(self.base, 0o755)
        shutil.copytree(FIXTURES, self.data_dir)
        shell = os.path.join(self.base, 'fakecli')
        with open(os.path.join(FIXTURES, 'fakecli.sh')) as f:
            script = f.read().replace('@DATA_DIR@', self.data_dir)
        with open(shell, 'w') as f:
            f.write(script)
        os.chmod(shell, 0o755)
        for root, dirs, files in os.walk(self.data_dir):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
        home = os.path.join(self.base, 'home')
        os.mkdir(home)

        _run('useradd', '-M', '-d', home, '-s', shell, self.user)
        self._user_created = True
        _run('chpasswd', input='%s:%s\n' % (self.user, self.password))
        _run('chown', self.user, home)
        self.uid = int(_run('id', '-u', self.user).stdout)

        key_path = os.path.join(self.base, 'ssh_host_ed25519_key')
        self.host_key_type, self.host_key = generate_host_key(key_path)
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)
        self.port = _free_port()
        config = os.path.join(self.base, 'sshd_config')
        with open(config, 'w') as f:
            f.write(_CONFIG.format(port=self.port, host_key=key_path,
                                   pid_file=os.path.join(self.base,
                                                         'sshd.pid'),
                                   user=self.user))
        _run(SSHD, '-t', '-f', config)
        self.log_file = os.path.join(self.base, 'sshd.log')
        self.process = subprocess.Popen(
            [SSHD, '-D', '-f', config, '-E', self.log_file],
            stdin=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('sshd exited: %s' % self.log())
            try:
                with socket.create_connection(('127.0.0.1', self.port),
                                              timeout=1) as s:
                    if s.recv(4).startswith(b'SSH-'):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('sshd did not start: %s' % self.log())

    def log(self):
        try:
            with open(self.log_file) as f:
                return f.read()
        except (OSError, AttributeError):
            return ''

    def _user_pids(self):
        pids = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                if os.stat('/proc/' + entry).st_uid == self.uid:
                    pids.append(int(entry))
            except FileNotFoundError:
                pass
        return pids

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.uid is not None:
            # Sessions of clients a test left open still run as the user.
            for pid in self._user_pids():
                try:
                    os.kill(pid, 15)
                except ProcessLookupError:
                    pass
        if self._user_created:
            subprocess.run(['userdel', '-f', self.user], capture_output=True,
                           timeout=30)
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)

    def access_info(self, password=None, **ssh_extra):
        """The ``ssh`` section the core hands a driver (password as
        given, to be encrypted by the caller)."""
        ssh = {'host': '127.0.0.1', 'port': self.port,
               'username': self.user,
               'password': self.password if password is None else password}
        ssh.update(ssh_extra)
        return ssh
