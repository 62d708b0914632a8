"""From a datagram to a `Trap`: decode, authenticate, normalise.

`decode_trap` takes the bytes of one UDP datagram and its source address and
returns a `Trap`, or raises `TrapRejected` whose ``reason`` is one of
`Reason.ALL`.  Who may send what is a `Credentials` value: the communities
accepted from each source host (v1/v2c) and the SNMPv3 users, looked up by
(authoritative engine id, user name).  `Credentials` never change once
built; a new configuration is a new value swapped in by the listener.

Every trap gets a trap OID: v2c/v3 carry ``snmpTrapOID.0``; for v1 it is
derived as RFC 3584 section 3.1 says (``snmpTraps.<generic+1>`` for the
generic traps, ``<enterprise>.0.<specific>`` for enterprise-specific ones),
and the varbinds are translated the same way (sysUpTime.0, snmpTrapOID.0,
snmpTrapAddress.0, snmpTrapEnterprise.0, then the trap's own; the community
is not copied into the varbinds, it is a secret).

Checks run cheapest first, so a flood of foreign traffic costs little:

* ``undecodable``: the framing is not an SNMP message (see `ber`), or the
  PDU of an authenticated message is not well-formed BER;
* ``unknown_source``: v1/v2c from a host with no community configured, or a
  v3 user configured for other hosts only;
* ``bad_community``: a community not configured for that host;
* ``auth_failed``: v3 user unknown for that engine id, security level other
  than the user's, wrong digest, or a message outside the time window;
* ``decrypt_failed``: v3 privacy parameters malformed, or the plaintext is
  not a ScopedPDU (the usual sign of a wrong privacy passphrase);
* ``parse_failed``: a well-formed message that is not a notification
  (wrong PDU type, no snmpTrapOID.0, v1 generic-trap out of range).

``queue_full`` is the listener's own reason, listed here so that the set of
reasons lives in one place.
"""
import ipaddress
import time
from dataclasses import dataclass, field, fields

from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import usm
from delfin.common.constants import SecurityLevel


class Reason(object):
    """Why a datagram was dropped."""
    UNDECODABLE = 'undecodable'
    UNKNOWN_SOURCE = 'unknown_source'
    BAD_COMMUNITY = 'bad_community'
    AUTH_FAILED = 'auth_failed'
    DECRYPT_FAILED = 'decrypt_failed'
    PARSE_FAILED = 'parse_failed'
    QUEUE_FULL = 'queue_full'

    ALL = (UNDECODABLE, UNKNOWN_SOURCE, BAD_COMMUNITY, AUTH_FAILED,
           DECRYPT_FAILED, PARSE_FAILED, QUEUE_FULL)


class TrapRejected(Exception):
    """A datagram was not accepted; ``reason`` is one of `Reason.ALL`."""

    def __init__(self, reason, detail=''):
        super().__init__('%s: %s' % (reason, detail) if detail else reason)
        self.reason = reason
        self.detail = detail


SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0'
SNMP_TRAP_OID_OID = '1.3.6.1.6.3.1.1.4.1.0'
SNMP_TRAP_ADDRESS_OID = '1.3.6.1.6.3.18.1.3.0'
SNMP_TRAP_ENTERPRISE_OID = '1.3.6.1.6.3.1.1.4.3.0'
# RFC 3584 3.1: generic-trap n (0..5) becomes snmpTraps.(n+1).
_SNMP_TRAPS_PREFIX = '1.3.6.1.6.3.1.1.5.'
_ENTERPRISE_SPECIFIC = 6


