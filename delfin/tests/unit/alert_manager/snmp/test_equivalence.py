"""The decoder agrees with its frozen reference on a large varied corpus.

`legacy_ber` and `legacy_decoder` are the decoder as it was before it was
tuned for speed.  Every datagram of the corpus (the recorded pysnmp
encodings, randomly generated valid traps of every value type with every
length form, and random corruptions of all of them) must give the same
result through both, down to the rejection reason and message, whether the
caches are cold or warm.
"""
import random

import pytest
from pysnmp.proto import rfc1902

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import decoder
from delfin.alert_manager.snmp import usm
from delfin.tests.unit.alert_manager.snmp import legacy_ber
from delfin.tests.unit.alert_manager.snmp import legacy_decoder
from delfin.tests.unit.alert_manager.snmp import reference

SOURCE = ('192.0.2.10', 40162)
OTHER_SOURCE = ('192.0.2.99', 40162)
COMMUNITY = b'public'
ENGINE = bytes.fromhex('8000000001020304')
NOAUTH = usm.UsmUser('plain', None, None, None, None, ENGINE)
AUTHPRIV = usm.UsmUser('secret', 'hmcsha2256', 'auth-secret-1',
                       'aes256', 'priv-secret-1', ENGINE)
UPTIME = '1.3.6.1.2.1.1.3.0'
TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0'


def credentials(module):
    users = [module.UserEntry(NOAUTH, (SOURCE[0],), 'plain-owner'),
             module.UserEntry(AUTHPRIV, None, 'secret-owner')]
    users += [module.UserEntry(user) for user, _ in V3_MATRIX]
    return module.Credentials(
        [module.CommunityEntry(SOURCE[0], 'public', 'owner-1'),
         module.CommunityEntry(SOURCE[0], 'public', 'owner-2'),
         module.CommunityEntry(SOURCE[0], 'other', 'owner-3')], users)


V3_MATRIX = reference.v3_matrix()


# --- A random encoder that uses every length form ---------------------------

def length_octets(rng, length):
    if length < 0x80 and rng.random() < 0.85:
        return bytes((length,))
    needed = max(1, (length.bit_length() + 7) // 8)
    count = needed + (rng.random() < 0.2) * rng.randint(1, 4 - needed) \
        if needed < 4 else needed
    return bytes((0x80 | count,)) + length.to_bytes(count, 'big')


def tlv(rng, tag, content):
    return bytes((tag,)) + length_octets(rng, len(content)) + content


def signed_octets(rng, value, pad=True):
    size = (value + (value < 0)).bit_length() // 8 + 1
    raw = value.to_bytes(size, 'big', signed=True)
    if pad and rng.random() < 0.1:
        raw = (b'\xff' if value < 0 else b'\x00') + raw
    return raw


def unsigned_octets(rng, value):
    size = max(1, (value.bit_length() + 7) // 8)
    raw = value.to_bytes(size, 'big')
    if raw[0] & 0x80 and rng.random() < 0.7:
        raw = b'\x00' + raw     # the canonical form; without it, net-snmp's
    elif rng.random() < 0.1:
        raw = b'\x00' + raw
    return raw


def integer(rng, value):
    return tlv(rng, ber.INTEGER, signed_octets(rng, value))


def arc_octets(arc, pad=False):
    chunk = [arc & 0x7F]
    arc >>= 7
    while arc:
        chunk.append(0x80 | (arc & 0x7F))
        arc >>= 7
    if pad:
        chunk.append(0x80)
    return bytes(reversed(chunk))


def random_arc(rng):
    kind = rng.random()
    if kind < 0.6:
        return rng.randint(0, 127)
    if kind < 0.85:
        return rng.randint(128, 70000)
    if kind < 0.97:
        return rng.randint(0, 0xFFFFFFFF)
    return rng.choice((0xFFFFFFFF, 0x100000000, 2 ** 40))


def oid_content(rng, arcs=None):
    if arcs is None:
        first = rng.choice((0, 1, 2, 2))
        second = rng.randint(0, 39) if first < 2 else random_arc(rng)
        count = rng.choice((0, 1, 3, 6, 8, 10, 12, 14, 20, 40, 126, 127,
                            128, 130))
        arcs = [first * 40 + second]
        arcs += [random_arc(rng) for _ in range(count)]
    pad = rng.random() < 0.02
    where = rng.randrange(len(arcs))
    return b''.join(arc_octets(arc, pad and i == where)
                    for i, arc in enumerate(arcs))


COMMON_OIDS = ['1.3.6.1.4.1.99.2.1', '1.3.6.1.4.1.99.2.2',
               '1.3.6.1.4.1.99999.1.2.1.5', '1.3.6.1.2.1.2.2.1.1.3',
               UPTIME, TRAP_OID]


def oid_of(text):
    arcs = [int(arc) for arc in text.split('.')]
    return [arcs[0] * 40 + arcs[1]] + arcs[2:]


def random_oid(rng):
    if rng.random() < 0.5:
        arcs = oid_of(rng.choice(COMMON_OIDS))
        if rng.random() < 0.5:
            arcs = arcs + [random_arc(rng)]
        return oid_content(rng, arcs)
    return oid_content(rng)


def random_text(rng):
    kind = rng.random()
    if kind < 0.4:
        return ''.join(rng.choice('abcdefgh 0123456789-:')
                       for _ in range(rng.randint(0, 40))).encode()
    if kind < 0.6:
        return 'contrôleur %d ✓' .encode() % rng.randint(0, 9)
    if kind < 0.8:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))
    if kind < 0.9:
        return b'x' * rng.choice((127, 128, 255, 256, 300))
    return rng.choice((b'', b'\xff\x00\x10', b'controller-0'))


