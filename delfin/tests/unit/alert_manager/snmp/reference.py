"""Reference encodings of SNMP notifications made by pysnmp.

pysnmp is an independent implementation: messages it encodes are what the
decoder must accept, and for the same content our encoder must produce the
same bytes.  v3 messages come from pysnmp's real notification originator,
sent over loopback UDP and captured.
"""
import asyncio
import json
import os
import socket

from pyasn1.codec.ber import encoder as pyasn1_encoder
from pysnmp.hlapi.v3arch import asyncio as hlapi
from pysnmp.proto import api
from pysnmp.proto import rfc1902
from pysnmp.proto import rfc1905
from pyasn1.type import univ

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm

# (oid, our tag, our value, pysnmp value, text handed to drivers)
VARBINDS = [
    ('1.3.6.1.4.1.99.1.1', ber.INTEGER, -123456,
     rfc1902.Integer32(-123456), '-123456'),
    ('1.3.6.1.4.1.99.1.2', ber.INTEGER, 2147483647,
     rfc1902.Integer32(2147483647), '2147483647'),
    ('1.3.6.1.4.1.99.1.3', ber.OCTET_STRING, b'disk 3 failed',
     rfc1902.OctetString(b'disk 3 failed'), 'disk 3 failed'),
    ('1.3.6.1.4.1.99.1.4', ber.OCTET_STRING, 'contrôleur B'.encode(),
     rfc1902.OctetString('contrôleur B'.encode()), 'contrôleur B'),
    ('1.3.6.1.4.1.99.1.5', ber.OCTET_STRING, b'\xff\x00\x10',
     rfc1902.OctetString(b'\xff\x00\x10'), '\xff\x00\x10'),
    ('1.3.6.1.4.1.99.1.6', ber.NULL, None, univ.Null(''), ''),
    ('1.3.6.1.4.1.99.1.7', ber.OBJECT_IDENTIFIER, '1.3.6.1.4.1.4294967295.0',
     rfc1902.ObjectIdentifier('1.3.6.1.4.1.4294967295.0'),
     '1.3.6.1.4.1.4294967295.0'),
    ('1.3.6.1.4.1.99.1.8', ber.IP_ADDRESS, '192.168.10.254',
     rfc1902.IpAddress('192.168.10.254'), '192.168.10.254'),
    ('1.3.6.1.4.1.99.1.9', ber.COUNTER32, 4294967295,
     rfc1902.Counter32(4294967295), '4294967295'),
    ('1.3.6.1.4.1.99.1.10', ber.GAUGE32, 128, rfc1902.Gauge32(128), '128'),
    ('1.3.6.1.4.1.99.1.11', ber.TIMETICKS, 8640000,
     rfc1902.TimeTicks(8640000), '8640000'),
    ('1.3.6.1.4.1.99.1.12', ber.OPAQUE, b'\x9f\x78\x04\x42\x28\x00\x00',
     rfc1902.Opaque(b'\x9f\x78\x04\x42\x28\x00\x00'), '0x9f780442280000'),
    ('1.3.6.1.4.1.99.1.13', ber.COUNTER64, 18446744073709551615,
     rfc1902.Counter64(18446744073709551615), '18446744073709551615'),
    ('1.3.6.1.4.1.99.1.14', ber.NO_SUCH_OBJECT, None,
     rfc1905.NoSuchObject(''), ''),
    ('1.3.6.1.4.1.99.1.15', ber.NO_SUCH_INSTANCE, None,
     rfc1905.NoSuchInstance(''), ''),
    ('1.3.6.1.4.1.99.1.16', ber.END_OF_MIB_VIEW, None,
     rfc1905.EndOfMibView(''), ''),
    ('2.999.3', ber.INTEGER, 0, rfc1902.Integer32(0), '0'),
]

# v1 has no Counter64 nor the v2 exception values.
V1_VARBINDS = [vb for vb in VARBINDS
               if vb[1] not in (ber.COUNTER64, ber.NO_SUCH_OBJECT,
                                ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW)]


def ours(varbinds):
    return [(oid, tag, value) for oid, tag, value, _, _ in varbinds]


def texts(varbinds):
    return {oid: text for oid, _, _, _, text in varbinds}


def _pysnmp_varbinds(varbinds):
    return [(rfc1902.ObjectName(oid), value)
            for oid, _, _, value, _ in varbinds]


def v2c_message(community, request_id, varbinds, inform=False):
    """A v2c SNMPv2-Trap (or InformRequest) encoded by pysnmp."""
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = module.InformRequestPDU() if inform else module.TrapPDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, request_id)
    module.apiPDU.set_varbinds(pdu, _pysnmp_varbinds(varbinds))
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return pyasn1_encoder.encode(message)


def v1_message(community, enterprise, agent, generic, specific, timestamp,
               varbinds):
    """A v1 Trap-PDU message encoded by pysnmp."""
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
    pdu = module.TrapPDU()
    module.apiTrapPDU.set_defaults(pdu)
    module.apiTrapPDU.set_enterprise(pdu, enterprise)
    module.apiTrapPDU.set_agent_address(pdu, agent)
    module.apiTrapPDU.set_generic_trap(pdu, generic)
    module.apiTrapPDU.set_specific_trap(pdu, specific)
    module.apiTrapPDU.set_timestamp(pdu, timestamp)
    module.apiTrapPDU.set_varbinds(pdu, _pysnmp_varbinds(varbinds))
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return pyasn1_encoder.encode(message)