@dataclass(slots=True)
class Trap:
    """One accepted notification.

    ``varbinds`` maps dotted OIDs to text values in message order, the
    shape Delfin drivers' ``parse_alert`` receives.  ``owners`` are the
    owner values of the `Credentials` entries that admitted the trap (for
    example the storages whose alert source matched).  Treat a Trap as
    immutable.
    """
    version: str                    # 'v1' | 'v2c' | 'v3'
    source_ip: str
    source_port: int
    trap_oid: str
    varbinds: dict
    pdu_type: str = 'trap'          # 'trap' | 'inform'
    uptime: int = None              # sysUpTime.0 / v1 time-stamp, 1/100 s
    owners: tuple = ()
    received_at: float = 0.0        # seconds since the epoch
    request_id: int = None
    community: str = field(default=None, repr=False)
    user: str = None
    engine_id: str = None           # hex of msgAuthoritativeEngineID
    security_level: str = None      # constants.SecurityLevel value
    context_engine_id: str = None   # hex
    context_name: str = None
    agent_address: str = None       # v1 agent-addr
    enterprise: str = None          # v1 enterprise
    generic_trap: int = None
    specific_trap: int = None

    def __reduce__(self):
        # Crosses process boundaries in bulk: pickle as a constructor call.
        return (Trap, tuple(getattr(self, name) for name in _TRAP_FIELDS))


_TRAP_FIELDS = tuple(f.name for f in fields(Trap))


@dataclass(frozen=True)
class CommunityEntry:
    """A v1/v2c community accepted from one source host."""
    host: str
    community: str = field(repr=False)
    owner: object = None


@dataclass(frozen=True)
class UserEntry:
    """An SNMPv3 user, accepted from ``hosts`` (None: from any host)."""
    user: usm.UsmUser
    hosts: tuple = None
    owner: object = None


def normalize_host(host):
    """Canonical text of an IP address literal; IPv4-mapped IPv6 as IPv4."""
    address = ipaddress.ip_address(host.strip().strip('[]'))
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


class Credentials(object):
    """Who may send traps.  Immutable once built.

    ``communities`` is an iterable of `CommunityEntry`, ``users`` of
    `UserEntry` (or bare `usm.UsmUser`, accepted from any host).  Hosts are
    IP address literals; names must be resolved by the caller.  With
    ``check_time_window`` false, v3 replay protection is off (for senders
    that reset their engineBoots).
    """

    def __init__(self, communities=(), users=(), check_time_window=True):
        self.check_time_window = check_time_window
        # host -> {community bytes -> owners}
        by_host = {}
        for entry in communities:
            owners = by_host.setdefault(normalize_host(entry.host), {})
            owners.setdefault(usm.as_bytes(entry.community), []).append(
                entry.owner)
        self._communities = {
            host: {community: tuple(owners)
                   for community, owners in table.items()}
            for host, table in by_host.items()}
        # (engine id or None, user name bytes) -> [(user, hosts, owner)]
        self._users = {}
        for entry in users:
            if isinstance(entry, usm.UsmUser):
                entry = UserEntry(entry)
            hosts = None
            if entry.hosts is not None:
                hosts = frozenset(normalize_host(h) for h in entry.hosts)
            key = (entry.user.engine_id, usm.as_bytes(entry.user.name))
            self._users.setdefault(key, []).append(
                (entry.user, hosts, entry.owner))

    def __repr__(self):
        return '<Credentials: %d hosts with communities, %d v3 users>' % (
            len(self._communities), len(self._users))

    def communities(self, host):
        """{community: owners} accepted from ``host``, or None."""
        return self._communities.get(host)

    def users(self, engine_id, name):
        """Candidate (user, hosts, owner) for an engine id and user name.

        Users bound to that engine id come first, then users configured
        without an engine id.
        """
        exact = self._users.get((engine_id, name), ())
        wildcard = self._users.get((None, name), ())
        if not wildcard:
            return exact
        return list(exact) + list(wildcard)


def _source_host(address):
    host = address[0]
    if host.startswith('::ffff:') and '.' in host:
        return host[7:]
    return host


def _check_notification_tag(tag):
    if tag != ber.TRAP_V2 and tag != ber.INFORM_REQUEST:
        raise TrapRejected(Reason.PARSE_FAILED,
                           'PDU 0x%02x is not a notification' % tag)


