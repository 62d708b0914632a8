"""BER codec for SNMP messages (X.690 as profiled by RFC 3416 and RFC 3412).

An SNMP datagram has a fixed shape, so the decoder walks that shape instead
of building a generic ASN.1 tree:

* v1/v2c: ``SEQUENCE { version, community, PDU }``;
* v3: ``SEQUENCE { version, msgGlobalData, msgSecurityParameters, msgData }``
  where the security parameters carry a ``UsmSecurityParameters`` SEQUENCE
  and msgData is a plaintext ScopedPDU or an encrypted OCTET STRING;
* PDUs: the v1 Trap-PDU, or the v2 PDU shape (SNMPv2-Trap, InformRequest and
  the others) with its variable bindings.

The decoder is built for hostile input.  Every length is checked against the
bytes actually present before it is used, so nothing is allocated from an
attacker-supplied length; there is no recursion (the shape is fixed, Opaque
contents stay opaque); indefinite lengths, constructed strings, truncation,
trailing bytes, integers wider than their SNMP type, OIDs with padded or
oversized sub-identifiers and unknown value types are refused.  Every refusal
is a `DecodeError`.  Long-form lengths of small values and integers padded
with a leading zero or 0xFF octet are accepted: several SNMP stacks emit
them and they cannot change what a message means.  A padded OID
sub-identifier is refused, since it would give one OID several encodings.

Variable-binding values come out as text, the way drivers see them: decimal
for the integer types, dotted notation for OIDs and IpAddress, the string
for OCTET STRING (UTF-8 when it decodes as such, otherwise one character per
byte, Latin-1, so no byte is lost), ``0x``-prefixed hex for Opaque and an
empty string for NULL and the three v2 exception values.

The encoder at the end builds the same messages; it serves tests, the trap
blaster and the acknowledgements the listener sends for informs.
"""
from typing import NamedTuple

# Universal tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
# SNMP application tags (RFC 2578 / RFC 3416).
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
# v2 exception values (context-specific, primitive, empty).
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82
# PDU tags (context-specific, constructed).
GET_REQUEST = 0xA0
GET_NEXT_REQUEST = 0xA1
RESPONSE = 0xA2
SET_REQUEST = 0xA3
TRAP_V1 = 0xA4
GET_BULK_REQUEST = 0xA5
INFORM_REQUEST = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8

V2_PDU_TAGS = frozenset((GET_REQUEST, GET_NEXT_REQUEST, RESPONSE, SET_REQUEST,
                         GET_BULK_REQUEST, INFORM_REQUEST, TRAP_V2, REPORT))

# msgFlags bits (RFC 3412).
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

USM_SECURITY_MODEL = 3

# RFC 2578: at most 128 sub-identifiers, each at most 2^32-1.
MAX_OID_ARCS = 128
_MAX_ARC = 0xFFFFFFFF
_MAX_OID_OCTETS = MAX_OID_ARCS * 5
# A long-form length never needs more octets than this for a UDP datagram;
# four are tolerated because some encoders always use the widest form.
_MAX_LENGTH_OCTETS = 4
# Bounds of the process-wide OID text cache: trap OIDs repeat endlessly, so
# caching their text is the main speed-up; a flood of distinct OIDs only
# makes the cache start over, and long OIDs (rare) are not kept, which
# bounds the cache to a few megabytes.
_OID_CACHE_MAX = 20000
_OID_CACHE_MAX_OCTETS = 64
_OID_CACHE = {}
# Whole variable bindings with a short-form length (encoding -> (name, tag,
# text)) whose value is a string, an OID or a one-octet INTEGER: the texts,
# enumerations and trap OIDs that traps repeat.  At most 10,000 entries of
# at most 129 octets, a few megabytes; a flood of distinct ones only makes
# it start over.
_VARBIND_CACHE_MAX = 10000
_VARBIND_CACHE = {}
# The same without the value (every octet before it -> (name, tag)) for
# strings, and for TimeTicks and INTEGER values of up to four octets, which
# seldom repeat.
_VARBIND_HEAD_CACHE = {}
# Text of v1 agent addresses.
_ADDRESS_CACHE = {}
# Text and arc count of OIDs that prefix others (see _oid_by_prefix).
_PREFIX_CACHE = {}
# error-status and error-index of a PDU that reports no error.
_NO_ERROR = bytes((INTEGER, 1, 0, INTEGER, 1, 0))
# Value and text of every one-octet INTEGER, indexed by the octet.
_SIGNED_OCTET = tuple(i - 256 if i & 0x80 else i for i in range(256))
_SIGNED_OCTET_TEXT = tuple(map(str, _SIGNED_OCTET))
_SMALL_INTEGER_HEADER = bytes((INTEGER, 1))
_IP_ADDRESS_HEADER = bytes((IP_ADDRESS, 4))


