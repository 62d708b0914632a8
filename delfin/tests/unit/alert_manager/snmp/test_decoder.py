"""From datagram to Trap: formats, credentials and every rejection reason."""
import pickle
import random

import pytest
from pysnmp.proto import rfc1902

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.alert_manager.snmp.decoder import CommunityEntry
from delfin.alert_manager.snmp.decoder import Credentials
from delfin.alert_manager.snmp.decoder import Reason
from delfin.alert_manager.snmp.decoder import Trap
from delfin.alert_manager.snmp.decoder import TrapRejected
from delfin.alert_manager.snmp.decoder import UserEntry
from delfin.alert_manager.snmp.decoder import decode_trap
from delfin.alert_manager.snmp.decoder import normalize_host
from delfin.common.constants import SecurityLevel
from delfin.tests.unit.alert_manager.snmp import reference

SOURCE = ('192.0.2.10', 40162)
TRAP_OID = '1.3.6.1.4.1.99.0.7'
ENGINE = bytes.fromhex('8000000001020304')


def header(uptime=4711, trap_oid=TRAP_OID):
    return [('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, uptime,
             rfc1902.TimeTicks(uptime), str(uptime)),
            ('1.3.6.1.6.3.1.1.4.1.0', ber.OBJECT_IDENTIFIER, trap_oid,
             rfc1902.ObjectIdentifier(trap_oid), trap_oid)]


def communities(*entries):
    return Credentials([CommunityEntry(*entry) for entry in entries])


def rejection(data, credentials, source=SOURCE, **kwargs):
    with pytest.raises(TrapRejected) as info:
        decode_trap(data, source, credentials, **kwargs)
    return info.value.reason


def v2c(community='public', varbinds=None, tag=ber.TRAP_V2, request_id=9):
    if varbinds is None:
        varbinds = reference.ours(header())
    return ber.encode_community_message(
        1, community, ber.encode_pdu(tag, request_id, varbinds))


