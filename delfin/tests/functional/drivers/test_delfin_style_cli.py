"""An SSH CLI driver written in Delfin's style, unchanged, against a real
OpenSSH server on a loopback port: commands and interactive shells through
SSHPool, host-key pinning on a non-22 port, Delfin's error mapping, the
injection check, SCP through Tools, and the pool's limits."""
import os
import threading
import time

import pytest
from oslo_config import cfg

from delfin import context
from delfin import cryptor
from delfin import exception
from delfin.common import constants
from delfin.drivers.utils.ssh_client import SSHPool
from delfin.drivers.utils.tools import Tools
from delfin.tests.functional.drivers import openssh_server
from delfin.tests.functional.drivers.delfin_style import cli_driver

CONF = cfg.CONF
GiB = 2 ** 30


@pytest.fixture(scope='module')
def sshd():
    reason = openssh_server.unavailable_reason()
    if reason:
        if os.environ.get('CI') == 'true':
            pytest.fail(reason)
        pytest.skip(reason)
    server = openssh_server.OpenSSHServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='module')
def wrong_host_key(tmp_path_factory):
    """A host key of the server's type that the server does not have."""
    path = tmp_path_factory.mktemp('keys') / 'other_ed25519'
    return openssh_server.generate_host_key(path)


@pytest.fixture(scope='module', autouse=True)
def secret_keys():
    CONF.set_override('secret_keys', [cryptor.generate_key()],
                      group='security')
    cryptor.reset()
    yield
    CONF.clear_override('secret_keys', group='security')
    cryptor.reset()


@pytest.fixture(autouse=True)
def utc_host(monkeypatch):
    """The driver reads alert times as host-local time; pin it to UTC."""
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def ctx():
    admin = context.get_admin_context()
    admin.storage_id = 'storage-2'
    return admin


@pytest.fixture
def access(sshd):
    """Builds what the core hands a driver (the password encrypted);
    by default the server's host key is pinned."""
    def build(password=None, pin=True, **ssh_extra):
        if pin:
            ssh_extra.setdefault('pub_key', sshd.host_key)
            ssh_extra.setdefault('pub_key_type', sshd.host_key_type)
        ssh = sshd.access_info(**ssh_extra)
        ssh['password'] = cryptor.encode(
            ssh['password'] if password is None else password)
        return {'storage_id': 'storage-2', 'vendor': 'acme',
                'model': 'cli_array', 'ssh': ssh,
                'extra_attributes': {'perf_dir': sshd.data_dir + '/perf'}}
    return build


@pytest.fixture
def make(access):
    """Builds drivers and pools, and closes their connections after."""
    pools = []

    def build(cls=cli_driver.AcmeCliDriver, **kwargs):
        obj = cls(**access(**kwargs))
        pools.append(obj if isinstance(obj, SSHPool) else obj.ssh_pool)
        return obj
    yield build
    for pool in pools:
        pool.close()


def test_inventory_through_commands(make, ctx):
    driver = make()
    assert driver.ssh_pool.ssh_port != 22
    assert driver.get_storage(ctx) == {
        'name': 'acme-cli-01', 'vendor': 'Acme', 'model': 'CX-9000',
        'status': constants.StorageStatus.NORMAL,
        'serial_number': 'ACME2024CLI01', 'firmware_version': '5.4.1',
        'total_capacity': 100 * GiB, 'used_capacity': 40 * GiB,
        'free_capacity': 60 * GiB, 'raw_capacity': 200 * GiB,
    }
    assert [(p['native_storage_pool_id'], p['status'], p['free_capacity'])
            for p in driver.list_storage_pools(ctx)] == [
        ('1', 'normal', 40 * GiB), ('2', 'degraded', 20 * GiB)]
    assert [(v['native_volume_id'], v['native_storage_pool_id'], v['type'],
             v['status']) for v in driver.list_volumes(ctx)] == [
        ('11', '1', 'thin', 'available'), ('12', '2', 'thick', 'error')]
    # Three commands, one connection reused.
    assert driver.ssh_pool.current_size == 1


