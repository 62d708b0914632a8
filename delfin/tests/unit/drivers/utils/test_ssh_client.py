"""SSHPool and SSHClient without a server: attributes, host-key pinning
and the failures that happen before or instead of a session.  The
behaviour against a real OpenSSH server is covered by
delfin/tests/functional/drivers/test_delfin_style_cli.py."""
import paramiko
import pytest

from delfin import cryptor
from delfin import exception
from delfin.drivers.utils.ssh_client import SSHClient
from delfin.drivers.utils.ssh_client import SSHPool
from delfin.tests import local_http


@pytest.fixture
def secret_keys(tmp_path):
    from oslo_config import cfg
    cfg.CONF.set_override('secret_keys', [cryptor.generate_key()],
                          group='security')
    cryptor.reset()
    yield
    cfg.CONF.clear_override('secret_keys', group='security')
    cryptor.reset()


def _access(port=22, **ssh_extra):
    ssh = {'host': '127.0.0.1', 'port': port, 'username': 'admin',
           'password': 'encoded'}
    ssh.update(ssh_extra)
    return {'ssh': ssh}


def _public_key_line():
    key = paramiko.ECDSAKey.generate()
    return key.get_name(), key.get_base64(), key


@pytest.mark.parametrize('cls', [SSHPool, SSHClient])
def test_missing_ssh_access_is_invalid_input(cls):
    with pytest.raises(exception.InvalidInput) as info:
        cls(rest={})
    assert 'Input ssh_access is missing' in str(info.value)


def test_pool_attributes():
    pool = SSHPool(**_access(2222, pub_key='AAAA', pub_key_type='ssh-rsa'))
    assert (pool.ssh_host, pool.ssh_port, pool.ssh_username) \
        == ('127.0.0.1', 2222, 'admin')
    assert pool.ssh_password == 'encoded'
    assert (pool.ssh_pub_key, pool.ssh_pub_key_type) == ('AAAA', 'ssh-rsa')
    assert pool.ssh_conn_timeout == SSHPool.CONN_TIMEOUT == 60
    # Names Fujitsu Eternus' subclass reads.
    assert pool.conn_timeout == 60
    assert pool.SOCKET_TIMEOUT == 10
    assert (pool.min_size, pool.max_size, pool.current_size) == (0, 3, 0)
    assert len(pool.free_items) == 0


def test_pool_conn_timeout_from_access_info():
    pool = SSHPool(**_access(conn_timeout=7))
    assert pool.ssh_conn_timeout == 7 and pool.conn_timeout == 7


def test_client_default_timeout():
    client = SSHClient(**_access())
    assert client.ssh_conn_timeout == SSHClient.SOCKET_TIMEOUT == 10


@pytest.mark.parametrize('port', [22, 2222])
def test_set_host_key_pins_the_key_for_the_port(port):
    key_type, blob, key = _public_key_line()
    pool = SSHPool(**_access(port))
    ssh = paramiko.SSHClient()
    pool.set_host_key('10.0.0.5 %s %s' % (key_type, blob), ssh)
    lookup_name = '10.0.0.5' if port == 22 else '[10.0.0.5]:%d' % port
    found = ssh.get_host_keys().lookup(lookup_name)
    assert found is not None and found[key_type] == key


@pytest.mark.parametrize('line', ['', '# a comment'])
def test_set_host_key_ignores_empty_and_comment_lines(line):
    ssh = paramiko.SSHClient()
    SSHPool(**_access()).set_host_key(line, ssh)
    assert len(ssh.get_host_keys()) == 0


def test_set_host_key_rejects_garbage():
    with pytest.raises(paramiko.hostkeys.InvalidHostKey):
        SSHPool(**_access()).set_host_key('10.0.0.5 ssh-rsa garbage!',
                                          paramiko.SSHClient())
    for line in ('10.0.0.5 ssh-rsa', '10.0.0.5 ssh-unknown AAAA'):
        with pytest.raises(ValueError):
            SSHPool(**_access()).set_host_key(line, paramiko.SSHClient())


def test_garbage_pub_key_makes_create_fail(secret_keys):
    pool = SSHPool(**_access(local_http.unused_port(), pub_key='garbage',
                             pub_key_type='ssh-rsa',
                             password=cryptor.encode('pw')))
    with pytest.raises(exception.SSHException):
        pool.create()