def random_value(rng):
    tag = rng.choice((ber.INTEGER, ber.INTEGER, ber.OCTET_STRING,
                      ber.OCTET_STRING, ber.OCTET_STRING,
                      ber.OBJECT_IDENTIFIER, ber.TIMETICKS, ber.COUNTER32,
                      ber.GAUGE32, ber.COUNTER64, ber.IP_ADDRESS, ber.NULL,
                      ber.OPAQUE, ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE,
                      ber.END_OF_MIB_VIEW, 0x45, 0x47, 0x83, 0x30))
    if tag == ber.INTEGER:
        value = rng.choice((0, -1, 127, 128, -128, -129, 2 ** 31 - 1,
                            -2 ** 31, 2 ** 31, rng.randint(-300, 300),
                            rng.randint(-2 ** 31, 2 ** 31 - 1)))
        content = signed_octets(rng, value)
        if rng.random() < 0.02:
            content = b''
    elif tag == ber.OCTET_STRING or tag == ber.OPAQUE:
        content = random_text(rng)
    elif tag == ber.OBJECT_IDENTIFIER:
        content = random_oid(rng) if rng.random() < 0.98 else b''
    elif tag in (ber.TIMETICKS, ber.COUNTER32, ber.GAUGE32):
        value = rng.choice((0, 1, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
                            rng.randint(0, 2 ** 32 - 1)))
        content = unsigned_octets(rng, value)
        if rng.random() < 0.02:
            content = b''
    elif tag == ber.COUNTER64:
        value = rng.choice((0, 2 ** 64 - 1, 2 ** 64, rng.randint(0, 2 ** 64)))
        content = unsigned_octets(rng, value)
    elif tag == ber.IP_ADDRESS:
        content = bytes(rng.randrange(256)
                        for _ in range(rng.choice((4, 4, 4, 3, 5))))
    elif tag == 0x30:
        content = tlv(rng, ber.INTEGER, b'\x01')
    else:
        content = b'' if rng.random() < 0.95 else b'\x00'
    return tlv(rng, tag, content)


def varbind(rng, oid, value):
    return tlv(rng, ber.SEQUENCE, tlv(rng, ber.OBJECT_IDENTIFIER, oid) +
               value)