class TestCommunityTraps:

    def test_v2c_trap_from_pysnmp(self):
        varbinds = header() + reference.VARBINDS
        data = reference.v2c_message('public', 31337, varbinds)
        trap = decode_trap(data, SOURCE,
                           communities((SOURCE[0], 'public', 'storage-1')),
                           received_at=1700000000.5)
        assert trap.version == 'v2c'
        assert (trap.source_ip, trap.source_port) == SOURCE
        assert trap.trap_oid == TRAP_OID
        assert trap.uptime == 4711
        assert trap.pdu_type == 'trap' and trap.request_id == 31337
        assert trap.owners == ('storage-1',)
        assert trap.community == 'public'
        assert trap.received_at == 1700000000.5
        # The drivers' view: dotted OID -> text, in message order.
        assert list(trap.varbinds.items()) == [
            (oid, text) for oid, _, _, _, text in varbinds]
        assert trap.user is None and trap.security_level is None

    def test_inform(self):
        data = reference.v2c_message('public', 5, header(), inform=True)
        trap = decode_trap(data, SOURCE, communities((SOURCE[0], 'public')))
        assert trap.pdu_type == 'inform' and trap.request_id == 5

    def test_community_is_not_in_repr(self):
        trap = decode_trap(v2c('s3cr3t-community'), SOURCE,
                           communities((SOURCE[0], 's3cr3t-community')))
        assert 's3cr3t' not in repr(trap)
        credentials = communities((SOURCE[0], 's3cr3t-community'))
        assert 's3cr3t' not in repr(credentials)
        assert 's3cr3t' not in repr(CommunityEntry('h', 's3cr3t'))

    def test_trap_oid_found_anywhere(self):
        varbinds = [('1.3.6.1.4.1.99.1', ber.INTEGER, 1)] + \
            reference.ours(header())
        trap = decode_trap(v2c(varbinds=varbinds), SOURCE,
                           communities((SOURCE[0], 'public')))
        assert (trap.trap_oid, trap.uptime) == (TRAP_OID, 4711)

    @pytest.mark.parametrize('generic, specific, trap_oid', [
        (0, 0, '1.3.6.1.6.3.1.1.5.1'),       # coldStart
        (2, 0, '1.3.6.1.6.3.1.1.5.3'),       # linkDown
        (5, 0, '1.3.6.1.6.3.1.1.5.6'),       # egpNeighborLoss
        (6, 42, '1.3.6.1.4.1.99.3.0.42'),    # enterprise specific
    ])
    def test_v1_trap_is_translated_as_rfc3584_says(self, generic, specific,
                                                   trap_oid):
        data = reference.v1_message('public', '1.3.6.1.4.1.99.3',
                                    '10.9.8.7', generic, specific, 123456,
                                    reference.V1_VARBINDS)
        trap = decode_trap(data, SOURCE, communities((SOURCE[0], 'public')))
        assert trap.version == 'v1'
        assert trap.trap_oid == trap_oid
        assert trap.uptime == 123456
        assert (trap.agent_address, trap.enterprise) == (
            '10.9.8.7', '1.3.6.1.4.1.99.3')
        assert (trap.generic_trap, trap.specific_trap) == (generic, specific)
        assert list(trap.varbinds.items()) == [
            ('1.3.6.1.2.1.1.3.0', '123456'),
            ('1.3.6.1.6.3.1.1.4.1.0', trap_oid),
            ('1.3.6.1.6.3.18.1.3.0', '10.9.8.7'),
            ('1.3.6.1.6.3.1.1.4.3.0', '1.3.6.1.4.1.99.3'),
        ] + [(oid, text) for oid, _, _, _, text in reference.V1_VARBINDS]
        # The community is a secret: never copied into the varbinds.
        assert 'public' not in trap.varbinds.values()

    def test_reasons(self):
        credentials = communities((SOURCE[0], 'public'))
        assert rejection(b'\x30\x00', credentials) == Reason.UNDECODABLE
        assert rejection(b'GET / HTTP/1.1\r\n', credentials) == \
            Reason.UNDECODABLE
        assert rejection(v2c(), credentials, ('192.0.2.11', 162)) == \
            Reason.UNKNOWN_SOURCE
        assert rejection(v2c('private'), credentials) == Reason.BAD_COMMUNITY
        assert rejection(v2c(tag=ber.GET_REQUEST), credentials) == \
            Reason.PARSE_FAILED
        assert rejection(v2c(tag=ber.TRAP_V1), credentials) == \
            Reason.PARSE_FAILED
        no_trap_oid = v2c(varbinds=reference.ours(header())[:1])
        assert rejection(no_trap_oid, credentials) == Reason.PARSE_FAILED
        v1_with_v2_pdu = ber.encode_community_message(
            0, 'public', ber.encode_pdu(ber.TRAP_V2, 1, []))
        assert rejection(v1_with_v2_pdu, credentials) == Reason.PARSE_FAILED
        bad_generic = reference.v1_message('public', '1.3.6.1.4.1.99.3',
                                           '10.9.8.7', 7, 0, 1, [])
        assert rejection(bad_generic, credentials) == Reason.PARSE_FAILED
        # Framing and community fine, a varbind value broken.
        bad_value = ber.encode_tlv(ber.SEQUENCE, ber.encode_oid(
            '1.3.6.1.4.1.99.5') + b'\x06\x02\x2b\x80')
        broken = ber.encode_community_message(1, 'public', ber.encode_tlv(
            ber.TRAP_V2, ber.encode_integer(1) + ber.encode_integer(0)
            + ber.encode_integer(0) + ber.encode_tlv(
                ber.SEQUENCE, ber.encode_varbinds(
                    reference.ours(header()))[2:] + bad_value)))
        assert rejection(broken, credentials) == Reason.UNDECODABLE

    def test_owners_of_every_matching_entry(self):
        credentials = communities((SOURCE[0], 'public', 'a'),
                                  (SOURCE[0], 'public', 'b'),
                                  (SOURCE[0], 'other', 'c'),
                                  ('192.0.2.99', 'public', 'd'))
        assert decode_trap(v2c(), SOURCE, credentials).owners == ('a', 'b')
        assert decode_trap(v2c('other'), SOURCE, credentials).owners == \
            ('c',)

    def test_source_addresses_are_matched_exactly(self):
        # Delfin matched hosts by substring; 192.0.2.1 must not admit
        # 192.0.2.10.
        credentials = communities(('192.0.2.1', 'public'))
        assert rejection(v2c(), credentials) == Reason.UNKNOWN_SOURCE

    def test_ipv4_mapped_and_ipv6_sources(self):
        credentials = communities(('192.0.2.10', 'public', 'v4'),
                                  ('2001:DB8:0::0:1', 'public', 'v6'))
        trap = decode_trap(v2c(), ('::ffff:192.0.2.10', 162, 0, 0),
                           credentials)
        assert (trap.source_ip, trap.owners) == ('192.0.2.10', ('v4',))
        trap = decode_trap(v2c(), ('2001:db8::1', 162, 0, 0), credentials)
        assert trap.owners == ('v6',)

    def test_normalize_host(self):
        assert normalize_host(' 10.0.0.1 ') == '10.0.0.1'
        assert normalize_host('[2001:DB8::0:1]') == '2001:db8::1'
        assert normalize_host('::ffff:10.0.0.1') == '10.0.0.1'
        with pytest.raises(ValueError):
            normalize_host('array.example.com')