def _notification(pdu):
    """(trap OID, uptime, varbinds dict) of a v2 notification PDU."""
    varbinds = pdu.varbinds
    # RFC 3416 puts sysUpTime.0 first and snmpTrapOID.0 second; look there
    # before searching.
    if len(varbinds) > 1:
        first, second = varbinds[0], varbinds[1]
        if (second[0] == SNMP_TRAP_OID_OID
                and second[1] == ber.OBJECT_IDENTIFIER
                and first[0] == SYS_UPTIME_OID
                and first[1] == ber.TIMETICKS):
            return second[2], int(first[2]), {
                name: text for name, _, text in varbinds}
    if (len(varbinds) > 1 and varbinds[1][0] == SNMP_TRAP_OID_OID
            and varbinds[1][1] == ber.OBJECT_IDENTIFIER):
        trap_oid = varbinds[1][2]
    else:
        trap_oid = next((text for name, tag, text in varbinds
                         if name == SNMP_TRAP_OID_OID
                         and tag == ber.OBJECT_IDENTIFIER), None)
        if trap_oid is None:
            raise TrapRejected(Reason.PARSE_FAILED, 'no snmpTrapOID.0')
    if (varbinds[0][0] == SYS_UPTIME_OID
            and varbinds[0][1] == ber.TIMETICKS):
        uptime = int(varbinds[0][2])
    else:
        uptime = next((int(text) for name, tag, text in varbinds
                       if name == SYS_UPTIME_OID and tag == ber.TIMETICKS),
                      None)
    return trap_oid, uptime, {name: text for name, _, text in varbinds}


def _pdu_type(tag):
    return 'inform' if tag == ber.INFORM_REQUEST else 'trap'


def decode_trap(data, source, credentials, engine_times=None,
                received_at=None):
    """Decode and authenticate one datagram from ``source`` (host, port).

    ``engine_times`` (a `usm.EngineTimes`) carries v3 timeliness state
    between calls; without it no time window is applied.  ``received_at``
    (seconds since the epoch) defaults to now.  Returns a `Trap`; raises
    `TrapRejected`.
    """
    try:
        msg = ber.decode_message(data)
    except ber.DecodeError as exc:
        raise TrapRejected(Reason.UNDECODABLE, str(exc)) from None
    host = source[0]
    if host.startswith('::ffff:'):
        host = _source_host(source)
    if received_at is None:
        received_at = time.time()
    if msg.__class__ is ber.CommunityMessage:
        return _community_trap(data, msg, host, source[1], credentials,
                               received_at)
    return _v3_trap(data, msg, host, source[1], credentials, engine_times,
                    received_at)


def _community_trap(data, msg, host, port, credentials, received_at):
    version, community, tag, start, end = msg
    accepted = credentials.communities(host)
    if accepted is None:
        raise TrapRejected(Reason.UNKNOWN_SOURCE, host)
    owners = accepted.get(community)
    if owners is None:
        raise TrapRejected(Reason.BAD_COMMUNITY, host)
    community = community.decode('utf-8', 'replace')
    try:
        if version == 0:
            if tag != ber.TRAP_V1:
                raise TrapRejected(Reason.PARSE_FAILED, 'v1 PDU 0x%02x is '
                                   'not a Trap-PDU' % tag)
            return _v1_trap(ber.decode_trap_v1(data, start, end),
                            host, port, owners, community, received_at)
        if tag != ber.TRAP_V2:
            _check_notification_tag(tag)
        pdu = ber.decode_pdu(data, tag, start, end)
    except ber.DecodeError as exc:
        raise TrapRejected(Reason.UNDECODABLE, str(exc)) from None
    trap_oid, uptime, varbinds = _notification(pdu)
    return Trap('v2c', host, port, trap_oid, varbinds,
                'trap' if tag == ber.TRAP_V2 else 'inform', uptime, owners,
                received_at, pdu.request_id, community)


