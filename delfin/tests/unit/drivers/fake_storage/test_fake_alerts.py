"""The fake driver's trap rule (`alerts.parse`) against a plain statement
of it, and the caches that make it fast."""
import hashlib
import random

import pytest

from delfin.common import constants as c
from delfin import exception
from delfin.drivers.fake_storage import alerts


def _digest(text, size=16):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:size]


def reference_parse(trap, now):
    """The trap rule of the module docstring, written plainly (no plans,
    no caches): what `alerts.parse` must return."""
    if not trap:
        raise exception.IncompleteTrapInformation('fake_storage')
    skip = set(alerts._UPTIME_KEYS + alerts._ADDRESS_KEYS)
    items = sorted((str(k), str(v)) for k, v in trap.items()
                   if k not in skip)
    if not items:
        raise exception.IncompleteTrapInformation('fake_storage')
    canonical = '\n'.join('%s=%s' % kv for kv in items)
    oid = None
    for key in alerts._TRAP_OID_KEYS:
        if trap.get(key):
            oid = str(trap[key]).strip()
            break
    else:
        for key in sorted(trap, key=str):
            if key in skip:
                continue
            parts = str(key).strip('.').split('.')
            if len(parts) > 1 and all(p.isdigit() for p in parts):
                oid = str(key).strip()
                break
    category = c.Category.FAULT
    if oid is None:
        alert_id = 'fake_%s' % _digest(canonical, 12)
    else:
        alert_id = oid
        if oid.endswith('.' + alerts.RECOVERY_ARC):
            alert_id = oid[:-len(alerts.RECOVERY_ARC) - 1]
            category = c.Category.RECOVERY
    arc = alert_id.rsplit('.', 1)[-1]
    number = int(arc) if arc.isdigit() else int(_digest(arc, 8), 16)
    name = 'Fake alert %s' % alert_id
    details = '; '.join('%s=%s' % (k, v) for k, v in items
                        if k not in alerts._TRAP_OID_SET)
    return {
        'alert_id': alert_id,
        'alert_name': name,
        'severity': alerts.SEVERITIES[number % len(alerts.SEVERITIES)],
        'category': category,
        'type': alerts.EVENT_TYPES[number % len(alerts.EVENT_TYPES)],
        'sequence_number': _digest(canonical),
        'occur_time': now,
        'description': (details or name)[:alerts.DESCRIPTION_LIMIT],
        'recovery_advice': 'None',
        'resource_type': c.DEFAULT_RESOURCE_TYPE,
        'location': str(trap.get('transport_address') or 'fake_storage'),
        'match_key': _digest(alert_id, 32),
    }


class _Text(str):
    """A str subclass, as some MIB libraries hand out."""


def _random_trap(rnd):
    """A trap of the kinds devices and tests send, names in any order."""
    prefix = alerts.TRAP_PREFIX
    trap = {}
    choice = rnd.random()
    arc = rnd.choice(['7', '12', '999', 'x', '%d' % rnd.randrange(10 ** 6)])
    oid = '%s.%s' % (prefix, arc)
    if rnd.random() < 0.2:
        oid += '.' + alerts.RECOVERY_ARC
    if choice < 0.5:
        trap[alerts.SNMP_TRAP_OID] = oid
    elif choice < 0.6:
        trap['snmpTrapOID.0'] = oid
    elif choice < 0.65:
        trap['SNMPv2-MIB::snmpTrapOID.0'] = ' %s ' % oid
    elif choice < 0.75:
        # Present but empty: the next rule applies.
        trap[alerts.SNMP_TRAP_OID] = rnd.choice(['', None, 0])
    if rnd.random() < 0.7:
        trap[rnd.choice(alerts._UPTIME_KEYS)] = str(rnd.randrange(10 ** 6))
    for n in range(rnd.randrange(0, 5)):
        key = rnd.choice(['%s.0.%d' % (prefix, n + 1), 'text%d' % n,
                          '.1.3.6.1.4.1.5.%d' % n, 'ifName.%d' % n])
        value = rnd.choice(['component_%d' % n, '', 'x' * 700,
                            rnd.randrange(100), 'a=b; c', None])
        trap[key] = value
    if rnd.random() < 0.1:
        trap[7] = 'an integer name'
    if rnd.random() < 0.05:
        trap[_Text('1.3.6.1.4.1.5.9')] = _Text('subclassed')
    if rnd.random() < 0.8:
        trap['transport_address'] = rnd.choice(['192.0.2.1', '', None])
    if rnd.random() < 0.5:
        trap['storage_id'] = 'storage-1'
    items = list(trap.items())
    rnd.shuffle(items)
    return dict(items)


def test_parse_follows_the_trap_rule_on_varied_traps(monkeypatch):
    monkeypatch.setattr(alerts.utils, 'utcnow_ms', lambda: 1234567890123)
    rnd = random.Random(4)
    checked = 0
    for _ in range(3000):
        trap = _random_trap(rnd)
        try:
            expected = reference_parse(trap, 1234567890123)
        except exception.IncompleteTrapInformation:
            with pytest.raises(exception.IncompleteTrapInformation):
                alerts.parse(trap)
            continue
        # Twice: the second call meets the caches the first one filled.
        assert alerts.parse(trap) == expected, trap
        assert alerts.parse(dict(trap)) == expected, trap
        checked += 1
    assert checked > 2000


def test_parse_of_the_same_names_with_other_values(monkeypatch):
    monkeypatch.setattr(alerts.utils, 'utcnow_ms', lambda: 1)
    one = alerts.make_trap(5)
    other = alerts.make_trap(6)
    assert list(one) == list(other)
    for trap in (one, other, one, dict(other, **{alerts.SNMP_TRAP_OID: ''})):
        assert alerts.parse(trap) == reference_parse(trap, 1)
    assert alerts.parse(one) != alerts.parse(other)


def test_parse_caches_stay_bounded(monkeypatch):
    monkeypatch.setattr(alerts, '_PLANS_MAX', 3)
    monkeypatch.setattr(alerts, '_BY_ALERT_ID_MAX', 5)
    monkeypatch.setattr(alerts, '_PLANS', {})
    monkeypatch.setattr(alerts, '_BY_ALERT_ID', {})
    monkeypatch.setattr(alerts.utils, 'utcnow_ms', lambda: 1)
    for n in range(40):
        trap = alerts.make_trap(n, **{'extra.%d' % (n % 7): 'v'})
        assert alerts.parse(trap) == reference_parse(trap, 1)
        assert len(alerts._PLANS) <= 3
        assert len(alerts._BY_ALERT_ID) <= 5
    assert alerts._PLANS and alerts._BY_ALERT_ID


def test_parse_without_content_is_incomplete():
    for trap in ({}, {alerts.SYS_UPTIME_OID: '1'},
                 {'transport_address': '192.0.2.1', 'storage_id': 's',
                  'sysUpTime.0': '5'}):
        for _ in range(2):
            with pytest.raises(exception.IncompleteTrapInformation):
                alerts.parse(trap)