# Our protocol names -> pysnmp's protocol identifiers.
PYSNMP_AUTH = {
    None: hlapi.USM_AUTH_NONE,
    'hmacmd5': hlapi.USM_AUTH_HMAC96_MD5,
    'hmacsha': hlapi.USM_AUTH_HMAC96_SHA,
    'hmcsha2224': hlapi.USM_AUTH_HMAC128_SHA224,
    'hmcsha2256': hlapi.USM_AUTH_HMAC192_SHA256,
    'hmcsha2384': hlapi.USM_AUTH_HMAC256_SHA384,
    'hmcsha2512': hlapi.USM_AUTH_HMAC384_SHA512,
}
PYSNMP_PRIV = {
    None: hlapi.USM_PRIV_NONE,
    'des': hlapi.USM_PRIV_CBC56_DES,
    '3des': hlapi.USM_PRIV_CBC168_3DES,
    'aes': hlapi.USM_PRIV_CFB128_AES,
    'aes192': hlapi.USM_PRIV_CFB192_AES_BLUMENTHAL,
    'aes256': hlapi.USM_PRIV_CFB256_AES_BLUMENTHAL,
    'aes192c': hlapi.USM_PRIV_CFB192_AES,
    'aes256c': hlapi.USM_PRIV_CFB256_AES,
}


async def _send_v3(engine_id, user, port, varbinds):
    # One engine per user: pysnmp caches target parameters per engine.
    engine = hlapi.SnmpEngine(snmpEngineID=rfc1902.OctetString(engine_id))
    try:
        target = await hlapi.UdpTransportTarget.create(
            ('127.0.0.1', port), timeout=0.2, retries=0)
        auth = user.auth_password if user.auth_protocol else None
        priv = user.priv_password if user.priv_protocol else None
        data = hlapi.UsmUserData(
            user.name, auth, priv,
            authProtocol=PYSNMP_AUTH[user.auth_protocol],
            privProtocol=PYSNMP_PRIV[user.priv_protocol])
        notification = hlapi.NotificationType(
            hlapi.ObjectIdentity('1.3.6.1.6.3.1.1.5.3'))
        notification.add_varbinds(*[
            hlapi.ObjectType(hlapi.ObjectIdentity(oid), value)
            for oid, value in varbinds])
        await hlapi.send_notification(
            engine, data, target, hlapi.ContextData(), 'trap',
            notification)
    finally:
        engine.close_dispatcher()


def send_v3_trap(engine_id, user, port, varbinds=()):
    """Send one v3 trap from pysnmp to 127.0.0.1:``port``."""
    asyncio.run(_send_v3(engine_id, user, port, list(varbinds)))


def v3_messages(engine_id, users, varbinds=()):
    """One v3 notification per `usm.UsmUser`, as pysnmp puts it on the wire.

    ``varbinds`` are (oid, pysnmp value) pairs added after sysUpTime.0 and
    snmpTrapOID.0 (linkUp).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(('127.0.0.1', 0))
        sink.settimeout(5)
        datagrams = []
        for user in users:
            send_v3_trap(engine_id, user, sink.getsockname()[1], varbinds)
            datagrams.append(sink.recvfrom(65535)[0])
        return datagrams


ENGINE_ID = bytes.fromhex('80000b3a04626c617374')
# (auth, priv) pairs covering every protocol, and every key extension:
# SHA-1 and MD5 keys are too short for AES-192/256 and 3DES.
V3_PROTOCOLS = [
    (None, None),
    ('hmacmd5', None), ('hmacsha', None), ('hmcsha2224', None),
    ('hmcsha2256', None), ('hmcsha2384', None), ('hmcsha2512', None),
    ('hmacsha', 'des'), ('hmacsha', '3des'), ('hmacsha', 'aes'),
    ('hmacsha', 'aes192'), ('hmacsha', 'aes256'), ('hmacsha', 'aes192c'),
    ('hmacsha', 'aes256c'),
    ('hmacmd5', 'des'), ('hmacmd5', '3des'), ('hmacmd5', 'aes256'),
    ('hmacmd5', 'aes256c'), ('hmcsha2224', 'aes256'),
    ('hmcsha2256', 'aes256'), ('hmcsha2384', 'des'),
    ('hmcsha2512', 'aes192'), ('hmcsha2512', '3des'),
]
V3_PAYLOAD = [('1.3.6.1.4.1.99.2.1', rfc1902.OctetString(b'fan 2 stopped')),
              ('1.3.6.1.4.1.99.2.2', rfc1902.Integer32(3))]

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'fixtures', 'pysnmp_v3_traps.json')


def v3_user(auth, priv):
    return usm.UsmUser('%s-%s' % (auth or 'none', priv or 'none'), auth,
                       'auth-%s-secret' % auth if auth else None, priv,
                       'priv-%s-secret' % priv if priv else None, ENGINE_ID)


def make_v3_fixture(path=FIXTURE):
    """Record pysnmp's datagram for every (auth, priv) of V3_PROTOCOLS.

    pysnmp derives keys slowly, so the datagrams are recorded once (run
    this module to refresh them) and the tests re-derive one live.
    """
    users = [v3_user(auth, priv) for auth, priv in V3_PROTOCOLS]
    datagrams = v3_messages(ENGINE_ID, users, V3_PAYLOAD)
    rows = [{'auth': auth, 'priv': priv, 'datagram': data.hex()}
            for (auth, priv), data in zip(V3_PROTOCOLS, datagrams)]
    with open(path, 'w') as out:
        json.dump({'engine_id': ENGINE_ID.hex(), 'traps': rows}, out,
                  indent=1)
        out.write('\n')


def v3_matrix():
    """[(user, datagram)] recorded from pysnmp for `V3_PROTOCOLS`."""
    with open(FIXTURE) as src:
        fixture = json.load(src)
    assert bytes.fromhex(fixture['engine_id']) == ENGINE_ID
    return [(v3_user(row['auth'], row['priv']),
             bytes.fromhex(row['datagram'])) for row in fixture['traps']]


if __name__ == '__main__':
    make_v3_fixture()