def _v1_trap(pdu, host, port, owners, community, received_at):
    generic = pdu.generic_trap
    if generic == _ENTERPRISE_SPECIFIC:
        trap_oid = '%s.0.%d' % (pdu.enterprise, pdu.specific_trap)
    elif 0 <= generic < _ENTERPRISE_SPECIFIC:
        trap_oid = _SNMP_TRAPS_PREFIX + str(generic + 1)
    else:
        raise TrapRejected(Reason.PARSE_FAILED,
                           'generic-trap %d out of range' % generic)
    varbinds = {
        SYS_UPTIME_OID: str(pdu.timestamp),
        SNMP_TRAP_OID_OID: trap_oid,
        SNMP_TRAP_ADDRESS_OID: pdu.agent_addr,
        SNMP_TRAP_ENTERPRISE_OID: pdu.enterprise,
    }
    for name, _, text in pdu.varbinds:
        varbinds[name] = text
    # Positional arguments (user .. context_name are None): a Trap per
    # datagram is on the hot path.
    return Trap('v1', host, port, trap_oid, varbinds, 'trap', pdu.timestamp,
                owners, received_at, None, community, None, None, None, None,
                None, pdu.agent_addr, pdu.enterprise, generic,
                pdu.specific_trap)


def _v3_trap(data, msg, host, port, credentials, engine_times, received_at):
    candidates = credentials.users(msg.engine_id, msg.user)
    if not candidates:
        raise TrapRejected(Reason.AUTH_FAILED, 'unknown user or engine id')
    security = msg.flags & (ber.FLAG_AUTH | ber.FLAG_PRIV)
    matched = None
    failure = None
    for user, hosts, _ in candidates:
        if hosts is not None and host not in hosts:
            continue
        if user.flags != security:
            failure = (Reason.AUTH_FAILED,
                       'security level differs from the user')
            continue
        keys = user.keys(msg.engine_id)
        if security:
            try:
                usm.authenticate(user, keys, msg, data)
            except usm.AuthenticationError as exc:
                failure = (Reason.AUTH_FAILED, str(exc))
                continue
        matched = (user, keys)
        break
    if matched is None:
        raise TrapRejected(*(failure or (Reason.UNKNOWN_SOURCE, host)))
    user, keys = matched
    if (security and engine_times is not None
            and credentials.check_time_window
            and not engine_times.accept(msg.engine_id, msg.engine_boots,
                                        msg.engine_time)):
        raise TrapRejected(Reason.AUTH_FAILED, 'not in time window')
    if len(candidates) == 1:
        owners = (candidates[0][2],)
    else:
        # Every entry that admits this host with the same secrets shares
        # the trap (several storages can sit behind one managing host).
        owners = tuple(owner for other, hosts, owner in candidates
                       if (hosts is None or host in hosts)
                       and (other is user or other.same_secrets(user)))

    if msg.encrypted:
        try:
            plaintext = usm.decrypt(user, keys, msg, data)
            scoped = ber.decode_decrypted_scoped_pdu(plaintext)
        except (usm.DecryptionError, ber.DecodeError) as exc:
            raise TrapRejected(Reason.DECRYPT_FAILED, str(exc)) from None
        _check_notification_tag(scoped.pdu_tag)
        try:
            pdu = ber.decode_pdu(plaintext, scoped.pdu_tag, scoped.pdu_start,
                                 scoped.pdu_end)
        except ber.DecodeError as exc:
            raise TrapRejected(Reason.DECRYPT_FAILED, str(exc)) from None
    else:
        try:
            scoped = ber.decode_scoped_pdu(data, msg.data_start, msg.data_end)
            _check_notification_tag(scoped.pdu_tag)
            pdu = ber.decode_pdu(data, scoped.pdu_tag, scoped.pdu_start,
                                 scoped.pdu_end)
        except ber.DecodeError as exc:
            raise TrapRejected(Reason.UNDECODABLE, str(exc)) from None
    trap_oid, uptime, varbinds = _notification(pdu)
    return Trap('v3', host, port, trap_oid, varbinds, _pdu_type(pdu.tag),
                uptime, owners, received_at, pdu.request_id,
                user=msg.user.decode('utf-8', 'replace'),
                engine_id=msg.engine_id.hex(),
                security_level=_LEVELS[security],
                context_engine_id=scoped.context_engine_id.hex(),
                context_name=scoped.context_name.decode('utf-8', 'replace'))


_LEVELS = {
    0: SecurityLevel.NOAUTHNOPRIV,
    ber.FLAG_AUTH: SecurityLevel.AUTHNOPRIV,
    ber.FLAG_AUTH | ber.FLAG_PRIV: SecurityLevel.AUTHPRIV,
}