# Builds a NamedTuple without its keyword-handling constructor (hot path).
_new_tuple = tuple.__new__


class DecodeError(ValueError):
    """The datagram is not a well-formed SNMP message."""


class CommunityMessage(NamedTuple):
    """A v1 or v2c message; the PDU is located, not yet decoded."""
    version: int            # 0 for v1, 1 for v2c (the wire values)
    community: bytes
    pdu_tag: int
    pdu_start: int          # content bounds of the PDU inside the datagram
    pdu_end: int


class V3Message(NamedTuple):
    """A v3 message with its USM security parameters decoded."""
    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes        # msgAuthoritativeEngineID
    engine_boots: int
    engine_time: int
    user: bytes
    auth_params: bytes
    auth_offset: int        # where auth_params sits in the datagram
    priv_params: bytes
    encrypted: bool         # msgData is an encrypted OCTET STRING
    data_start: int         # content bounds of msgData inside the datagram
    data_end: int


class ScopedPdu(NamedTuple):
    context_engine_id: bytes
    context_name: bytes
    pdu_tag: int
    pdu_start: int
    pdu_end: int


class Pdu(NamedTuple):
    """A PDU of the v2 shape; varbinds are (oid, tag, text) triples."""
    tag: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list


class TrapV1Pdu(NamedTuple):
    enterprise: str
    agent_addr: str
    generic_trap: int
    specific_trap: int
    timestamp: int
    varbinds: list


def _tlv(data, pos, end):
    """Return (tag, content_start, content_end) of the element at ``pos``."""
    if end - pos < 2:
        raise DecodeError('truncated element at offset %d' % pos)
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise DecodeError('indefinite length at offset %d' % (pos - 2))
        if count > _MAX_LENGTH_OCTETS:
            raise DecodeError('length of %d octets at offset %d'
                              % (count, pos - 2))
        if end - pos < count:
            raise DecodeError('truncated length at offset %d' % (pos - 2))
        length = 0
        for i in range(pos, pos + count):
            length = (length << 8) | data[i]
        pos += count
    if end - pos < length:
        raise DecodeError('element at offset %d overruns its container'
                          % pos)
    return tag, pos, pos + length


def _expect(data, pos, end, tag, what):
    """Content bounds of the element at ``pos``, which must carry ``tag``."""
    if end - pos >= 2 and data[pos] == tag and data[pos + 1] < 0x80:
        start = pos + 2
        stop = start + data[pos + 1]
        if stop <= end:
            return start, stop
    found, start, stop = _tlv(data, pos, end)
    if found != tag:
        raise DecodeError('%s: expected tag 0x%02x, found 0x%02x'
                          % (what, tag, found))
    return start, stop


def _read_int(data, pos, end, what):
    """(value, next position) of the INTEGER at ``pos``."""
    if end - pos >= 3 and data[pos] == INTEGER:
        length = data[pos + 1]
        if length == 1:
            value = data[pos + 2]
            return (value - 256 if value & 0x80 else value), pos + 3
        if 1 < length <= 4 and pos + 2 + length <= end:
            stop = pos + 2 + length
            return int.from_bytes(data[pos + 2:stop], 'big',
                                  signed=True), stop
    start, stop = _expect(data, pos, end, INTEGER, what)
    return _signed(data, start, stop, what), stop


def _read_octets(data, pos, end, what):
    """(bytes, next position) of the OCTET STRING at ``pos``."""
    start, stop = _expect(data, pos, end, OCTET_STRING, what)
    return data[start:stop], stop