def v3_matrix():
    return {(user.auth_protocol, user.priv_protocol): (user, data)
            for user, data in reference.v3_matrix()}


class TestV3Traps:

    @pytest.mark.parametrize('auth, priv', reference.V3_PROTOCOLS)
    def test_pysnmp_traps(self, auth, priv):
        user, data = v3_matrix()[(auth, priv)]
        credentials = Credentials(
            users=[UserEntry(user, (SOURCE[0],), 'storage-3')])
        trap = decode_trap(data, SOURCE, credentials, usm.EngineTimes())
        assert trap.version == 'v3'
        assert trap.user == user.name
        assert trap.engine_id == reference.ENGINE_ID.hex()
        assert trap.security_level == user.security_level
        assert trap.owners == ('storage-3',)
        assert trap.trap_oid == '1.3.6.1.6.3.1.1.5.3'
        assert trap.varbinds['1.3.6.1.4.1.99.2.1'] == 'fan 2 stopped'
        assert trap.community is None

    def _authpriv(self):
        return v3_matrix()[('hmcsha2256', 'aes256')]

    def test_unknown_user_or_engine(self):
        user, data = self._authpriv()
        other_engine = usm.UsmUser(user.name, 'hmcsha2256',
                                   user.auth_password, 'aes256',
                                   user.priv_password, ENGINE)
        assert rejection(data, Credentials(users=[other_engine])) == \
            Reason.AUTH_FAILED
        other_name = usm.UsmUser('someone', 'hmcsha2256', user.auth_password,
                                 'aes256', user.priv_password,
                                 reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[other_name])) == \
            Reason.AUTH_FAILED
        assert rejection(data, Credentials()) == Reason.AUTH_FAILED

    def test_wrong_keys(self):
        user, data = self._authpriv()
        wrong_auth = usm.UsmUser(user.name, 'hmcsha2256', 'wrong-auth-key',
                                 'aes256', user.priv_password,
                                 reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[wrong_auth])) == \
            Reason.AUTH_FAILED
        wrong_priv = usm.UsmUser(user.name, 'hmcsha2256', user.auth_password,
                                 'aes256', 'wrong-priv-key',
                                 reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[wrong_priv])) == \
            Reason.DECRYPT_FAILED
        wrong_cipher = usm.UsmUser(user.name, 'hmcsha2256',
                                   user.auth_password, 'aes',
                                   user.priv_password, reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[wrong_cipher])) == \
            Reason.DECRYPT_FAILED

    def test_security_level_must_be_the_users(self):
        user, data = v3_matrix()[('hmacsha', None)]
        wants_priv = usm.UsmUser(user.name, 'hmacsha', user.auth_password,
                                 'aes', 'priv-passphrase',
                                 reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[wants_priv])) == \
            Reason.AUTH_FAILED
        user, data = v3_matrix()[(None, None)]
        wants_auth = usm.UsmUser(user.name, 'hmacsha', 'auth-passphrase',
                                 engine_id=reference.ENGINE_ID)
        assert rejection(data, Credentials(users=[wants_auth])) == \
            Reason.AUTH_FAILED

    def test_users_bound_to_hosts(self):
        user, data = self._authpriv()
        credentials = Credentials(users=[UserEntry(user, ('192.0.2.77',))])
        assert rejection(data, credentials) == Reason.UNKNOWN_SOURCE

    def test_user_without_engine_id_accepts_any_engine(self):
        user, data = self._authpriv()
        anywhere = usm.UsmUser(user.name, 'hmcsha2256', user.auth_password,
                               'aes256', user.priv_password)
        trap = decode_trap(data, SOURCE, Credentials(users=[anywhere]))
        assert trap.engine_id == reference.ENGINE_ID.hex()

    def test_several_owners_behind_one_host(self):
        user, data = self._authpriv()
        twin = usm.UsmUser(user.name, 'hmcsha2256', user.auth_password,
                           'aes256', user.priv_password, reference.ENGINE_ID)
        stranger = usm.UsmUser(user.name, 'hmcsha2256', 'another-secret',
                               'aes256', user.priv_password,
                               reference.ENGINE_ID)
        credentials = Credentials(users=[
            UserEntry(stranger, (SOURCE[0],), 'x'),
            UserEntry(user, (SOURCE[0],), 'a'),
            UserEntry(twin, None, 'b'),
            UserEntry(twin, ('192.0.2.200',), 'c')])
        assert decode_trap(data, SOURCE, credentials).owners == ('a', 'b')

    def test_replays_outside_the_time_window(self):
        user = usm.UsmUser('replayed', 'hmacsha', 'auth-passphrase', 'aes',
                           'priv-passphrase', ENGINE)
        pdu = ber.encode_pdu(ber.TRAP_V2, 1, reference.ours(header()))
        early = usm.encode_message(user, ENGINE, 3, 1000, pdu)
        late = usm.encode_message(user, ENGINE, 3, 2000, pdu)
        credentials = Credentials(users=[user])
        times = usm.EngineTimes()
        decode_trap(late, SOURCE, credentials, times)
        assert rejection(early, credentials, engine_times=times) == \
            Reason.AUTH_FAILED
        lenient = Credentials(users=[user], check_time_window=False)
        assert decode_trap(early, SOURCE, lenient, times).version == 'v3'
        # Unauthenticated messages never touch the table.
        forged = bytearray(early)
        forged[-1] ^= 0xFF
        assert rejection(bytes(forged), credentials, engine_times=times) == \
            Reason.AUTH_FAILED

    def test_not_a_notification(self):
        user = usm.UsmUser('u', 'hmacsha', 'auth-passphrase', engine_id=ENGINE)
        data = usm.encode_message(user, ENGINE, 1, 1, ber.encode_pdu(
            ber.GET_REQUEST, 1, [('1.3.6.1.2.1.1.1.0', ber.NULL, None)]))
        assert rejection(data, Credentials(users=[user])) == \
            Reason.PARSE_FAILED