def random_varbinds(rng, notification):
    body = [varbind(rng, random_oid(rng), random_value(rng))
            for _ in range(rng.choice((0, 1, 2, 5, 7, 12, 30)))]
    if notification:
        uptime = varbind(rng, oid_content(rng, oid_of(UPTIME)),
                         tlv(rng, ber.TIMETICKS, unsigned_octets(
                             rng, rng.randint(0, 2 ** 32 - 1))))
        trap_oid = varbind(rng, oid_content(rng, oid_of(TRAP_OID)),
                           tlv(rng, ber.OBJECT_IDENTIFIER, random_oid(rng)))
        shape = rng.random()
        if shape < 0.75:
            body = [uptime, trap_oid] + body
        elif shape < 0.85:
            body = [trap_oid, uptime] + body
        elif shape < 0.9:
            body.insert(rng.randint(0, len(body)), trap_oid)
        elif shape < 0.95:
            body = [uptime, trap_oid, trap_oid, uptime] + body
        else:
            body = [uptime] + body      # no snmpTrapOID.0
    return tlv(rng, ber.SEQUENCE, b''.join(body))


def v2_pdu(rng, tag=None):
    if tag is None:
        tag = rng.choice((ber.TRAP_V2, ber.TRAP_V2, ber.INFORM_REQUEST,
                          ber.GET_REQUEST, ber.REPORT))
    request_id = rng.choice((0, 1, 2 ** 31 - 1, -5,
                             rng.randint(-2 ** 31, 2 ** 31 - 1)))
    return tlv(rng, tag, integer(rng, request_id) + integer(rng, 0)
               + integer(rng, rng.choice((0, 0, 0, 3)))
               + random_varbinds(rng, tag != ber.GET_REQUEST))


def community(rng):
    return tlv(rng, ber.OCTET_STRING, rng.choice(
        (COMMUNITY, COMMUNITY, COMMUNITY, b'other', b'wrong')))


def random_v2c(rng):
    return tlv(rng, ber.SEQUENCE, integer(rng, 1) + community(rng)
               + v2_pdu(rng))


def random_v1(rng):
    generic = rng.choice((6, 6, 6, 0, 1, 2, 3, 4, 5, 7, -1))
    pdu = tlv(rng, ber.TRAP_V1, tlv(rng, ber.OBJECT_IDENTIFIER,
                                    random_oid(rng))
              + tlv(rng, ber.IP_ADDRESS, bytes(
                  rng.randrange(256) for _ in range(rng.choice((4, 4, 3)))))
              + integer(rng, generic)
              + integer(rng, rng.choice((0, 1, 7, 2 ** 31 - 1)))
              + tlv(rng, ber.TIMETICKS,
                    unsigned_octets(rng, rng.randint(0, 2 ** 32 - 1)))
              + random_varbinds(rng, False))
    if rng.random() < 0.05:
        pdu = v2_pdu(rng, ber.TRAP_V2)
    return tlv(rng, ber.SEQUENCE, integer(rng, 0) + community(rng) + pdu)


def random_v3_plain(rng):
    header = tlv(rng, ber.SEQUENCE, integer(rng, rng.randint(0, 2 ** 31 - 1))
                 + integer(rng, rng.choice((484, 65507, 483)))
                 + tlv(rng, ber.OCTET_STRING,
                       bytes((rng.choice((0, 0, 4, 1, 2)),)))
                 + integer(rng, rng.choice((3, 3, 3, 2))))
    usm_params = tlv(rng, ber.SEQUENCE, tlv(rng, ber.OCTET_STRING, ENGINE)
                     + integer(rng, rng.randint(0, 5))
                     + integer(rng, rng.randint(0, 100000))
                     + tlv(rng, ber.OCTET_STRING,
                           rng.choice((b'plain', b'plain', b'nobody')))
                     + tlv(rng, ber.OCTET_STRING, b'')
                     + tlv(rng, ber.OCTET_STRING, b''))
    scoped = tlv(rng, ber.SEQUENCE, tlv(rng, ber.OCTET_STRING, ENGINE)
                 + tlv(rng, ber.OCTET_STRING, rng.choice((b'', b'ctx')))
                 + v2_pdu(rng))
    return tlv(rng, ber.SEQUENCE, integer(rng, 3) + header
               + tlv(rng, ber.OCTET_STRING, usm_params) + scoped)


