"""Real SNMP senders against the trap listener on a loopback port.

net-snmp's ``snmptrap`` (Debian package ``snmp``) sends v1, v2c, informs
and v3 with its own USM implementation; 3DES, which this net-snmp build
lacks, comes from pysnmp's notification originator.  net-snmp's
``snmptrapd`` in turn checks that the traps our encoder makes (those of the
trap blaster) are what a real receiver accepts.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid

import pytest
from pysnmp.proto import rfc1902

from delfin.alert_manager.listener import TrapListener
from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.alert_manager.snmp.decoder import CommunityEntry
from delfin.alert_manager.snmp.decoder import Credentials
from delfin.alert_manager.snmp.decoder import Reason
from delfin.alert_manager.snmp.decoder import UserEntry
from delfin.tests import conftest
from delfin.tests.unit.alert_manager.snmp import reference

COMMUNITY = 'wire-community'
ENGINE_ID = bytes.fromhex('8000b85c0301c0a80a0b')
MARKER_OID = '1.3.6.1.4.1.99.7.1'
# (net-snmp -a, -x, our auth, our priv)
V3_CASES = [
    ('SHA', None, 'hmacsha', None),
    ('SHA-256', 'AES-256', 'hmcsha2256', 'aes256'),
    ('SHA', 'AES', 'hmacsha', 'aes'),
    ('MD5', 'DES', 'hmacmd5', 'des'),
    ('SHA-512', 'AES-192', 'hmcsha2512', 'aes192'),
    # SHA-1 and SHA-224 keys need extending for AES-256: net-snmp's way.
    ('SHA', 'AES-256', 'hmacsha', 'aes256'),
    ('SHA-224', 'AES-256', 'hmcsha2224', 'aes256'),
    ('MD5', 'AES-192', 'hmacmd5', 'aes192'),
]


def user_name(auth, priv):
    return 'u-%s-%s' % (auth, priv or 'nopriv')


def passwords(auth, priv):
    return 'auth-%s-pass' % auth, 'priv-%s-pass' % (priv or 'none')


def v3_user(auth, priv, engine_id=ENGINE_ID):
    auth_pass, priv_pass = passwords(auth, priv)
    return usm.UsmUser(user_name(auth, priv), auth, auth_pass, priv,
                       priv_pass if priv else None, engine_id)


class Collector(object):
    def __init__(self):
        self.traps = []
        self.lock = threading.Lock()

    def __call__(self, traps):
        with self.lock:
            self.traps.extend(traps)

    def with_marker(self, marker):
        with self.lock:
            return [t for t in self.traps
                    if t.varbinds.get(MARKER_OID) == marker]


@pytest.fixture(scope='module')
def snmptrap():
    return conftest.require_program('snmptrap')


@pytest.fixture(scope='module')
def net_snmp_env():
    # Keep net-snmp away from the host's configuration and state.
    home = tempfile.mkdtemp(prefix='net-snmp-')
    env = dict(os.environ, SNMP_PERSISTENT_DIR=home, SNMPCONFPATH=home,
               HOME=home)
    yield env
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope='module')
def wire():
    collector = Collector()
    users = [UserEntry(v3_user(auth, priv), ('127.0.0.1',), 'v3')
             for _, _, auth, priv in V3_CASES]
    users.append(UserEntry(v3_user('hmacsha', '3des', reference.ENGINE_ID),
                           ('127.0.0.1',), 'v3'))
    credentials = Credentials(
        [CommunityEntry('127.0.0.1', COMMUNITY, 'community')], users)
    listener = TrapListener(collector, credentials, '127.0.0.1', 0,
                            processes=1)
    listener.start()
    yield listener, collector
    listener.stop()


def send(snmptrap, env, listener, *args, check=True):
    command = [snmptrap, '-m', '', '-r', '0', '-t', '5'] + list(args[:-1]) \
        + ['127.0.0.1:%d' % listener.port] + list(args[-1])
    result = subprocess.run(command, env=env, capture_output=True,
                            text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def v2_payload(marker, trap_oid='1.3.6.1.4.1.99.0.5'):
    return ['', trap_oid, MARKER_OID, 's', marker]


def received(collector, marker):
    return conftest.wait_for(lambda: collector.with_marker(marker), 30,
                             what='trap %s' % marker)[0]


def dropped(listener, reason):
    return listener.stats()['dropped'][reason]


def test_v1(snmptrap, net_snmp_env, wire):
    listener, collector = wire
    marker = uuid.uuid4().hex
    send(snmptrap, net_snmp_env, listener, '-v', '1', '-c', COMMUNITY,
         ['1.3.6.1.4.1.99.3', '10.1.2.3', '6', '42', '',
          MARKER_OID, 's', marker])
    trap = received(collector, marker)
    assert trap.version == 'v1'
    assert trap.trap_oid == '1.3.6.1.4.1.99.3.0.42'
    assert (trap.agent_address, trap.enterprise) == (
        '10.1.2.3', '1.3.6.1.4.1.99.3')
    assert trap.varbinds['1.3.6.1.6.3.1.1.4.1.0'] == trap.trap_oid
    assert trap.owners == ('community',)


def test_v2c(snmptrap, net_snmp_env, wire):
    listener, collector = wire
    marker = uuid.uuid4().hex
    send(snmptrap, net_snmp_env, listener, '-v', '2c', '-c', COMMUNITY,
         v2_payload(marker) + ['1.3.6.1.4.1.99.7.2', 'i', '-5',
                               '1.3.6.1.4.1.99.7.3', 'a', '10.0.0.9',
                               '1.3.6.1.4.1.99.7.4', 'c', '4000000000',
                               '1.3.6.1.4.1.99.7.5', 'o', '1.3.6.1.4.1.99'])
    trap = received(collector, marker)
    assert trap.version == 'v2c'
    assert trap.trap_oid == '1.3.6.1.4.1.99.0.5'
    assert trap.pdu_type == 'trap'
    assert trap.community == COMMUNITY
    assert trap.varbinds['1.3.6.1.4.1.99.7.2'] == '-5'
    assert trap.varbinds['1.3.6.1.4.1.99.7.3'] == '10.0.0.9'
    assert trap.varbinds['1.3.6.1.4.1.99.7.4'] == '4000000000'
    assert trap.varbinds['1.3.6.1.4.1.99.7.5'] == '1.3.6.1.4.1.99'


def test_v2c_inform_is_acknowledged(snmptrap, net_snmp_env, wire):
    listener, collector = wire
    marker = uuid.uuid4().hex
    # snmptrap -Ci waits for the Response and fails without one.
    send(snmptrap, net_snmp_env, listener, '-v', '2c', '-Ci', '-c',
         COMMUNITY, v2_payload(marker))
    assert received(collector, marker).pdu_type == 'inform'


@pytest.mark.parametrize('auth_name, priv_name, auth, priv', V3_CASES,
                         ids=['%s-%s' % (a, p) for a, p, _, _ in V3_CASES])
def test_v3(snmptrap, net_snmp_env, wire, auth_name, priv_name, auth, priv):
    listener, collector = wire
    marker = uuid.uuid4().hex
    auth_pass, priv_pass = passwords(auth, priv)
    args = ['-v', '3', '-e', '0x' + ENGINE_ID.hex(), '-u',
            user_name(auth, priv), '-a', auth_name, '-A', auth_pass]
    if priv:
        args += ['-l', 'authPriv', '-x', priv_name, '-X', priv_pass]
    else:
        args += ['-l', 'authNoPriv']
    send(snmptrap, net_snmp_env, listener, *args, v2_payload(marker))
    trap = received(collector, marker)
    assert trap.version == 'v3'
    assert trap.user == user_name(auth, priv)
    assert trap.engine_id == ENGINE_ID.hex()
    assert trap.security_level == ('authPriv' if priv else 'authNoPriv')
    assert trap.owners == ('v3',)


def test_v3_3des_from_pysnmp(wire):
    listener, collector = wire
    marker = uuid.uuid4().hex
    user = v3_user('hmacsha', '3des', reference.ENGINE_ID)
    reference.send_v3_trap(reference.ENGINE_ID, user, listener.port,
                           [(MARKER_OID, rfc1902.OctetString(marker))])
    trap = received(collector, marker)
    assert trap.security_level == 'authPriv'
    assert trap.user == user.name


def test_wrong_credentials_are_dropped_with_their_reason(
        snmptrap, net_snmp_env, wire):
    listener, collector = wire
    before = listener.stats()['dropped']
    marker = uuid.uuid4().hex
    send(snmptrap, net_snmp_env, listener, '-v', '2c', '-c', 'not-it',
         v2_payload(marker))
    auth_pass, priv_pass = passwords('hmcsha2256', 'aes256')
    base = ['-v', '3', '-e', '0x' + ENGINE_ID.hex(), '-u',
            user_name('hmcsha2256', 'aes256'), '-a', 'SHA-256', '-l',
            'authPriv', '-x', 'AES-256']
    send(snmptrap, net_snmp_env, listener,
         *base, '-A', 'wrong-auth-pass', '-X', priv_pass, v2_payload(marker))
    send(snmptrap, net_snmp_env, listener,
         *base, '-A', auth_pass, '-X', 'wrong-priv-pass', v2_payload(marker))
    send(snmptrap, net_snmp_env, listener, '-v', '3', '-e',
         '0x' + ENGINE_ID.hex(), '-u', 'nobody', '-a', 'SHA', '-A',
         'whatever-pass', '-l', 'authNoPriv', v2_payload(marker))

    def grew():
        now = listener.stats()['dropped']
        return (now[Reason.BAD_COMMUNITY] - before[Reason.BAD_COMMUNITY] == 1
                and now[Reason.AUTH_FAILED] - before[Reason.AUTH_FAILED] == 2
                and now[Reason.DECRYPT_FAILED]
                - before[Reason.DECRYPT_FAILED] == 1)
    conftest.wait_for(grew, 30, what='four drops by reason')
    assert collector.with_marker(marker) == []


@pytest.fixture
def snmptrapd(net_snmp_env, tmp_path):
    binary = shutil.which('snmptrapd') or '/usr/sbin/snmptrapd'
    if not os.path.exists(binary):
        conftest.require_program('snmptrapd')
    port = conftest.free_port(kind=socket.SOCK_DGRAM)
    log = tmp_path / 'traps.log'
    config = tmp_path / 'snmptrapd.conf'
    lines = ['authCommunity log %s' % COMMUNITY, 'format1 TRAP %v\\n',
             'format2 TRAP %v\\n']
    for auth_name, priv_name, auth, priv in V3_CASES:
        auth_pass, priv_pass = passwords(auth, priv)
        line = 'createUser -e 0x%s %s %s %s' % (
            ENGINE_ID.hex(), user_name(auth, priv), auth_name, auth_pass)
        if priv:
            line += ' %s %s' % (priv_name, priv_pass)
        lines += [line, 'authUser log %s' % user_name(auth, priv)]
    config.write_text('\n'.join(lines) + '\n')
    # Logged to stdout: with -Lf, snmptrapd holds v1 traps in a buffer.
    with open(log, 'w') as out:
        process = subprocess.Popen(
            [binary, '-f', '-n', '-Lo', '-C', '-c', str(config), '-m', '',
             '--persistentDir=%s' % tmp_path, 'udp:127.0.0.1:%d' % port],
            env=net_snmp_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        conftest.wait_for(lambda: 'NET-SNMP version' in log.read_text(),
                          15, what='snmptrapd start')
        yield port, log
    finally:
        process.terminate()
        process.wait(10)


def test_snmptrapd_accepts_what_our_encoder_sends(snmptrapd):
    port, log = snmptrapd
    sent = []
    header = [('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, 100),
              ('1.3.6.1.6.3.1.1.4.1.0', ber.OBJECT_IDENTIFIER,
               '1.3.6.1.4.1.99.0.5')]

    def payload(marker):
        sent.append(marker)
        return [(MARKER_OID, ber.OCTET_STRING, marker)]

    datagrams = [
        ber.encode_community_message(0, COMMUNITY, ber.encode_trap_v1(
            '1.3.6.1.4.1.99.3', '10.1.2.3', 6, 1, 5,
            payload(uuid.uuid4().hex))),
        ber.encode_community_message(1, COMMUNITY, ber.encode_pdu(
            ber.TRAP_V2, 1, header + payload(uuid.uuid4().hex))),
    ]
    for _, _, auth, priv in V3_CASES:
        pdu = ber.encode_pdu(ber.TRAP_V2, 2,
                             header + payload(uuid.uuid4().hex))
        datagrams.append(usm.encode_message(v3_user(auth, priv), ENGINE_ID,
                                            1, 100, pdu))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in datagrams:
            sock.sendto(data, ('127.0.0.1', port))
    conftest.wait_for(
        lambda: all(marker in log.read_text() for marker in sent), 30,
        what='every trap logged by snmptrapd')