class TestRobustness:

    def test_mutations_only_ever_reject(self):
        credentials = Credentials(
            [CommunityEntry(SOURCE[0], 'public')],
            [user for user, _ in reference.v3_matrix()])
        seeds = [v2c(), reference.v1_message(
            'public', '1.3.6.1.4.1.99.3', '10.9.8.7', 6, 1, 1,
            reference.V1_VARBINDS)]
        seeds += [data for _, data in reference.v3_matrix()]
        rng = random.Random(1234)
        reasons = set()
        for i in range(3000):
            data = bytearray(seeds[i % len(seeds)])
            for _ in range(rng.randint(1, 3)):
                position = rng.randrange(len(data))
                if rng.random() < 0.7:
                    data[position] = rng.randrange(256)
                else:
                    del data[position:]
                    if not data:
                        break
            try:
                decode_trap(bytes(data), SOURCE, credentials,
                            usm.EngineTimes())
            except TrapRejected as exc:
                assert exc.reason in Reason.ALL
                reasons.add(exc.reason)
        assert {Reason.UNDECODABLE, Reason.AUTH_FAILED,
                Reason.BAD_COMMUNITY} <= reasons

    def test_trap_pickles(self):
        trap = decode_trap(v2c(), SOURCE, communities((SOURCE[0], 'public',
                                                       ('s', 1))))
        assert pickle.loads(pickle.dumps(trap)) == trap
        assert isinstance(trap, Trap)

    def test_security_levels_are_the_api_vocabulary(self):
        assert {usm.UsmUser('u').security_level,
                usm.UsmUser('u', 'hmacmd5', 'auth-passphrase').security_level,
                usm.UsmUser('u', 'hmacmd5', 'auth-passphrase', 'des',
                            'priv-passphrase').security_level} == set(
            SecurityLevel.ALL)
