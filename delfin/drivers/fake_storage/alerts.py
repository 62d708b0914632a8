"""Alerts of a fake storage: the traps it understands and the alerts it holds.

Trap rule.  Any trap becomes an alert:

* ``alert_id`` is the trap OID (variable ``1.3.6.1.6.3.1.1.4.1.0``,
  snmpTrapOID.0, also accepted under its MIB names); a trap without one uses
  its first OID-named variable, and a trap without any OID a digest of its
  content;
* a trap OID ending in the arc ``.999`` (`RECOVERY_ARC`) reports the
  recovery of the alert whose OID is the same without that arc: it yields
  that ``alert_id`` with category ``Recovery``; every other trap is a
  ``Fault``;
* severity and event type follow the last arc of the ``alert_id`` (see
  `SEVERITIES`, `EVENT_TYPES`), so the same trap always gets the same ones;
* the description lists the other variables as ``name=value``;
* ``sequence_number`` is a digest of the trap's variables without the
  uptime stamp and sender address, so a repeated trap keeps its number;
  the storage clears an alert of such a number (it sent the trap), as it
  clears the alerts it holds.

The storage's own alert list (``list_alerts``) uses trap OIDs under
`TRAP_PREFIX`; `make_trap` builds the trap a fake storage would send for one
of them, for tests and samples.
"""
import hashlib

from delfin.common import constants as c
from delfin import exception
from delfin import utils

SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0'
SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0'
_TRAP_OID_KEYS = (SNMP_TRAP_OID, 'snmpTrapOID.0', 'SNMPv2-MIB::snmpTrapOID.0')
_TRAP_OID_SET = frozenset(_TRAP_OID_KEYS)
_UPTIME_KEYS = (SYS_UPTIME_OID, 'sysUpTime.0', 'SNMPv2-MIB::sysUpTime.0')
_ADDRESS_KEYS = ('transport_address', 'storage_id')

# 32473 is the enterprise number reserved for examples (RFC 5612).
TRAP_PREFIX = '1.3.6.1.4.1.32473.1'
RECOVERY_ARC = '999'
_RECOVERY_SUFFIX = '.' + RECOVERY_ARC
# Variables that are not the trap's content: the uptime stamp and the
# sender's address and storage.
_NOT_CONTENT = frozenset(_UPTIME_KEYS + _ADDRESS_KEYS)

SEVERITIES = (c.Severity.CRITICAL, c.Severity.MAJOR, c.Severity.MINOR,
              c.Severity.WARNING, c.Severity.INFORMATIONAL, c.Severity.FATAL)
EVENT_TYPES = (c.EventType.EQUIPMENT_ALARM, c.EventType.COMMUNICATIONS_ALARM,
               c.EventType.PROCESSING_ERROR_ALARM,
               c.EventType.ENVIRONMENTAL_ALARM,
               c.EventType.QUALITY_OF_SERVICE_ALARM)

# Occurrence times of listed alerts count back from this instant
# (2024-01-01T00:00:00Z) so that they are the same on every call.
ALERT_EPOCH_MS = 1704067200000
DESCRIPTION_LIMIT = 1024


def _is_oid(text):
    parts = str(text).strip('.').split('.')
    return len(parts) > 1 and all(p.isdigit() for p in parts)


def _digest(text, size=16):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:size]


def _last_arc(alert_id):
    arc = str(alert_id).rsplit('.', 1)[-1]
    return int(arc) if arc.isdigit() else int(_digest(arc, 8), 16)


def classify(alert_id):
    """(severity, event type) of an alert id, by its last arc."""
    arc = _last_arc(alert_id)
    return SEVERITIES[arc % len(SEVERITIES)], EVENT_TYPES[arc % len(
        EVENT_TYPES)]


def _trap_oid(trap):
    for key in _TRAP_OID_KEYS:
        if trap.get(key):
            return str(trap[key]).strip()
    for key in sorted(trap, key=str):
        if key in _UPTIME_KEYS or key in _ADDRESS_KEYS:
            continue
        if _is_oid(key):
            return str(key).strip()
    return None


def _parse_plan(keys):
    """What `parse` derives from the variable names of a trap alone.

    :param keys: the trap's variable names, all ``str``, in trap order.
    :returns: (content names in sorted order, their ``name=`` prefixes, the
        slice or the indexes of the content pairs that make the details,
        the trap OID names present in `_TRAP_OID_KEYS` order, the OID to
        use when none of them has a value); None when ``keys`` holds no
        content.
    """
    names = sorted(k for k in keys if k not in _NOT_CONTENT)
    if not names:
        return None
    shown = [i for i, k in enumerate(names) if k not in _TRAP_OID_SET]
    if not shown:
        details = slice(0, 0)
    elif shown[-1] - shown[0] + 1 == len(shown):
        details = slice(shown[0], shown[-1] + 1)
    else:
        details = tuple(shown)
    present = set(keys)
    oid_keys = tuple(k for k in _TRAP_OID_KEYS if k in present)
    fallback = None
    for key in sorted(keys):
        if key in _UPTIME_KEYS or key in _ADDRESS_KEYS:
            continue
        if _is_oid(key):
            fallback = key.strip()
            break
    return (names, tuple(k + '=' for k in names), details, oid_keys,
            fallback)


