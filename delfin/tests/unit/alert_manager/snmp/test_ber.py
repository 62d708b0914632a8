"""The BER codec against pysnmp's encodings and against hostile input."""
import random

import pytest

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.tests.unit.alert_manager.snmp import reference

TRAP_OID = '1.3.6.1.4.1.99.0.7'
HEADER = [('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, 4711, None, '4711'),
          ('1.3.6.1.6.3.1.1.4.1.0', ber.OBJECT_IDENTIFIER, TRAP_OID, None,
           TRAP_OID)]


def _v2c_varbinds():
    from pysnmp.proto import rfc1902
    header = [
        (HEADER[0][0], HEADER[0][1], HEADER[0][2],
         rfc1902.TimeTicks(4711), HEADER[0][4]),
        (HEADER[1][0], HEADER[1][1], HEADER[1][2],
         rfc1902.ObjectIdentifier(TRAP_OID), HEADER[1][4]),
    ]
    return header + reference.VARBINDS


def decode_all(data):
    """Decode a whole message the way the trap decoder does."""
    msg = ber.decode_message(data)
    if isinstance(msg, ber.CommunityMessage):
        if msg.pdu_tag == ber.TRAP_V1:
            return ber.decode_trap_v1(data, msg.pdu_start, msg.pdu_end)
        return ber.decode_pdu(data, msg.pdu_tag, msg.pdu_start, msg.pdu_end)
    if msg.encrypted:
        return msg
    scoped = ber.decode_scoped_pdu(data, msg.data_start, msg.data_end)
    return ber.decode_pdu(data, scoped.pdu_tag, scoped.pdu_start,
                          scoped.pdu_end)


def v2c_trap(varbinds=None, community='public', request_id=99):
    if varbinds is None:
        varbinds = [(oid, tag, value) for oid, tag, value, _, _ in HEADER]
    return ber.encode_community_message(
        1, community, ber.encode_pdu(ber.TRAP_V2, request_id, varbinds))


def with_value(tag, content):
    """A v2c trap whose third varbind has a raw, hand-made value."""
    vb = ber.encode_tlv(ber.SEQUENCE, ber.encode_oid('1.3.6.1.4.1.99.5')
                        + bytes((tag,)) + ber.encode_length(len(content))
                        + content)
    return _trap_with_raw_varbind(vb)


def _trap_with_raw_varbind(raw_varbind):
    header = b''.join(
        ber.encode_tlv(ber.SEQUENCE, ber.encode_oid(oid)
                       + ber.encode_value(tag, value))
        for oid, tag, value, _, _ in HEADER)
    pdu = ber.encode_tlv(
        ber.TRAP_V2, ber.encode_integer(1) + ber.encode_integer(0)
        + ber.encode_integer(0)
        + ber.encode_tlv(ber.SEQUENCE, header + raw_varbind))
    return ber.encode_community_message(1, 'public', pdu)


class TestAgainstPysnmp:

    def test_v2c_trap_with_every_value_type(self):
        varbinds = _v2c_varbinds()
        data = reference.v2c_message('public', 4242, varbinds)
        msg = ber.decode_message(data)
        assert (msg.version, msg.community, msg.pdu_tag) == (
            1, b'public', ber.TRAP_V2)
        pdu = ber.decode_pdu(data, msg.pdu_tag, msg.pdu_start, msg.pdu_end)
        assert pdu.request_id == 4242
        assert (pdu.error_status, pdu.error_index) == (0, 0)
        assert [(oid, tag, text) for oid, tag, text in pdu.varbinds] == [
            (oid, tag, text) for oid, tag, _, _, text in varbinds]

    def test_inform(self):
        data = reference.v2c_message('c', 7, _v2c_varbinds()[:2],
                                     inform=True)
        msg = ber.decode_message(data)
        assert msg.pdu_tag == ber.INFORM_REQUEST
        assert ber.decode_pdu(data, msg.pdu_tag, msg.pdu_start,
                              msg.pdu_end).request_id == 7

    def test_v1_trap(self):
        data = reference.v1_message('private', '1.3.6.1.4.1.99.3',
                                    '10.20.30.40', 6, 17, 123456,
                                    reference.V1_VARBINDS)
        msg = ber.decode_message(data)
        assert (msg.version, msg.community, msg.pdu_tag) == (
            0, b'private', ber.TRAP_V1)
        pdu = ber.decode_trap_v1(data, msg.pdu_start, msg.pdu_end)
        assert pdu.enterprise == '1.3.6.1.4.1.99.3'
        assert pdu.agent_addr == '10.20.30.40'
        assert (pdu.generic_trap, pdu.specific_trap, pdu.timestamp) == (
            6, 17, 123456)
        assert {oid: text for oid, _, text in pdu.varbinds} == \
            reference.texts(reference.V1_VARBINDS)

    def test_encoder_produces_pysnmp_bytes(self):
        varbinds = _v2c_varbinds()
        ours = reference.ours(varbinds)
        assert v2c_trap(ours, 'public', 4242) == reference.v2c_message(
            'public', 4242, varbinds)
        assert ber.encode_community_message(
            1, 'c', ber.encode_pdu(ber.INFORM_REQUEST, 7, ours[:2])) == \
            reference.v2c_message('c', 7, varbinds[:2], inform=True)
        v1 = ber.encode_community_message(0, 'private', ber.encode_trap_v1(
            '1.3.6.1.4.1.99.3', '10.20.30.40', 6, 17, 123456,
            reference.ours(reference.V1_VARBINDS)))
        assert v1 == reference.v1_message(
            'private', '1.3.6.1.4.1.99.3', '10.20.30.40', 6, 17, 123456,
            reference.V1_VARBINDS)


class TestV3Framing:

    def test_plaintext_message(self):
        user = usm.UsmUser('alice')
        pdu = ber.encode_pdu(ber.TRAP_V2, 5, reference.ours(HEADER))
        data = usm.encode_message(user, b'\x80\x00\x01\x02\x03', 3, 1000,
                                  pdu, context_name=b'ctx', msg_id=77)
        msg = ber.decode_message(data)
        assert msg.msg_id == 77
        assert msg.flags == 0 and not msg.encrypted
        assert (msg.engine_id, msg.engine_boots, msg.engine_time) == (
            b'\x80\x00\x01\x02\x03', 3, 1000)
        assert msg.user == b'alice'
        scoped = ber.decode_scoped_pdu(data, msg.data_start, msg.data_end)
        assert scoped.context_engine_id == b'\x80\x00\x01\x02\x03'
        assert scoped.context_name == b'ctx'
        assert decode_all(data).varbinds[1][2] == TRAP_OID

    def test_authenticated_message_locates_the_digest(self):
        user = usm.UsmUser('bob', 'hmacsha', 'auth-pass-1')
        pdu = ber.encode_pdu(ber.TRAP_V2, 5, reference.ours(HEADER))
        data = usm.encode_message(user, b'\x80\x00\x01\x02\x03', 1, 2, pdu)
        msg = ber.decode_message(data)
        assert msg.flags == ber.FLAG_AUTH
        assert data[msg.auth_offset:msg.auth_offset + 12] == msg.auth_params

    @pytest.mark.parametrize('change, error', [
        ({'flags': ber.FLAG_PRIV}, 'privacy without authentication'),
        ({'model': 2}, 'security model'),
        ({'flags_octets': b'\x00\x00'}, 'msgFlags'),
        ({'user': b'u' * 33}, 'msgUserName'),
        ({'max_size': 100}, 'msgMaxSize'),
        ({'boots': -1}, 'negative'),
    ])
    def test_invalid_headers(self, change, error):
        flags_octets = change.get('flags_octets',
                                  bytes((change.get('flags', 0),)))
        usm_params = ber.encode_tlv(ber.SEQUENCE, b''.join([
            ber.encode_tlv(ber.OCTET_STRING, b'\x80\x00\x00\x01\x01'),
            ber.encode_integer(change.get('boots', 1)),
            ber.encode_integer(1),
            ber.encode_tlv(ber.OCTET_STRING, change.get('user', b'u')),
            ber.encode_tlv(ber.OCTET_STRING, b''),
            ber.encode_tlv(ber.OCTET_STRING, b'')]))
        header = ber.encode_tlv(ber.SEQUENCE, ber.encode_integer(1)
                                + ber.encode_integer(
                                    change.get('max_size', 65507))
                                + ber.encode_tlv(ber.OCTET_STRING,
                                                 flags_octets)
                                + ber.encode_integer(change.get('model', 3)))
        scoped = ber.encode_scoped_pdu(b'', b'', ber.encode_pdu(
            ber.TRAP_V2, 1, reference.ours(HEADER)))
        data = ber.encode_tlv(ber.SEQUENCE, ber.encode_integer(3) + header
                              + ber.encode_tlv(ber.OCTET_STRING, usm_params)
                              + scoped)
        with pytest.raises(ber.DecodeError, match=error):
            ber.decode_message(data)


class TestValues:

    def test_long_form_lengths_of_small_values_are_accepted(self):
        data = v2c_trap()
        assert data[1] < 0x80
        long_form = b'\x30\x81' + data[1:]
        assert decode_all(long_form).varbinds == decode_all(data).varbinds

    def test_counter_with_sign_bit_but_no_zero_octet_reads_unsigned(self):
        data = with_value(ber.COUNTER32, b'\xff\xff\xff\xfe')
        assert decode_all(data).varbinds[2][2] == str(0xFFFFFFFE)

    def test_opaque_contents_stay_opaque(self):
        nested = b'\x30\x80' * 50
        data = with_value(ber.OPAQUE, nested)
        assert decode_all(data).varbinds[2][2] == '0x' + nested.hex()

    def test_oid_first_arcs(self):
        for oid in ('0.0', '0.39', '1.0', '1.39', '2.0', '2.40', '2.999.1'):
            data = with_value(ber.OBJECT_IDENTIFIER,
                              ber.encode_oid(oid)[2:])
            assert decode_all(data).varbinds[2][2] == oid

    @pytest.mark.parametrize('tag, content, error', [
        (ber.INTEGER, b'', 'empty'),
        (ber.INTEGER, b'\x01\x00\x00\x00\x00', 'INTEGER of 5 octets'),
        (ber.COUNTER32, b'\x01\x00\x00\x00\x00', 'wider than 32'),
        (ber.COUNTER64, b'\x01' + bytes(8), 'wider than 64'),
        (ber.TIMETICKS, b'', 'empty'),
        (ber.NULL, b'\x00', 'with content'),
        (ber.NO_SUCH_OBJECT, b'\x00', 'with content'),
        (ber.IP_ADDRESS, b'\x0a\x00\x00', 'IpAddress of 3'),
        (ber.IP_ADDRESS, bytes(16), 'IpAddress of 16'),
        (0x24, b'\x04\x01a', 'unsupported value type 0x24'),
        (ber.SEQUENCE, b'', 'unsupported value type 0x30'),
        (0x47, b'\x01', 'unsupported value type 0x47'),
        (ber.OBJECT_IDENTIFIER, b'', 'empty OBJECT IDENTIFIER'),
        (ber.OBJECT_IDENTIFIER, b'\x2b\x80\x01', 'padded'),
        (ber.OBJECT_IDENTIFIER, b'\x2b\x86', 'ends inside'),
        (ber.OBJECT_IDENTIFIER, b'\x2b\x90\x80\x80\x80\x00', 'too big'),
        (ber.OBJECT_IDENTIFIER, b'\x2b' + b'\x01' * 128, 'more than 128'),
        (ber.OBJECT_IDENTIFIER, b'\x2b' + b'\x01' * 700, 'octets'),
    ])
    def test_invalid_values(self, tag, content, error):
        with pytest.raises(ber.DecodeError, match=error):
            decode_all(with_value(tag, content))

    def test_largest_arc_is_accepted(self):
        data = with_value(ber.OBJECT_IDENTIFIER, b'\x2b\x8f\xff\xff\xff\x7f')
        assert decode_all(data).varbinds[2][2] == '1.3.4294967295'


class TestHostileFraming:

    @pytest.mark.parametrize('data, error', [
        (b'', 'truncated'),
        (b'\x30', 'truncated'),
        (b'\x30\x80\x02\x01\x01\x00\x00', 'indefinite length'),
        (b'\x30\x84\xff\xff\xff\xff\x02\x01\x01', 'overruns'),
        (b'\x30\x85\x00\x00\x00\x00\x03\x02\x01\x01', 'length of 5 octets'),
        (b'\x30\x03\x02\x01\x02', 'unsupported SNMP version 2'),
        (b'\x04\x03\x02\x01\x01', 'not a SEQUENCE'),
        (b'\x30\x03\x04\x01\x01', 'msgVersion'),
    ])
    def test_rejected(self, data, error):
        with pytest.raises(ber.DecodeError, match=error):
            decode_all(data)

    def test_every_truncation_is_rejected(self):
        data = reference.v2c_message('public', 4242, _v2c_varbinds())
        for size in range(len(data)):
            with pytest.raises(ber.DecodeError):
                decode_all(data[:size])

    def test_trailing_bytes_are_rejected(self):
        data = v2c_trap()
        with pytest.raises(ber.DecodeError, match='bytes after'):
            decode_all(data + b'\x00')
        # Also inside: a varbind list followed by a stray element.
        inner = ber.encode_community_message(
            1, 'public', ber.encode_tlv(
                ber.TRAP_V2, ber.encode_integer(1) + ber.encode_integer(0)
                + ber.encode_integer(0)
                + ber.encode_varbinds(reference.ours(HEADER))
                + ber.encode_integer(5)))
        with pytest.raises(ber.DecodeError, match='bytes after'):
            decode_all(inner)

    def test_deep_nesting_is_rejected_without_recursion(self):
        depth = 20000
        nested = b''
        for _ in range(depth):
            nested = b'\x30' + ber.encode_length(len(nested)) + nested
            if len(nested) > 60000:
                break
        with pytest.raises(ber.DecodeError):
            decode_all(nested)
        # The same nesting as a varbind value.
        with pytest.raises(ber.DecodeError, match='unsupported value type'):
            decode_all(with_value(ber.SEQUENCE, nested[:1000]))

    def test_huge_declared_lengths_allocate_nothing(self):
        # A 4 GiB OCTET STRING announced in a 20-byte datagram.
        data = ber.encode_tlv(
            ber.SEQUENCE, b'\x02\x01\x01\x04\x84\xff\xff\xff\xff'
            + b'public' + b'\xa7\x00')
        with pytest.raises(ber.DecodeError, match='overruns'):
            decode_all(data)


class TestFuzz:
    """Random and mutated datagrams: DecodeError is the only failure."""

    @staticmethod
    def _seeds():
        varbinds = _v2c_varbinds()
        seeds = [
            reference.v2c_message('public', 4242, varbinds),
            reference.v2c_message('public', 1, varbinds[:3], inform=True),
            reference.v1_message('public', '1.3.6.1.4.1.99.3', '10.0.0.1',
                                 6, 17, 5, reference.V1_VARBINDS),
        ]
        pdu = ber.encode_pdu(ber.TRAP_V2, 5, reference.ours(HEADER))
        for user in (usm.UsmUser('u'),
                     usm.UsmUser('u', 'hmacsha', 'auth-pass-1', 'aes',
                                 'priv-pass-1')):
            seeds.append(usm.encode_message(user, b'\x80\x00\x00\x00\x01',
                                            1, 1, pdu))
        return seeds

    @staticmethod
    def _mutate(rng, data):
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            choice = rng.random()
            position = rng.randrange(len(data) + 1)
            if choice < 0.4 and data:
                data[min(position, len(data) - 1)] = rng.randrange(256)
            elif choice < 0.6:
                data.insert(position, rng.randrange(256))
            elif choice < 0.8 and data:
                del data[min(position, len(data) - 1)]
            elif choice < 0.9:
                del data[position:]
            else:
                data[position:position] = bytes(
                    rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        return bytes(data)

    def test_mutated_messages(self):
        rng = random.Random(20240229)
        seeds = self._seeds()
        outcomes = {'decoded': 0, 'rejected': 0}
        for i in range(6000):
            data = self._mutate(rng, seeds[i % len(seeds)])
            try:
                decode_all(data)
                outcomes['decoded'] += 1
            except ber.DecodeError:
                outcomes['rejected'] += 1
        # Both outcomes occur: mutations that keep the message valid and
        # ones that break it.
        assert outcomes['decoded'] and outcomes['rejected']

    def test_random_bytes(self):
        rng = random.Random(7)
        for i in range(4000):
            size = rng.choice((0, 1, 2, 3, 10, 50, 200, 1500))
            data = bytes(rng.randrange(256) for _ in range(size))
            if i % 2:
                # Start like an SNMP message to get past the first checks.
                data = b'\x30' + ber.encode_length(size + 3) \
                    + b'\x02\x01' + bytes((rng.choice((0, 1, 3)),)) + data
            with pytest.raises(ber.DecodeError):
                decode_all(data)


class TestOidCache:

    def test_bounded(self):
        for i in range(ber._OID_CACHE_MAX + 100):
            data = with_value(ber.OBJECT_IDENTIFIER,
                              ber.encode_oid('1.3.6.1.4.1.%d' % i)[2:])
            assert decode_all(data).varbinds[2][2] == '1.3.6.1.4.1.%d' % i
            assert len(ber._OID_CACHE) <= ber._OID_CACHE_MAX
        long_oid = '1.3' + '.4294967295' * 100
        encoded = ber.encode_oid(long_oid)
        _, start, stop = ber._tlv(encoded, 0, len(encoded))
        data = with_value(ber.OBJECT_IDENTIFIER, encoded[start:stop])
        assert decode_all(data).varbinds[2][2] == long_oid
        assert not any(len(raw) > 64 for raw in ber._OID_CACHE)

    def test_prefix_path_agrees_with_full_decoding(self):
        # OIDs sharing a prefix (the prefix is then cached) and malformed
        # encodings: both paths give the same text or the same refusal.
        rng = random.Random(7)
        cases = [ber.encode_oid(oid)[2:] for oid in (
            '1.3.6.1.4.1.32473.1.100', '1.3.6.1.4.1.32473.1.4294967295',
            '1.3.6.1.4.1.32473.1.0', '2.999.1', '0.0', '1.3')]
        prefix = ber.encode_oid('1.3.6.1.4.1.32473.1')[2:]
        for _ in range(300):
            arc = rng.choice((0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1))
            cases.append(ber.encode_oid('1.3.6.1.4.1.32473.1.%d' % arc)[2:])
        cases += [prefix + b'\x80\x01',              # padded last arc
                  prefix + b'\x81',                  # ends mid-arc
                  prefix + b'\x90\x80\x80\x80\x00',  # last arc too big
                  b'\x2b' + b'\x01' * 126,            # 128 arcs
                  b'\x2b' + b'\x01' * 125]            # 127 arcs
        for raw in cases:
            ber._OID_CACHE.clear()
            try:
                expected = ber._oid_text(raw)
            except ber.DecodeError:
                expected = ber.DecodeError
            for _ in range(2):   # the second time the prefix is cached
                ber._OID_CACHE.clear()
                try:
                    got = ber._oid(raw, 0, len(raw))
                except ber.DecodeError:
                    got = ber.DecodeError
                assert got == expected, raw


class TestVarbindCache:

    def test_bounded(self):
        rng = random.Random(3)
        for i in range(ber._VARBIND_CACHE_MAX + 100):
            oid = '1.3.6.1.4.1.99.%d' % i
            text = 'x' * rng.choice((0, 10, 100, 110, 200)) + str(i)
            data = v2c_trap([('1.3.6.1.2.1.1.3.0', ber.TIMETICKS, i),
                             (oid, ber.OCTET_STRING, text),
                             (oid + '.1', ber.INTEGER, 1000 + i)])
            varbinds = decode_all(data).varbinds
            assert varbinds[1] == (oid, ber.OCTET_STRING, text)
            assert varbinds[2] == (oid + '.1', ber.INTEGER, str(1000 + i))
            for cache in (ber._VARBIND_CACHE, ber._VARBIND_HEAD_CACHE):
                assert len(cache) <= ber._VARBIND_CACHE_MAX
        for cache in (ber._VARBIND_CACHE, ber._VARBIND_HEAD_CACHE):
            assert cache
            assert all(len(raw) <= 129 for raw in cache)

    def test_cached_varbind_past_the_list_is_refused(self):
        # A varbind seen before whose bytes run past the end of its list
        # (into what follows the PDU, cipher padding for instance) is not
        # taken from the cache.
        vb = ber.encode_tlv(ber.SEQUENCE, ber.encode_oid('1.3.6.1.4.1.99.5')
                            + ber.encode_value(ber.OCTET_STRING, 'abc'))
        decode_all(_trap_with_raw_varbind(vb))
        assert vb in ber._VARBIND_CACHE
        content = (ber.encode_integer(1) + ber.encode_integer(0)
                   + ber.encode_integer(0) + bytes((ber.SEQUENCE, len(vb) - 1))
                   + vb)
        with pytest.raises(ber.DecodeError, match='overruns the list'):
            ber.decode_pdu(content, ber.TRAP_V2, 0, len(content) - 1)