def test_alerts_with_multi_line_descriptions_and_time_range(make, ctx):
    driver = make()
    alerts = driver.list_alerts(ctx)
    assert [a['sequence_number'] for a in alerts] == ['501', '502']
    assert alerts[0]['description'] == \
        'disk 3 in shelf 1 reported a media error'
    assert alerts[0]['occur_time'] == 1704164645000  # 2024-01-02 03:04:05Z
    assert alerts[0]['severity'] == constants.Severity.MAJOR
    later = driver.list_alerts(ctx, {'begin_time': 1704240000000})
    assert [a['sequence_number'] for a in later] == ['502']


def test_clear_alert(make, ctx):
    driver = make()
    driver.clear_alert(ctx, '501')
    with pytest.raises(exception.StorageClearAlertFailed) as info:
        driver.clear_alert(ctx, '999')
    assert 'no alert 999' in str(info.value)


def test_controllers_through_an_interactive_shell(make, ctx):
    driver = make()
    controllers = driver.list_controllers(ctx)
    assert [(c['native_controller_id'], c['name'], c['status'])
            for c in controllers] == [('0', 'node-0', 'normal'),
                                      ('1', 'node-1', 'offline')]


def test_do_exec_shell_returns_prompts_and_echo(make):
    pool = make(SSHPool)
    output = pool.do_exec_shell(['echoargs a b', 'showsys'], sleep_time=0.1)
    assert 'acme> ' in output
    assert 'echoargs a b' in output
    assert 'Serial Number: ACME2024CLI01' in output


def test_do_exec_shell_unknown_command_is_invalid_ip_or_port(make):
    pool = make(SSHPool)
    with pytest.raises(exception.InvalidIpOrPort):
        pool.do_exec_shell(['frobnicate'], sleep_time=0.1)


def test_command_output_stdout_else_stderr(make):
    pool = make(SSHPool)
    assert pool.do_exec("echoargs 'a b' c") == "'a\nb'\nc\n"
    assert pool.do_exec('showerr') == 'Error: backend busy\n'


def test_unknown_command_is_a_backend_exception(make):
    pool = make(SSHPool)
    with pytest.raises(exception.StorageBackendException) as info:
        pool.do_exec('frobnicate --all')
    assert 'frobnicate: is not a recognized command' in str(info.value)


def test_pinned_host_key_is_accepted_on_a_non_22_port(make, sshd):
    pool = make(SSHPool)
    assert pool.ssh_port != 22 and pool.ssh_pub_key == sshd.host_key
    ssh = pool.create()
    try:
        transport = ssh.get_transport()
        assert transport.is_active()
        assert transport.get_remote_server_key().get_base64() \
            == sshd.host_key
    finally:
        ssh.close()


def test_wrong_pinned_key_is_rejected(make, wrong_host_key):
    key_type, blob = wrong_host_key
    pool = make(SSHPool, pub_key=blob, pub_key_type=key_type)
    with pytest.raises(exception.SSHException) as info:
        pool.create()
    assert 'does not match' in str(info.value)
    with pytest.raises(exception.SSHException):
        pool.do_exec('showsys')
    assert pool.current_size == 0


def test_pinned_key_of_another_type_is_rejected(make, tmp_path):
    key_type, blob = openssh_server.generate_host_key(
        tmp_path / 'ecdsa_key', 'ecdsa')
    pool = make(SSHPool, pub_key=blob, pub_key_type=key_type)
    with pytest.raises(exception.SSHException) as info:
        pool.create()
    assert 'does not match' in str(info.value)


def test_without_pinned_key_any_host_key_is_accepted(make, ctx):
    driver = make(pin=False)
    assert driver.get_storage(ctx)['serial_number'] == 'ACME2024CLI01'


def test_bad_password_is_invalid_username_or_password(make, ctx):
    driver = make(password='not-the-password')
    with pytest.raises(exception.InvalidUsernameOrPassword):
        driver.get_storage(ctx)
    with pytest.raises(exception.InvalidUsernameOrPassword):
        driver.ssh_pool.create()
    with pytest.raises(exception.InvalidUsernameOrPassword):
        driver.list_controllers(ctx)
    assert driver.ssh_pool.current_size == 0