def _signed(data, start, stop, what, max_octets=4):
    size = stop - start
    if size == 1:
        value = data[start]
        return value - 256 if value & 0x80 else value
    if size == 0:
        raise DecodeError('%s: empty INTEGER' % what)
    if size > max_octets:
        raise DecodeError('%s: INTEGER of %d octets' % (what, size))
    return int.from_bytes(data[start:stop], 'big', signed=True)


def _unsigned(data, start, stop, what, bits):
    """An unsigned SNMP integer of ``bits`` bits.

    A value with the sign bit set but no leading zero octet is read as
    unsigned, as net-snmp does, since some agents encode large counters that
    way.
    """
    size = stop - start
    if size == 0:
        raise DecodeError('%s: empty integer' % what)
    octets = bits // 8
    if size > octets + 1 or (size == octets + 1 and data[start] != 0):
        raise DecodeError('%s: value wider than %d bits' % (what, bits))
    if size == 1:
        return data[start]
    return int.from_bytes(data[start:stop], 'big')


def _oid_text(raw):
    if not raw:
        raise DecodeError('empty OBJECT IDENTIFIER')
    if len(raw) > _MAX_OID_OCTETS:
        raise DecodeError('OBJECT IDENTIFIER of %d octets' % len(raw))
    if raw[-1] & 0x80:
        raise DecodeError('OBJECT IDENTIFIER ends inside a sub-identifier')
    arcs = []
    value = 0
    for octet in raw:
        if value == 0 and octet == 0x80:
            raise DecodeError('OBJECT IDENTIFIER sub-identifier is padded')
        value = (value << 7) | (octet & 0x7F)
        if octet & 0x80:
            if value > _MAX_ARC >> 7:
                raise DecodeError('OBJECT IDENTIFIER sub-identifier too big')
            continue
        arcs.append(value)
        value = 0
    if len(arcs) >= MAX_OID_ARCS:
        raise DecodeError('OBJECT IDENTIFIER has more than %d arcs'
                          % MAX_OID_ARCS)
    first = arcs[0]
    if first < 40:
        head = '0.%d' % first
    elif first < 80:
        head = '1.%d' % (first - 40)
    else:
        head = '2.%d' % (first - 80)
    if len(arcs) == 1:
        return head
    return head + '.' + '.'.join(map(str, arcs[1:]))


def _oid(data, start, stop):
    raw = data[start:stop]
    text = _OID_CACHE.get(raw)
    if text is None:
        text = _oid_by_prefix(data, start, stop)
        if text is None:
            text = _oid_text(raw)
        if len(raw) <= _OID_CACHE_MAX_OCTETS:
            if len(_OID_CACHE) >= _OID_CACHE_MAX:
                _OID_CACHE.clear()
            _OID_CACHE[raw] = text
    return text


def _oid_by_prefix(data, start, stop):
    """The text of the OID ``data[start:stop]`` from the cached text of all
    but its last arc, or None when that does not apply.

    Distinct OIDs mostly differ in their last arc only (the alarms of one
    vendor subtree, table indexes), so the prefix is nearly always known
    and only the last arc is decoded here.
    """
    if stop - start > _MAX_OID_OCTETS or data[stop - 1] & 0x80:
        return None
    cut = stop - 1
    while cut > start and data[cut - 1] & 0x80:
        cut -= 1
    if cut == start or data[cut] == 0x80:
        return None     # a single arc, or a padded last arc
    entry = _PREFIX_CACHE.get(data[start:cut])
    if entry is None:
        prefix = data[start:cut]
        try:
            head = _oid_text(prefix)
        except DecodeError:
            return None
        if len(_PREFIX_CACHE) >= _OID_CACHE_MAX:
            _PREFIX_CACHE.clear()
        entry = _PREFIX_CACHE[prefix] = (head, head.count('.') + 1)
    head, arcs = entry
    if arcs + 1 >= MAX_OID_ARCS:
        return None
    value = 0
    for octet in data[cut:stop]:
        value = (value << 7) | (octet & 0x7F)
    if value > _MAX_ARC:
        return None
    return '%s.%d' % (head, value)


def _octets_text(raw):
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('latin-1')


