"""SNMPv3 USM: keys, authentication, privacy and timeliness."""
import pickle

import pytest
from pysnmp.entity import config as pysnmp_config
from pysnmp.proto import rfc1902

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.tests.unit.alert_manager.snmp import reference

ENGINE = bytes.fromhex('8000000001020304')
HEADER = [('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, 1),
          ('1.3.6.1.6.3.1.1.4.1.0', ber.OBJECT_IDENTIFIER,
           '1.3.6.1.6.3.1.1.5.1')]


def open_message(user, data):
    """Authenticate and decrypt ``data``; return the decoded PDU."""
    msg = ber.decode_message(data)
    keys = user.keys(msg.engine_id)
    if user.auth_protocol:
        usm.authenticate(user, keys, msg, data)
    if msg.encrypted:
        plaintext = usm.decrypt(user, keys, msg, data)
        scoped = ber.decode_decrypted_scoped_pdu(plaintext)
        return ber.decode_pdu(plaintext, scoped.pdu_tag, scoped.pdu_start,
                              scoped.pdu_end)
    scoped = ber.decode_scoped_pdu(data, msg.data_start, msg.data_end)
    return ber.decode_pdu(data, scoped.pdu_tag, scoped.pdu_start,
                          scoped.pdu_end)


class TestKeys:

    # RFC 3414 A.3.1 and A.3.2: passphrase "maplesyrup", engine id
    # 00000000 00000000 00000002.
    @pytest.mark.parametrize('hash_name, ku, kul', [
        ('md5', '9faf3283884e92834ebc9847d8edd963',
         '526f5eed9fcce26f8964c2930787d82b'),
        ('sha1', '9fb5cc0381497b3793528939ff788d5d79145211',
         '6695febc9288e36282235fc7151f128497b38f3f'),
    ])
    def test_rfc3414_vectors(self, hash_name, ku, kul):
        engine = bytes.fromhex('000000000000000000000002')
        master = usm.password_to_key('maplesyrup', hash_name)
        assert master.hex() == ku
        assert usm.localize_key(master, engine, hash_name).hex() == kul

    @pytest.mark.parametrize('auth', sorted(usm.AUTH_PROTOCOLS))
    def test_auth_keys_match_pysnmp(self, auth):
        protocol = reference.PYSNMP_AUTH[auth]
        service = pysnmp_config.AUTH_SERVICES[protocol]
        master = service.hash_passphrase(rfc1902.OctetString('a-passphrase'))
        local = service.localize_key(master, rfc1902.OctetString(ENGINE))
        user = usm.UsmUser('u', auth, 'a-passphrase', engine_id=ENGINE)
        assert user.keys(ENGINE).auth == bytes(local)

    @pytest.mark.parametrize('auth, priv', [
        (auth, priv) for auth in ('hmacmd5', 'hmacsha', 'hmcsha2224',
                                  'hmcsha2512')
        for priv in sorted(usm.PRIV_PROTOCOLS)])
    def test_priv_keys_match_pysnmp(self, auth, priv):
        service = pysnmp_config.PRIV_SERVICES[reference.PYSNMP_PRIV[priv]]
        auth_id = reference.PYSNMP_AUTH[auth]
        master = service.hash_passphrase(auth_id,
                                         rfc1902.OctetString('p-passphrase'))
        local = bytes(service.localize_key(auth_id, master,
                                           rfc1902.OctetString(ENGINE)))
        user = usm.UsmUser('u', auth, 'a-passphrase', priv, 'p-passphrase')
        key = user.keys(ENGINE).priv
        assert len(key) == usm.PRIV_PROTOCOLS[priv][1]
        # pysnmp keeps the whole hash output where a cipher uses less.
        assert local[:len(key)] == key

    def test_blumenthal_and_reeder_extensions_differ(self):
        blumenthal = usm.localized_priv_key('aes256', 'sha1', 'p-passphrase',
                                            ENGINE)
        reeder = usm.localized_priv_key('aes256c', 'sha1', 'p-passphrase',
                                        ENGINE)
        assert blumenthal[:20] == reeder[:20]
        assert blumenthal[20:] != reeder[20:]

    def test_keys_are_cached_per_engine_id(self):
        user = usm.UsmUser('u', 'hmacsha', 'a-passphrase', 'aes',
                           'p-passphrase')
        first = user.keys(ENGINE)
        assert user.keys(ENGINE) is first
        other = user.keys(b'\x80\x00\x00\x00\x09')
        assert other.auth != first.auth and other.priv != first.priv

    def test_pickled_user_drops_cached_keys_and_still_works(self):
        user = usm.UsmUser('u', 'hmacsha', 'a-passphrase', 'aes',
                           'p-passphrase', ENGINE)
        keys = user.keys(ENGINE)
        copy = pickle.loads(pickle.dumps(user))
        assert copy._keys == {}
        assert copy.keys(ENGINE) == keys

    def test_secrets_are_not_in_repr(self):
        user = usm.UsmUser('u', 'hmacsha', 'a-passphrase', 'aes',
                           'p-passphrase', ENGINE)
        assert 'passphrase' not in repr(user)
        assert 'passphrase' not in repr(user.keys(ENGINE))

    @pytest.mark.parametrize('kwargs, error', [
        ({'auth_protocol': 'hmacsha', 'auth_password': 'short'},
         'at least 8'),
        ({'auth_protocol': 'hmacsha'}, 'at least 8'),
        ({'auth_protocol': 'sha'}, 'unknown authentication'),
        ({'priv_protocol': 'aes', 'priv_password': 'p-passphrase'},
         'privacy needs authentication'),
        ({'auth_protocol': 'hmacsha', 'auth_password': 'a-passphrase',
          'priv_protocol': 'aes512', 'priv_password': 'p-passphrase'},
         'unknown privacy'),
    ])
    def test_invalid_users(self, kwargs, error):
        with pytest.raises(ValueError, match=error):
            usm.UsmUser('u', **kwargs)


class TestPysnmpMessages:
    """Datagrams recorded from pysnmp's notification originator."""

    @pytest.mark.parametrize('index', range(len(reference.V3_PROTOCOLS)),
                             ids=['%s-%s' % p for p in reference.V3_PROTOCOLS])
    def test_every_protocol(self, index):
        user, data = reference.v3_matrix()[index]
        msg = ber.decode_message(data)
        assert msg.engine_id == reference.ENGINE_ID
        assert msg.encrypted == bool(user.priv_protocol)
        pdu = open_message(user, data)
        varbinds = {oid: text for oid, _, text in pdu.varbinds}
        assert varbinds['1.3.6.1.6.3.1.1.4.1.0'] == '1.3.6.1.6.3.1.1.5.3'
        assert varbinds['1.3.6.1.4.1.99.2.1'] == 'fan 2 stopped'
        assert varbinds['1.3.6.1.4.1.99.2.2'] == '3'

    def test_recording_is_what_pysnmp_sends_today(self):
        # One live exchange with the slowest derivation (Reeder extension)
        # keeps the recorded datagrams honest.
        user = reference.v3_user('hmacmd5', 'aes256c')
        data, = reference.v3_messages(reference.ENGINE_ID, [user],
                                      reference.V3_PAYLOAD)
        pdu = open_message(user, data)
        assert pdu.varbinds[2][2] == 'fan 2 stopped'

    def test_wrong_auth_passphrase_is_refused(self):
        user, data = dict(
            ((u.auth_protocol, u.priv_protocol), (u, d))
            for u, d in reference.v3_matrix())[('hmcsha2256', 'aes256')]
        impostor = usm.UsmUser(user.name, 'hmcsha2256', 'not-the-secret',
                               'aes256', user.priv_password, ENGINE)
        with pytest.raises(usm.AuthenticationError, match='wrong digest'):
            open_message(impostor, data)

    def test_wrong_priv_passphrase_yields_garbage(self):
        user, data = dict(
            ((u.auth_protocol, u.priv_protocol), (u, d))
            for u, d in reference.v3_matrix())[('hmacsha', 'aes')]
        impostor = usm.UsmUser(user.name, 'hmacsha', user.auth_password,
                               'aes', 'not-the-secret')
        with pytest.raises(ber.DecodeError):
            open_message(impostor, data)


class TestOwnMessages:

    @pytest.mark.parametrize('auth, priv', reference.V3_PROTOCOLS)
    def test_round_trip(self, auth, priv):
        user = reference.v3_user(auth, priv)
        pdu = ber.encode_pdu(ber.TRAP_V2, 12, HEADER)
        data = usm.encode_message(user, ENGINE, 5, 600, pdu)
        assert open_message(user, data).varbinds[1][2] == '1.3.6.1.6.3.1.1.5.1'

    def test_any_changed_octet_fails_authentication(self):
        user = usm.UsmUser('u', 'hmacsha', 'a-passphrase', 'des',
                           'p-passphrase')
        data = usm.encode_message(user, ENGINE, 5, 600,
                                  ber.encode_pdu(ber.TRAP_V2, 12, HEADER))
        checked = 0
        for position in range(len(data)):
            tampered = bytearray(data)
            tampered[position] ^= 0x01
            tampered = bytes(tampered)
            try:
                msg = ber.decode_message(tampered)
            except ber.DecodeError:
                continue
            with pytest.raises(usm.AuthenticationError):
                usm.authenticate(user, user.keys(msg.engine_id), msg,
                                 tampered)
            checked += 1
        assert checked > len(data) // 2

    def test_truncated_digest_is_refused(self):
        user = usm.UsmUser('u', 'hmcsha2512', 'a-passphrase')
        data = usm.encode_message(user, ENGINE, 5, 600,
                                  ber.encode_pdu(ber.TRAP_V2, 12, HEADER))
        msg = ber.decode_message(data)._replace(auth_params=b'\x00' * 12)
        with pytest.raises(usm.AuthenticationError, match='12 octets'):
            usm.authenticate(user, user.keys(ENGINE), msg, data)

    @pytest.mark.parametrize('priv', ['des', '3des'])
    def test_cbc_ciphertext_must_be_whole_blocks(self, priv):
        user = usm.UsmUser('u', 'hmacsha', 'a-passphrase', priv,
                           'p-passphrase')
        data = usm.encode_message(user, ENGINE, 5, 600,
                                  ber.encode_pdu(ber.TRAP_V2, 12, HEADER))
        msg = ber.decode_message(data)
        with pytest.raises(usm.DecryptionError, match='multiple of 8'):
            usm.decrypt(user, user.keys(ENGINE),
                        msg._replace(data_end=msg.data_end - 1), data)
        with pytest.raises(usm.DecryptionError, match='privacy parameters'):
            usm.decrypt(user, user.keys(ENGINE),
                        msg._replace(priv_params=b'\x00' * 7), data)


class TestEngineTimes:

    class Clock:
        now = 1000.0

        def __call__(self):
            return self.now

    def test_rules_of_rfc3414(self):
        clock = self.Clock()
        times = usm.EngineTimes(clock=clock)
        engine = b'\x80\x00\x00\x00\x01'
        assert times.accept(engine, 5, 1000)
        # Older within the window, newer, same: fine.
        assert times.accept(engine, 5, 851)
        assert times.accept(engine, 5, 1000)
        assert times.accept(engine, 5, 1100)
        # More than 150 s behind the latest time: a replay.
        assert not times.accept(engine, 5, 949)
        # A lower boot count: a replay.
        assert not times.accept(engine, 4, 5000)
        # The remembered time advances with the local clock.
        clock.now += 500
        assert not times.accept(engine, 5, 1400)
        assert times.accept(engine, 5, 1500)
        # A reboot resets time; afterwards the old epoch is gone.
        assert times.accept(engine, 6, 3)
        assert not times.accept(engine, 5, 99999)
        # Latched boots are never accepted.
        assert not times.accept(engine, 2147483647, 1)
        # Engines are independent.
        assert times.accept(b'\x80\x00\x00\x00\x02', 1, 1)

    def test_table_is_bounded(self):
        times = usm.EngineTimes(max_engines=10)
        for i in range(25):
            assert times.accept(b'engine-%d' % i, 1, 1)
        assert len(times._latest) <= 10
