"""Alert source rows to listener credentials: exact hosts, encrypted
secrets, v3 users bound to their hosts and engine ids."""
import pytest

from delfin.alert_manager import sources
from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import decoder
from delfin.alert_manager.snmp import usm
from delfin import cryptor

ENGINE = '80001f8880aabbccdd'
TRAP_OID = '1.3.6.1.4.1.32473.1.5'


def v2c_row(storage_id, host, community):
    return {'storage_id': storage_id, 'host': host, 'version': 'snmpv2c',
            'community_string': cryptor.encode(community)}


def v3_row(storage_id, host, level='authPriv', engine_id=ENGINE,
           auth='HMCSHA2256', priv='AES256'):
    return {'storage_id': storage_id, 'host': host, 'version': 'snmpv3',
            'username': 'monitor', 'security_level': level,
            'auth_protocol': auth, 'auth_key': cryptor.encode('auth-pass-1'),
            'privacy_protocol': priv,
            'privacy_key': cryptor.encode('priv-pass-1'),
            'engine_id': engine_id}


def _pdu():
    return ber.encode_pdu(ber.TRAP_V2, 7, [
        (decoder.SYS_UPTIME_OID, ber.TIMETICKS, 5),
        (decoder.SNMP_TRAP_OID_OID, ber.OBJECT_IDENTIFIER, TRAP_OID)])


def v2c_datagram(community):
    return ber.encode_community_message(1, community, _pdu())


def v3_datagram(auth_password='auth-pass-1', priv_password='priv-pass-1'):
    user = usm.UsmUser('monitor', 'hmcsha2256', auth_password, 'aes256',
                       priv_password, bytes.fromhex(ENGINE))
    return usm.encode_message(user, bytes.fromhex(ENGINE), 1, 100, _pdu())


def decode(credentials, data, host):
    return decoder.decode_trap(data, (host, 40000), credentials)


def rejected(credentials, data, host):
    with pytest.raises(decoder.TrapRejected) as info:
        decode(credentials, data, host)
    return info.value.reason


def test_community_accepted_only_from_the_exact_hosts():
    creds, hosts = sources.build_credentials(
        [v2c_row('s1', '10.0.0.1', 'one'),
         v2c_row('s2', '10.0.0.10,10.0.0.11', 'two')])
    assert hosts == {'s1': ['10.0.0.1'], 's2': ['10.0.0.10', '10.0.0.11']}
    assert decode(creds, v2c_datagram('one'), '10.0.0.1').owners == ('s1',)
    assert decode(creds, v2c_datagram('two'), '10.0.0.11').owners == ('s2',)
    assert rejected(creds, v2c_datagram('one'), '10.0.0.10') == \
        'bad_community'
    assert rejected(creds, v2c_datagram('one'), '110.0.0.1') == \
        'unknown_source'


def test_shared_host_and_community_name_every_storage():
    creds, _ = sources.build_credentials(
        [v2c_row('s1', '10.0.0.1', 'same'),
         v2c_row('s2', '10.0.0.1', 'same')])
    trap = decode(creds, v2c_datagram('same'), '10.0.0.1')
    assert sorted(trap.owners) == ['s1', 's2']


def test_host_names_are_resolved():
    creds, hosts = sources.build_credentials(
        [v2c_row('s1', 'localhost', 'c'),
         v2c_row('s2', 'no-such-host.invalid', 'c')])
    assert '127.0.0.1' in hosts['s1']
    assert hosts['s2'] == []
    assert decode(creds, v2c_datagram('c'), '127.0.0.1').owners == ('s1',)


def test_v3_user_bound_to_host_and_engine():
    creds, _ = sources.build_credentials([v3_row('s1', '10.0.0.5')])
    trap = decode(creds, v3_datagram(), '10.0.0.5')
    assert trap.owners == ('s1',) and trap.trap_oid == TRAP_OID
    assert trap.user == 'monitor'
    assert rejected(creds, v3_datagram(), '10.0.0.6') == 'unknown_source'
    assert rejected(creds, v3_datagram(auth_password='wrong-pass-1'),
                    '10.0.0.5') == 'auth_failed'
    assert rejected(creds, v3_datagram(priv_password='wrong-pass-1'),
                    '10.0.0.5') == 'decrypt_failed'
    other, _ = sources.build_credentials(
        [v3_row('s1', '10.0.0.5', engine_id='80001f8880000000ff')])
    assert rejected(other, v3_datagram(), '10.0.0.5') == 'auth_failed'


def test_v3_user_without_engine_id_accepts_any_engine():
    creds, _ = sources.build_credentials(
        [v3_row('s1', '10.0.0.5', engine_id=None)])
    assert decode(creds, v3_datagram(), '10.0.0.5').owners == ('s1',)


def test_unusable_rows_are_skipped_not_fatal():
    broken = v2c_row('s1', '10.0.0.1', 'x')
    broken['community_string'] = 'not-a-token'
    creds, _ = sources.build_credentials(
        [broken, v2c_row('s2', '10.0.0.2', 'fine')])
    assert rejected(creds, v2c_datagram('x'), '10.0.0.1') == \
        'unknown_source'
    assert decode(creds, v2c_datagram('fine'), '10.0.0.2').owners == ('s2',)


def test_user_of_maps_levels_and_protocols():
    user = sources.user_of(v3_row('s', 'h', level='authNoPriv',
                                  auth='HMACMD5', priv='DES'))
    assert (user.auth_protocol, user.priv_protocol) == ('hmacmd5', None)
    user = sources.user_of(v3_row('s', 'h', level='noAuthnoPriv'))
    assert (user.auth_protocol, user.priv_protocol) == (None, None)
    user = sources.user_of(v3_row('s', 'h', priv='3DES'))
    assert (user.auth_protocol, user.priv_protocol) == ('hmcsha2256', '3des')
    assert user.engine_id == bytes.fromhex(ENGINE)