def _value_text(tag, data, start, stop):
    """Text of one variable-binding value, as handed to drivers."""
    if tag == OCTET_STRING:
        return _octets_text(data[start:stop])
    if tag == INTEGER:
        return str(_signed(data, start, stop, 'Integer32'))
    if tag == OBJECT_IDENTIFIER:
        return _oid(data, start, stop)
    if tag == TIMETICKS or tag == COUNTER32 or tag == GAUGE32:
        return str(_unsigned(data, start, stop, 'value', 32))
    if tag == IP_ADDRESS:
        if stop - start != 4:
            raise DecodeError('IpAddress of %d octets' % (stop - start))
        return '%d.%d.%d.%d' % tuple(data[start:stop])
    if tag == COUNTER64:
        return str(_unsigned(data, start, stop, 'Counter64', 64))
    if (tag == NULL or tag == NO_SUCH_OBJECT or tag == NO_SUCH_INSTANCE
            or tag == END_OF_MIB_VIEW):
        if stop != start:
            raise DecodeError('NULL-like value 0x%02x with content' % tag)
        return ''
    if tag == OPAQUE:
        return '0x' + data[start:stop].hex()
    raise DecodeError('unsupported value type 0x%02x' % tag)


def _varbinds(data, pos, end):
    # The hot loop of the decoder.  A variable binding seen before (see
    # _VARBIND_CACHE) costs one dictionary look-up, and one whose octets
    # up to the value were seen before (_VARBIND_HEAD_CACHE) only has its
    # value read: both caches hold well-formed encodings only, so equal
    # bytes that fit in the list decode the same.  Otherwise short-form
    # lengths, the common case, are read inline and everything else goes
    # through _tlv; so are the values of the common types, while unusual
    # ones and every refusal go through _value_text.
    # Reading a header byte past ``end`` is harmless because the element it
    # starts is then found to overrun its container; reading past the
    # datagram raises IndexError, which the public entry points turn into
    # DecodeError.
    if end - pos >= 3 and data[pos] == SEQUENCE:
        # The list ends the PDU: its length is nearly always one octet,
        # short or long form.
        length = data[pos + 1]
        if length < 0x80:
            if pos + 2 + length == end:
                pos += 2
            else:
                pos = _varbinds_header(data, pos, end)
        elif length == 0x81 and pos + 3 + data[pos + 2] == end:
            pos += 3
        else:
            pos = _varbinds_header(data, pos, end)
    else:
        pos = _varbinds_header(data, pos, end)
    result = []
    append = result.append
    cache = _OID_CACHE
    seen = _VARBIND_CACHE
    heads = _VARBIND_HEAD_CACHE
    last = end - 1
    while pos < last:
        vb_end = pos + 2 + data[pos + 1]
        if vb_end <= end:
            key = data[pos:vb_end]
            item = seen.get(key)
            if item is not None:
                append(item)
                pos = vb_end
                continue
            if vb_end - pos > 5:
                start = 6 + key[3]
                head = heads.get(key[:start])
                if head is not None:
                    pos = vb_end
                    name, tag = head
                    if tag == OCTET_STRING:
                        raw = key[start:]
                        try:
                            item = (name, tag, raw.decode())
                        except UnicodeDecodeError:
                            item = (name, tag, raw.decode('latin-1'))
                        append(item)
                        if len(seen) >= _VARBIND_CACHE_MAX:
                            seen.clear()
                        seen[key] = item
                    else:
                        append((name, tag, str(int.from_bytes(
                            key[start:], 'big', signed=tag == INTEGER))))
                    continue
        else:
            key = None
        if data[pos] != SEQUENCE:
            raise DecodeError('variable-binding: not a SEQUENCE')
        if data[pos + 1] < 0x80:
            if vb_end > end:
                raise DecodeError('variable-binding overruns the list')
            start = pos + 2
        else:
            key = None
            _, start, vb_end = _tlv(data, pos, end)

        if data[start] != OBJECT_IDENTIFIER:
            raise DecodeError('variable-binding: name is not an OID')
        stop = data[start + 1]
        if stop < 0x80:
            start += 2
            stop += start
            if stop > vb_end:
                raise DecodeError('variable-binding name overruns')
        else:
            _, start, stop = _tlv(data, start, vb_end)
        name = cache.get(data[start:stop])
        if name is None:
            name = _oid(data, start, stop)

        tag = data[stop]
        size = data[stop + 1]
        if size < 0x80:
            start = stop + 2
            if start + size != vb_end:
                raise DecodeError('variable-binding: value does not end it')
        else:
            tag, start, stop = _tlv(data, stop, vb_end)
            if stop != vb_end:
                raise DecodeError('variable-binding: value does not end it')
            size = vb_end - start
        pos = vb_end
        # Strings, OIDs and small enumerations repeat from trap to trap
        # and their whole varbind is cached; counters, uptimes and wide
        # integers seldom do.
        if tag == OCTET_STRING:
            raw = data[start:vb_end]
            try:
                item = (name, tag, raw.decode())
            except UnicodeDecodeError:
                item = (name, tag, raw.decode('latin-1'))
            if key is not None and len(key) - size == 6 + key[3]:
                if len(heads) >= _VARBIND_CACHE_MAX:
                    heads.clear()
                heads[key[:-size or None]] = (name, tag)
        elif tag == OBJECT_IDENTIFIER:
            text = cache.get(data[start:vb_end])
            item = (name, tag, text if text is not None
                    else _oid(data, start, vb_end))
        elif tag == INTEGER and size == 1:
            item = (name, tag, _SIGNED_OCTET_TEXT[data[start]])
        else:
            if (tag == TIMETICKS or tag == INTEGER) and 0 < size <= 4:
                append((name, tag, str(int.from_bytes(
                    data[start:vb_end], 'big', signed=tag == INTEGER))))
                if key is not None and len(key) - size == 6 + key[3]:
                    if len(heads) >= _VARBIND_CACHE_MAX:
                        heads.clear()
                    heads[key[:-size]] = (name, tag)
            else:
                append((name, tag, _value_text(tag, data, start, vb_end)))
            continue
        append(item)
        if key is not None:
            if len(seen) >= _VARBIND_CACHE_MAX:
                seen.clear()
            seen[key] = item
    if pos < end:
        # One octet left: too short for a variable binding.
        if data[pos] != SEQUENCE:
            raise DecodeError('variable-binding: not a SEQUENCE')
        if data[pos + 1] < 0x80:
            raise DecodeError('variable-binding overruns the list')
        _tlv(data, pos, end)
    return result