def random_v3_secret(rng):
    pdu = ber.encode_pdu(rng.choice((ber.TRAP_V2, ber.INFORM_REQUEST)),
                         rng.randint(0, 2 ** 31 - 1), [
                             (UPTIME, ber.TIMETICKS, rng.randint(0, 1000)),
                             (TRAP_OID, ber.OBJECT_IDENTIFIER,
                              '1.3.6.1.4.1.99.0.%d' % rng.randint(0, 9)),
                             ('1.3.6.1.4.1.99.2.1', ber.OCTET_STRING,
                              'fan %d stopped' % rng.randint(0, 9))])
    return usm.encode_message(AUTHPRIV, ENGINE, 1, 100, pdu)


def corrupt(rng, data):
    data = bytearray(data)
    kind = rng.random()
    if kind < 0.3:
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind < 0.45:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind < 0.6:
        del data[rng.randrange(len(data)):]
    elif kind < 0.7:
        del data[rng.randrange(len(data))]
    elif kind < 0.8:
        data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
    elif kind < 0.85:
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
    elif kind < 0.95:
        # A length one to three octets off.
        where = rng.randrange(len(data))
        data[where] = (data[where] + rng.choice((-3, -2, -1, 1, 2, 3))) % 256
    else:
        # A header byte set to a tag or a long-form length marker.
        data[rng.randrange(len(data))] = rng.choice(
            (0x30, 0x06, 0x04, 0x02, 0x43, 0x80, 0x81, 0x82, 0x84, 0x85,
             0x7F, 0xFF, 0x00))
    return bytes(data)