@pytest.mark.parametrize('command', ['showsys; id', 'showsys | sh',
                                     'echoargs $HOME', 'showsys > /tmp/x',
                                     'echoargs `id`'])
def test_injection_is_rejected(make, command):
    pool = make(SSHPool)
    with pytest.raises(exception.SSHException) as info:
        pool.do_exec(command)
    assert 'SSH command injection detected' in str(info.value)
    with pytest.raises(exception.SSHException):
        pool.do_exec_shell([command], sleep_time=0)
    # Rejected before any connection was made.
    assert pool.current_size == 0


def test_driver_level_injection_check_on_arguments(make, ctx):
    driver = make()
    with pytest.raises(exception.SSHInjectionThreat):
        driver.clear_alert(ctx, '501;reboot')


def test_vendor_pool_subclass_with_delfin_attribute_names(make, ctx):
    driver = make(cli_driver.AcmeCliDriverWithOwnPool)
    assert driver.get_storage(ctx)['name'] == 'acme-cli-01'
    bad = make(cli_driver.AcmeCliDriverWithOwnPool, password='wrong')
    with pytest.raises(exception.InvalidUsernameOrPassword):
        bad.get_storage(ctx)


def test_performance_dump_fetched_over_scp(make, ctx):
    driver = make()
    metrics = driver.collect_perf_metrics(ctx, 'storage-2', {}, 0, 0)
    by_volume = {m.labels['resource_id']: m for m in metrics}
    assert by_volume['11'].values == {1704164400000: 1500}
    assert by_volume['12'].name == 'iops'


def test_get_remote_file_to_xml_cleans_up(make, sshd, tmp_path):
    pool = make(SSHPool)
    local = str(tmp_path) + '/'
    (tmp_path / 'Nv_stats_node0_older').write_text('old dump')
    (tmp_path / 'unrelated.txt').write_text('kept')
    with pool.item() as ssh:
        root = Tools.get_remote_file_to_xml(
            ssh, 'Nv_stats_node0_240102_030000.xml', local,
            sshd.data_dir + '/perf')
        assert root.tag == 'diskStatColl'
        assert [v.get('idx') for v in root.iter('vdsk')] == ['11', '12']
        assert os.listdir(tmp_path) == ['unrelated.txt']
        assert Tools.get_remote_file_to_xml(
            ssh, 'Nv_stats_node0_missing.xml', local,
            sshd.data_dir + '/perf') is None


def test_pool_never_opens_more_than_three_connections(make):
    pool = make(SSHPool)
    used = set()
    errors = []
    lock = threading.Lock()

    def work():
        try:
            with pool.item() as ssh:
                with lock:
                    used.add(id(ssh))
                _, stdout, _ = ssh.exec_command('pause 0.3')
                assert stdout.read() == b'paused 0.3\n'
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(7)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - start
    assert errors == []
    assert len(used) <= 3
    assert pool.current_size <= 3
    assert len(pool.free_items) == pool.current_size
    # Seven 0.3 s commands over at most three connections: three rounds.
    assert elapsed >= 0.9


def test_dead_connection_is_replaced(make):
    pool = make(SSHPool)
    assert pool.do_exec('showsys')
    (conn,) = pool.free_items
    conn.get_transport().close()
    assert 'ACME2024CLI01' in pool.do_exec('showsys')
    assert pool.current_size == 1
    assert pool.free_items[0] is not conn


def test_removed_connection_does_not_come_back(make):
    pool = make(SSHPool)
    with pool.item() as ssh:
        pool.remove(ssh)
    assert pool.current_size == 0 and len(pool.free_items) == 0
    assert pool.do_exec('showsys')
    assert pool.current_size == 1


def test_unpooled_client(access):
    info = access()
    assert 'ACME2024CLI01' in cli_driver.legacy_exec(info, 'showsys')
    bad = access(password='wrong')
    with pytest.raises(exception.InvalidUsernameOrPassword):
        cli_driver.legacy_exec(bad, 'showsys')