def _varbinds_header(data, pos, end):
    """Content start of the variable-bindings list at ``pos``, which must
    end at ``end``."""
    tag, pos, list_end = _tlv(data, pos, end)
    if tag != SEQUENCE:
        raise DecodeError('variable-bindings: not a SEQUENCE')
    if list_end != end:
        raise DecodeError('bytes after the variable-bindings')
    return pos


def _frame(data, pos, end):
    """(tag, content start) of the element at ``pos`` when it is well
    formed and ends exactly at ``end`` with a length of at most two octets
    (the shape of every datagram-sized element), else (None, 0): the caller
    then goes through _tlv for the general case and its refusals."""
    if end - pos >= 2:
        length = data[pos + 1]
        if length < 0x80:
            if pos + 2 + length == end:
                return data[pos], pos + 2
        elif length == 0x81:
            if end - pos >= 3 and pos + 3 + data[pos + 2] == end:
                return data[pos], pos + 3
        elif length == 0x82:
            if (end - pos >= 4
                    and pos + 4 + (data[pos + 2] << 8 | data[pos + 3]) == end):
                return data[pos], pos + 4
    return None, 0


def decode_message(data):
    """Decode the framing of one datagram.

    Returns a `CommunityMessage` (v1/v2c) or a `V3Message`; the PDU (or
    scoped PDU) is located but decoded separately, so that the sender is
    authenticated before its payload costs anything.
    """
    try:
        end = len(data)
        # A datagram of 128 to 255 octets, the usual trap, is framed
        # inline; _frame reads the other well-formed ones.
        if end > 3 and data[1] == 0x81 and data[2] + 3 == end:
            tag = data[0]
            pos = 3
        else:
            tag, pos = _frame(data, 0, end)
        if tag != SEQUENCE:
            tag, pos, msg_end = _tlv(data, 0, end)
            if tag != SEQUENCE:
                raise DecodeError('message is not a SEQUENCE')
            if msg_end != end:
                raise DecodeError('%d bytes after the message'
                                  % (end - msg_end))
        head = data[pos:pos + 3]
        if head == b'\x02\x01\x01':
            version = 1
            pos += 3
        elif head == b'\x02\x01\x00':
            version = 0
            pos += 3
        else:
            version, pos = _read_int(data, pos, end, 'msgVersion')
        if version == 0 or version == 1:
            # The v1/v2c framing is read inline: it is paid by every trap.
            if data[pos] != OCTET_STRING:
                raise DecodeError('community is not an OCTET STRING')
            length = data[pos + 1]
            if length < 0x80:
                start = pos + 2
                pos = start + length
            else:
                _, start, pos = _tlv(data, pos, end)
            community = data[start:pos]
            if (end - pos >= 3 and data[pos + 1] == 0x81
                    and pos + 3 + data[pos + 2] == end):
                tag = data[pos]
                start = pos + 3
            else:
                tag, start = _frame(data, pos, end)
            if tag is None:
                tag, start, stop = _tlv(data, pos, end)
                if stop != end:
                    raise DecodeError('bytes after the PDU')
            return _new_tuple(CommunityMessage,
                              (version, community, tag, start, end))
        if version == 3:
            return _decode_v3(data, pos, end)
    except IndexError:
        raise DecodeError('truncated message') from None
    raise DecodeError('unsupported SNMP version %d' % version)