def test_create_on_refused_port_is_ssh_exception(secret_keys):
    pool = SSHPool(**_access(local_http.unused_port(),
                             password=cryptor.encode('pw')))
    with pytest.raises(exception.SSHException) as info:
        pool.create()
    assert 'Unable to connect to port' in str(info.value)
    assert pool.current_size == 0


def test_none_password_is_ssh_exception():
    pool = SSHPool(**_access(local_http.unused_port(), password=None))
    with pytest.raises(exception.SSHException):
        pool.create()


def test_do_exec_on_refused_port_is_connect_timeout(secret_keys):
    pool = SSHPool(**_access(local_http.unused_port(),
                             password=cryptor.encode('pw')))
    with pytest.raises(exception.ConnectTimeout):
        pool.do_exec('showsys')
    # The failed connection attempt gave its slot back.
    assert pool.current_size == 0


def test_do_exec_shell_on_refused_port_is_invalid_ip_or_port(secret_keys):
    pool = SSHPool(**_access(local_http.unused_port(),
                             password=cryptor.encode('pw')))
    with pytest.raises(exception.InvalidIpOrPort):
        pool.do_exec_shell(['showsys'], sleep_time=0)


def test_connect_timeout_is_invalid_ip_or_port_from_create(secret_keys):
    with local_http.silent_listener() as port:
        pool = SSHPool(**_access(port, conn_timeout=0.3,
                                 password=cryptor.encode('pw')))
        with pytest.raises(exception.InvalidIpOrPort):
            pool.create()
        with pytest.raises(exception.SSHException) as info:
            pool.do_exec('showsys')
        assert 'Invalid ip or port' in str(info.value)


@pytest.mark.parametrize('command', ['ls;id', 'cat x | sh', 'echo $HOME'])
def test_injection_is_rejected_without_connecting(command):
    # The port is closed: a connection attempt would give another error.
    pool = SSHPool(**_access(local_http.unused_port()))
    with pytest.raises(exception.SSHException) as info:
        pool.do_exec(command)
    assert 'SSH command injection detected' in str(info.value)
    with pytest.raises(exception.SSHException) as info:
        pool.do_exec_shell(['showsys', command], sleep_time=0)
    assert 'SSH command injection detected' in str(info.value)
    with pytest.raises(exception.SSHException) as info:
        SSHClient(**_access(local_http.unused_port())).do_exec(command)
    assert 'SSH command injection detected' in str(info.value)


class _UnhashableConnection(list):
    """A connection object that cannot be hashed (a list), as drivers'
    tests sometimes hand to the pool."""

    def __init__(self):
        super().__init__()
        self.closed = False

    def get_transport(self):
        return None if self.closed else self

    def is_active(self):
        return not self.closed

    def close(self):
        self.closed = True


class _UnhashablePool(SSHPool):
    def create(self):
        return _UnhashableConnection()


def test_pool_keeps_unhashable_connections():
    pool = _UnhashablePool(**_access())
    with pool.item() as first:
        assert pool.current_size == 1
    assert list(pool.free_items) == [first] and pool.free_items[0] is first
    with pool.item() as again:
        assert again is first
    pool.remove(first)
    assert first.closed
    assert (pool.current_size, len(pool.free_items)) == (0, 0)


def test_removed_unhashable_connection_does_not_come_back():
    pool = _UnhashablePool(**_access())
    with pool.item() as conn:
        pool.remove(conn)
    assert conn.closed
    assert (pool.current_size, len(pool.free_items)) == (0, 0)


def test_put_of_a_foreign_unhashable_object_never_raises():
    # Delfin's driver tests mock SSHPool.get to return a set.
    pool = SSHPool(**_access())
    foreign = [{paramiko.SSHClient()} for _ in range(4)]
    for conn in foreign:
        pool.put(conn)
    # Three join the idle connections; the fourth is over the limit and
    # is closed instead (a set has no close(): that is only logged).
    assert pool.current_size == pool.max_size == 3
    assert [c is f for c, f in zip(pool.free_items, foreign)] == [True] * 3