# Parse plans by the tuple of a trap's variable names: a device sends the
# same few variable lists over and over.  Bounded: emptied when full.
_PLANS = {}
_PLANS_MAX = 512
# What follows from an alert id alone (severity, event type, name, match
# key), by alert id; bounded the same way.
_BY_ALERT_ID = {}
_BY_ALERT_ID_MAX = 4096


def _alert_id_facts(alert_id):
    facts = _BY_ALERT_ID.get(alert_id)
    if facts is None:
        facts = classify(alert_id) + ('Fake alert %s' % alert_id,
                                      _digest(alert_id, 32))
        if len(_BY_ALERT_ID) >= _BY_ALERT_ID_MAX:
            _BY_ALERT_ID.clear()
        _BY_ALERT_ID[alert_id] = facts
    return facts


def _parse_slow(trap):
    """`parse` of a trap with variable names that are not all ``str``."""
    items = sorted([(k if k.__class__ is str else str(k),
                     v if v.__class__ is str else str(v))
                    for k, v in trap.items() if k not in _NOT_CONTENT])
    if not items:
        raise exception.IncompleteTrapInformation('fake_storage')
    pairs = [k + '=' + v for k, v in items]
    details = [pair for (key, _), pair in zip(items, pairs)
               if key not in _TRAP_OID_SET]
    return pairs, details, _trap_oid(trap)


def parse(trap):
    """The alert dict of a trap (see the module documentation).

    :param trap: dict of variable name (OID or MIB name) to value, plus
        optional ``transport_address``.
    :raises IncompleteTrapInformation: the trap has no variables.
    """
    # Traps arrive at thousands per second: what depends only on the
    # variable names is worked out once per list of names (`_parse_plan`).
    if not trap:
        raise exception.IncompleteTrapInformation('fake_storage')
    keys = tuple(trap)
    plan = _PLANS.get(keys)
    if plan is None and all(k.__class__ is str for k in keys):
        plan = _parse_plan(keys)
        if plan is None:
            raise exception.IncompleteTrapInformation('fake_storage')
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[keys] = plan
    if plan is None:
        pairs, details, oid = _parse_slow(trap)
    else:
        names, prefixes, shown, oid_keys, oid = plan
        values = [trap[k] for k in names]
        for i, v in enumerate(values):
            if v.__class__ is not str:
                values[i] = str(v)
        pairs = list(map(str.__add__, prefixes, values))
        details = (pairs[shown] if shown.__class__ is slice
                   else [pairs[i] for i in shown])
        for key in oid_keys:
            value = trap[key]
            if value:
                oid = str(value).strip()
                break
    canonical = '\n'.join(pairs)
    category = c.Category.FAULT
    if oid is None:
        alert_id = 'fake_%s' % _digest(canonical, 12)
    else:
        alert_id = oid
        if oid.endswith(_RECOVERY_SUFFIX):
            alert_id = oid[:-len(_RECOVERY_SUFFIX)]
            category = c.Category.RECOVERY
    severity, event_type, name, match_key = _alert_id_facts(alert_id)
    details = '; '.join(details)
    location = trap.get('transport_address')
    return {
        'alert_id': alert_id,
        'alert_name': name,
        'severity': severity,
        'category': category,
        'type': event_type,
        'sequence_number': _digest(canonical),
        'occur_time': utils.utcnow_ms(),
        'description': (details or name)[:DESCRIPTION_LIMIT],
        'recovery_advice': 'None',
        'resource_type': c.DEFAULT_RESOURCE_TYPE,
        'location': location if location.__class__ is str and location
        else str(location or 'fake_storage'),
        'match_key': match_key,
    }


def make_trap(number, recovery=False, **variables):
    """The trap a fake storage sends for its alert ``number``.

    :param recovery: the trap reporting that the alert cleared.
    :param variables: more variables (OID or name to value).
    """
    oid = '%s.%d' % (TRAP_PREFIX, number)
    if recovery:
        oid += '.' + RECOVERY_ARC
    trap = {SYS_UPTIME_OID: '12345', SNMP_TRAP_OID: oid,
            TRAP_PREFIX + '.0.1': 'component_%d' % number,
            TRAP_PREFIX + '.0.2': 'fake condition %d' % number}
    trap.update(variables)
    return trap


def is_trap_sequence_number(sequence_number):
    """Whether ``sequence_number`` has the form `parse` gives a trap's:
    the storage sent that trap, so it knows the alert."""
    text = str(sequence_number)
    return len(text) == 16 and all(ch in '0123456789abcdef' for ch in text)


def held_alerts(seed_int, count):
    """The alerts a fake storage holds: ``count`` faults, newest first."""
    alerts = []
    for j in range(count):
        alert_id = '%s.%d' % (TRAP_PREFIX, j + 1)
        severity, event_type = classify(alert_id)
        alerts.append({
            'alert_id': alert_id,
            'alert_name': 'Fake alert %s' % alert_id,
            'severity': severity,
            'category': c.Category.FAULT,
            'type': event_type,
            'sequence_number': str(100 + j),
            'occur_time': ALERT_EPOCH_MS - (j * 3600 + seed_int % 3600)
            * 1000,
            'description': 'Fake condition %d on component_%d' % (j + 1,
                                                                  j + 1),
            'recovery_advice': 'None',
            'resource_type': c.DEFAULT_RESOURCE_TYPE,
            'location': 'component_%d' % (j + 1),
            'match_key': _digest(alert_id, 32),
        })
    return alerts