def _decode_v3(data, pos, end):
    start, pos = _expect(data, pos, end, SEQUENCE, 'msgGlobalData')
    msg_id, e = _read_int(data, start, pos, 'msgID')
    max_size, e = _read_int(data, e, pos, 'msgMaxSize')
    flags, e = _read_octets(data, e, pos, 'msgFlags')
    model, e = _read_int(data, e, pos, 'msgSecurityModel')
    if e != pos:
        raise DecodeError('bytes after msgSecurityModel')
    if len(flags) != 1:
        raise DecodeError('msgFlags must be one octet')
    flags = flags[0]
    if msg_id < 0 or max_size < 484:
        raise DecodeError('msgID or msgMaxSize out of range')
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise DecodeError('msgFlags: privacy without authentication')
    if model != USM_SECURITY_MODEL:
        raise DecodeError('unsupported security model %d' % model)

    start, pos = _expect(data, pos, end, OCTET_STRING,
                         'msgSecurityParameters')
    e, usm_end = _expect(data, start, pos, SEQUENCE, 'UsmSecurityParameters')
    if usm_end != pos:
        raise DecodeError('bytes after UsmSecurityParameters')
    engine_id, e = _read_octets(data, e, usm_end, 'msgAuthoritativeEngineID')
    boots, e = _read_int(data, e, usm_end, 'msgAuthoritativeEngineBoots')
    engine_time, e = _read_int(data, e, usm_end, 'msgAuthoritativeEngineTime')
    if boots < 0 or engine_time < 0:
        raise DecodeError('engine boots or time is negative')
    user, e = _read_octets(data, e, usm_end, 'msgUserName')
    if len(user) > 32:
        raise DecodeError('msgUserName longer than 32 octets')
    auth_offset, e = _expect(data, e, usm_end, OCTET_STRING,
                             'msgAuthenticationParameters')
    auth_params = data[auth_offset:e]
    priv_params, e = _read_octets(data, e, usm_end, 'msgPrivacyParameters')
    if e != usm_end:
        raise DecodeError('bytes after msgPrivacyParameters')

    tag, start, stop = _tlv(data, pos, end)
    if stop != end:
        raise DecodeError('bytes after msgData')
    if tag == OCTET_STRING:
        encrypted = True
    elif tag == SEQUENCE:
        encrypted = False
    else:
        raise DecodeError('msgData is neither a ScopedPDU nor encrypted')
    if encrypted != bool(flags & FLAG_PRIV):
        raise DecodeError('msgData does not match the privacy flag')
    return _new_tuple(V3Message, (msg_id, max_size, flags, engine_id, boots,
                                  engine_time, user, auth_params, auth_offset,
                                  priv_params, encrypted, start, stop))