def corpus(seed, size):
    rng = random.Random(seed)
    valid = [user_data for _, user_data in V3_MATRIX]
    valid.append(reference.v2c_message(
        'public', 31337, reference.VARBINDS))
    header = [(UPTIME, ber.TIMETICKS, 4711, rfc1902.TimeTicks(4711), ''),
              (TRAP_OID, ber.OBJECT_IDENTIFIER, '1.3.6.1.4.1.99.0.7',
               rfc1902.ObjectIdentifier('1.3.6.1.4.1.99.0.7'), '')]
    valid.append(reference.v2c_message(
        'public', 31337, header + reference.VARBINDS, inform=True))
    valid.append(reference.v1_message(
        'public', '1.3.6.1.4.1.99', '10.0.0.1', 6, 7, 4711,
        reference.V1_VARBINDS))
    makers = [random_v2c] * 5 + [random_v1] * 3 + [random_v3_plain] * 2
    valid += [rng.choice(makers)(rng) for _ in range(size)]
    valid += [random_v3_secret(rng) for _ in range(size // 50)]
    corrupted = [corrupt(rng, rng.choice(valid)) for _ in range(size * 3)]
    return valid + corrupted


# --- Outcomes ----------------------------------------------------------------

def outcome(call, *args):
    try:
        result = call(*args)
    except Exception as exc:
        return ('raised', type(exc).__name__, str(exc),
                getattr(exc, 'reason', None))
    if isinstance(result, tuple):
        return ('returned', type(result).__name__, tuple(result))
    return ('returned', type(result).__name__,
            tuple((name, getattr(result, name))
                  for name in decoder._TRAP_FIELDS),
            list(result.varbinds.items()))


def ber_outcomes(module, data):
    """Every stage of ``module``'s BER decoding of ``data``."""
    found = [outcome(module.decode_message, data)]
    if found[0][0] != 'returned':
        return found
    msg = module.decode_message(data)
    if found[0][1] == 'CommunityMessage':
        found.append(outcome(module.decode_pdu, data, msg.pdu_tag,
                             msg.pdu_start, msg.pdu_end))
        found.append(outcome(module.decode_trap_v1, data, msg.pdu_start,
                             msg.pdu_end))
        # The PDU cut short, where the datagram ends too.
        rng = random.Random(data)
        for _ in range(3):
            cut = rng.randint(msg.pdu_start, msg.pdu_end)
            found.append(outcome(module.decode_pdu, data[:cut], msg.pdu_tag,
                                 msg.pdu_start, cut))
            found.append(outcome(module.decode_trap_v1, data[:cut],
                                 msg.pdu_start, cut))
    elif not msg.encrypted:
        found.append(outcome(module.decode_scoped_pdu, data, msg.data_start,
                             msg.data_end))
        if found[-1][0] == 'returned':
            scoped = module.decode_scoped_pdu(data, msg.data_start,
                                              msg.data_end)
            found.append(outcome(module.decode_pdu, data, scoped.pdu_tag,
                                 scoped.pdu_start, scoped.pdu_end))
    return found


def trap_outcome(module, creds, data, source):
    return outcome(module.decode_trap, data, source, creds, None, 1.5)


@pytest.fixture(scope='module')
def creds():
    return credentials(decoder), credentials(legacy_decoder)


def clear_caches(module):
    for name, value in vars(module).items():
        if name.endswith('_CACHE') and isinstance(value, dict):
            value.clear()


@pytest.mark.parametrize('seed', range(4))
def test_ber_stages_agree(seed):
    datagrams = corpus(seed, 1000)
    expected = [ber_outcomes(legacy_ber, data) for data in datagrams]
    clear_caches(ber)
    for warm in (False, True):
        for data, want in zip(datagrams, expected):
            got = ber_outcomes(ber, data)
            assert got == want, (warm, data.hex())
            assert all(stage[0] == 'returned' or stage[1] == 'DecodeError'
                       for stage in got)


@pytest.mark.parametrize('seed', range(4))
def test_decode_trap_agrees(creds, seed):
    new, old = creds
    datagrams = corpus(100 + seed, 1000)
    sources = [SOURCE] * 9 + [OTHER_SOURCE, ('::ffff:' + SOURCE[0], 1)]
    rng = random.Random(seed)
    cases = [(data, rng.choice(sources)) for data in datagrams]
    expected = [trap_outcome(legacy_decoder, old, data, source)
                for data, source in cases]
    clear_caches(ber)
    for warm in (False, True):
        for (data, source), want in zip(cases, expected):
            got = trap_outcome(decoder, new, data, source)
            assert got == want, (warm, data.hex())
            assert got[0] == 'returned' or got[1] == 'TrapRejected'


def test_corpus_reaches_every_outcome(creds):
    """The corpus is varied enough to exercise every path."""
    new, _ = creds
    datagrams = corpus(7, 1500)
    reasons = set()
    versions = set()
    tags = set()
    for data in datagrams:
        found = trap_outcome(decoder, new, data, SOURCE)
        if found[0] == 'raised':
            reasons.add(found[3])
        else:
            versions.add(dict(found[2])['version'])
        for stage in ber_outcomes(ber, data):
            if stage[0] == 'returned' and stage[1] == 'Pdu':
                tags.update(tag for _, tag, _ in stage[2][4])
    assert versions == {'v1', 'v2c', 'v3'}
    assert reasons >= {decoder.Reason.UNDECODABLE,
                       decoder.Reason.BAD_COMMUNITY,
                       decoder.Reason.AUTH_FAILED,
                       decoder.Reason.PARSE_FAILED}
    assert tags >= {ber.INTEGER, ber.OCTET_STRING, ber.OBJECT_IDENTIFIER,
                    ber.TIMETICKS, ber.COUNTER32, ber.GAUGE32,
                    ber.COUNTER64, ber.IP_ADDRESS, ber.NULL, ber.OPAQUE,
                    ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE,
                    ber.END_OF_MIB_VIEW}