def decode_scoped_pdu(data, start, end):
    """Decode ScopedPDU contents found between ``start`` and ``end``."""
    try:
        context_engine_id, pos = _read_octets(data, start, end,
                                              'contextEngineID')
        context_name, pos = _read_octets(data, pos, end, 'contextName')
        tag, start, stop = _tlv(data, pos, end)
    except IndexError:
        raise DecodeError('truncated scoped PDU') from None
    if stop != end:
        raise DecodeError('bytes after the scoped PDU')
    return ScopedPdu(context_engine_id, context_name, tag, start, stop)


def decode_decrypted_scoped_pdu(plaintext):
    """Decode a decrypted ScopedPDU; cipher padding after it is ignored."""
    start, stop = _expect(plaintext, 0, len(plaintext), SEQUENCE, 'ScopedPDU')
    return decode_scoped_pdu(plaintext, start, stop)


def decode_pdu(data, tag, start, end):
    """Decode a PDU of the v2 shape whose content spans start..end."""
    if tag not in V2_PDU_TAGS:
        raise DecodeError('not a v2 PDU: tag 0x%02x' % tag)
    try:
        # request-id, then error-status and error-index, nearly always
        # two one-octet zeros, read inline.
        if (end - start >= 3 and data[start] == INTEGER
                and 0 < data[start + 1] <= 4
                and start + 2 + data[start + 1] <= end):
            pos = start + 2 + data[start + 1]
            request_id = int.from_bytes(data[start + 2:pos], 'big',
                                        signed=True)
        else:
            request_id, pos = _read_int(data, start, end, 'request-id')
        if data[pos:pos + 6] == _NO_ERROR and pos + 6 <= end:
            error_status = error_index = 0
            pos += 6
        else:
            error_status, pos = _read_int(data, pos, end, 'error-status')
            error_index, pos = _read_int(data, pos, end, 'error-index')
        return _new_tuple(Pdu, (tag, request_id, error_status, error_index,
                                _varbinds(data, pos, end)))
    except IndexError:
        raise DecodeError('truncated PDU') from None


def decode_trap_v1(data, start, end):
    """Decode the content of a v1 Trap-PDU (RFC 1157)."""
    try:
        # Each field is read inline in its usual shape, and through the
        # general helpers (which also refuse) otherwise.
        if (end - start >= 2 and data[start] == OBJECT_IDENTIFIER
                and data[start + 1] < 0x80
                and start + 2 + data[start + 1] <= end):
            s = start + 2
            e = s + data[start + 1]
        else:
            s, e = _expect(data, start, end, OBJECT_IDENTIFIER,
                           'enterprise')
        enterprise = _OID_CACHE.get(data[s:e])
        if enterprise is None:
            enterprise = _oid(data, s, e)
        if data[e:e + 2] == _IP_ADDRESS_HEADER and e + 6 <= end:
            s = e + 2
            e += 6
        else:
            s, e = _expect(data, e, end, IP_ADDRESS, 'agent-addr')
            if e - s != 4:
                raise DecodeError('agent-addr of %d octets' % (e - s))
        raw = data[s:e]
        agent_addr = _ADDRESS_CACHE.get(raw)
        if agent_addr is None:
            agent_addr = '%d.%d.%d.%d' % tuple(raw)
            if len(_ADDRESS_CACHE) >= _VARBIND_CACHE_MAX:
                _ADDRESS_CACHE.clear()
            _ADDRESS_CACHE[raw] = agent_addr
        if data[e:e + 2] == _SMALL_INTEGER_HEADER and e + 3 <= end:
            generic = _SIGNED_OCTET[data[e + 2]]
            e += 3
        else:
            generic, e = _read_int(data, e, end, 'generic-trap')
        specific, e = _read_int(data, e, end, 'specific-trap')
        if (end - e >= 3 and data[e] == TIMETICKS and 0 < data[e + 1] <= 4
                and e + 2 + data[e + 1] <= end):
            s = e + 2
            e = s + data[e + 1]
            timestamp = int.from_bytes(data[s:e], 'big')
        else:
            s, e = _expect(data, e, end, TIMETICKS, 'time-stamp')
            timestamp = _unsigned(data, s, e, 'time-stamp', 32)
        return _new_tuple(TrapV1Pdu, (enterprise, agent_addr, generic,
                                      specific, timestamp,
                                      _varbinds(data, e, end)))
    except IndexError:
        raise DecodeError('truncated Trap-PDU') from None


# --- Encoder ---------------------------------------------------------------

def encode_length(length):
    if length < 0x80:
        return bytes((length,))
    octets = length.to_bytes((length.bit_length() + 7) // 8, 'big')
    return bytes((0x80 | len(octets),)) + octets


def encode_tlv(tag, content):
    return bytes((tag,)) + encode_length(len(content)) + content


def encode_integer(value, tag=INTEGER):
    size = (value + (value < 0)).bit_length() // 8 + 1
    return encode_tlv(tag, value.to_bytes(size, 'big', signed=True))


def encode_unsigned(value, tag):
    if value < 0:
        raise ValueError('negative value for an unsigned type')
    size = value.bit_length() // 8 + 1
    return encode_tlv(tag, value.to_bytes(size, 'big'))


def encode_oid(text):
    arcs = [int(arc) for arc in text.split('.')]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError('invalid OID %r' % text)
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return encode_tlv(OBJECT_IDENTIFIER, bytes(out))


def encode_value(tag, value):
    """Encode one value; ``value`` is a Python int, str or bytes."""
    if tag == INTEGER:
        return encode_integer(value)
    if tag in (OCTET_STRING, OPAQUE):
        if isinstance(value, str):
            value = value.encode('utf-8')
        return encode_tlv(tag, value)
    if tag == OBJECT_IDENTIFIER:
        return encode_oid(value)
    if tag == IP_ADDRESS:
        return encode_tlv(tag, bytes(int(part) for part in value.split('.')))
    if tag in (COUNTER32, GAUGE32, TIMETICKS, COUNTER64):
        return encode_unsigned(value, tag)
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW):
        return encode_tlv(tag, b'')
    raise ValueError('unsupported value type 0x%02x' % tag)


def encode_varbinds(varbinds):
    """Encode (oid, tag, value) triples as a variable-bindings list."""
    return encode_tlv(SEQUENCE, b''.join(
        encode_tlv(SEQUENCE, encode_oid(oid) + encode_value(tag, value))
        for oid, tag, value in varbinds))


def encode_pdu(tag, request_id, varbinds, error_status=0, error_index=0):
    return encode_tlv(tag, encode_integer(request_id)
                      + encode_integer(error_status)
                      + encode_integer(error_index)
                      + encode_varbinds(varbinds))


def encode_trap_v1(enterprise, agent_addr, generic_trap, specific_trap,
                   timestamp, varbinds):
    return encode_tlv(TRAP_V1, encode_oid(enterprise)
                      + encode_value(IP_ADDRESS, agent_addr)
                      + encode_integer(generic_trap)
                      + encode_integer(specific_trap)
                      + encode_unsigned(timestamp, TIMETICKS)
                      + encode_varbinds(varbinds))


def encode_community_message(version, community, pdu):
    """A v1 (version 0) or v2c (version 1) message around an encoded PDU."""
    if isinstance(community, str):
        community = community.encode('utf-8')
    return encode_tlv(SEQUENCE, encode_integer(version)
                      + encode_tlv(OCTET_STRING, community) + pdu)


def encode_scoped_pdu(context_engine_id, context_name, pdu):
    return encode_tlv(SEQUENCE, encode_tlv(OCTET_STRING, context_engine_id)
                      + encode_tlv(OCTET_STRING, context_name) + pdu)


def encode_v3_message(msg_id, max_size, flags, engine_id, engine_boots,
                      engine_time, user, auth_params, priv_params, msg_data):
    """A v3 message; ``msg_data`` is an encoded ScopedPDU or OCTET STRING."""
    usm = encode_tlv(SEQUENCE, encode_tlv(OCTET_STRING, engine_id)
                     + encode_integer(engine_boots)
                     + encode_integer(engine_time)
                     + encode_tlv(OCTET_STRING, user)
                     + encode_tlv(OCTET_STRING, auth_params)
                     + encode_tlv(OCTET_STRING, priv_params))
    header = encode_tlv(SEQUENCE, encode_integer(msg_id)
                        + encode_integer(max_size)
                        + encode_tlv(OCTET_STRING, bytes((flags,)))
                        + encode_integer(USM_SECURITY_MODEL))
    return encode_tlv(SEQUENCE, encode_integer(3) + header
                      + encode_tlv(OCTET_STRING, usm) + msg_data)
