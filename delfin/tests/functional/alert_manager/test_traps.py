"""Traps sent by net-snmp's snmptrap, through the listener, the fake
driver's parse_alert and the alert store, read back over the REST API."""
import os
import random
import socket

import pytest

from delfin.tests import conftest
from delfin.tests.functional.alert_manager.conftest import TRAP_PREFIX


def _engine_id():
    return '80001f8880' + os.urandom(6).hex()


def _one(pipeline, storage_id, what='one alert', **match):
    # Registration also polls the storage's own alerts: look at traps.
    match.setdefault('source', 'trap')

    def found(alerts):
        return [a for a in alerts
                if all(a.get(k) == v for k, v in match.items())]
    return pipeline.wait_alerts(storage_id, found, what=what)


def test_v2c_trap_becomes_a_stored_alert(pipeline):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='v2c-community')
    pipeline.trap(1, community='v2c-community')
    [alert] = _one(pipeline, storage['id'])
    assert alert['alert_id'] == TRAP_PREFIX + '.1'
    assert alert['alert_name'] == 'Fake alert %s.1' % TRAP_PREFIX
    assert alert['category'] == 'Fault'
    assert alert['severity'] in ('Critical', 'Major', 'Minor', 'Warning',
                                 'Informational', 'Fatal')
    assert alert['storage_id'] == storage['id']
    assert alert['storage_name'] == storage['name']
    assert alert['serial_number'] == storage['serial_number']
    assert alert['location'] == '127.0.0.1'
    assert 'component_1' in alert['description']
    assert (alert['state'], alert['source'], alert['occurrence_count']) == \
        ('open', 'trap', 1)
    listed = pipeline.get('/v1/alerts?storage_id=%s&source=trap'
                          % storage['id'])
    assert listed['total'] == 1
    assert listed['alerts'][0]['id'] == alert['id']


def test_v1_trap(pipeline):
    storage = pipeline.register(version='SNMPv1',
                                community_string='v1-community')
    pipeline.trap(7, version='1', community='v1-community')
    [alert] = _one(pipeline, storage['id'])
    # RFC 3584: an enterprise-specific v1 trap is <enterprise>.0.<specific>.
    assert alert['alert_id'] == TRAP_PREFIX + '.0.7'
    assert alert['state'] == 'open'


@pytest.mark.parametrize('level,auth,priv', [
    ('authNoPriv', 'HMACSHA', None),
    ('authNoPriv', 'HMCSHA2512', None),
    ('authPriv', 'HMCSHA2256', 'AES256'),
    ('authPriv', 'HMACSHA', 'AES'),
    ('authPriv', 'HMACMD5', 'DES'),
])
def test_v3_traps(pipeline, level, auth, priv):
    engine_id = _engine_id()
    user = 'u-%s' % os.urandom(3).hex()
    source = {'version': 'SNMPv3', 'username': user, 'security_level': level,
              'auth_protocol': auth, 'auth_key': 'auth-secret-1',
              'engine_id': engine_id}
    if priv:
        source.update(privacy_protocol=priv, privacy_key='priv-secret-1')
    storage = pipeline.register(**source)
    pipeline.trap(3, version='3', user=user, level=level, auth=auth,
                  auth_key='auth-secret-1', priv=priv,
                  priv_key='priv-secret-1', engine_id=engine_id)
    [alert] = _one(pipeline, storage['id'])
    assert alert['alert_id'] == TRAP_PREFIX + '.3'


def test_repeats_count_and_recovery_clears(pipeline):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='repeat-community')
    sid = storage['id']
    for _ in range(3):
        pipeline.trap(5, community='repeat-community')
    [alert] = _one(pipeline, sid, occurrence_count=3)
    assert alert['state'] == 'open'
    assert alert['first_occur_time'] <= alert['last_occur_time']
    pipeline.trap(5, community='repeat-community', recovery=True)
    _one(pipeline, sid, what='the fault cleared', alert_id=alert['alert_id'],
         category='Fault', state='cleared')
    cleared = pipeline.get('/v1/alerts?storage_id=%s&state=cleared'
                           '&category=Fault&source=trap' % sid)['alerts']
    assert [a['id'] for a in cleared] == [alert['id']]
    assert cleared[0]['cleared_at'] is not None
    # The condition comes back: the same alert reopens.
    pipeline.trap(5, community='repeat-community')
    [again] = _one(pipeline, sid, category='Fault', state='open')
    assert again['id'] == alert['id']
    assert again['occurrence_count'] == 4


def test_inform_is_stored_and_acknowledged(pipeline):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='inform-community')
    pipeline.trap(9, community='inform-community', inform=True)
    _one(pipeline, storage['id'])


def test_wrong_secrets_are_dropped_and_counted(pipeline):
    engine_id = _engine_id()
    v2c = pipeline.register(version='SNMPv2c', community_string='right-one')
    v3 = pipeline.register(
        version='SNMPv3', username='guarded', security_level='authPriv',
        auth_protocol='HMCSHA2256', auth_key='right-auth-key',
        privacy_protocol='AES256', privacy_key='right-priv-key',
        engine_id=engine_id)
    before = {r: pipeline.dropped(r) for r in
              ('bad_community', 'auth_failed', 'decrypt_failed')}
    pipeline.trap(1, community='wrong-one')
    pipeline.trap(1, version='3', user='guarded', auth='HMCSHA2256',
                  auth_key='wrong-auth-key', priv='AES256',
                  priv_key='right-priv-key', engine_id=engine_id)
    pipeline.trap(1, version='3', user='guarded', auth='HMCSHA2256',
                  auth_key='right-auth-key', priv='AES256',
                  priv_key='wrong-priv-key', engine_id=engine_id)
    for reason in before:
        pipeline.wait_dropped(reason, before[reason] + 1)
    assert pipeline.storage_alerts(v2c['id'], '?source=trap') == []
    assert pipeline.storage_alerts(v3['id'], '?source=trap') == []
    text = pipeline.metrics()
    for reason in before:
        assert 'delfin_snmp_traps_dropped_total{reason="%s"}' % reason in text
        assert pipeline.metric('delfin_snmp_traps_dropped_total',
                               reason=reason) >= before[reason] + 1
    assert pipeline.metric('delfin_snmp_traps_received_total') >= 3


def test_source_host_is_matched_exactly(pipeline):
    # 127.0.0.1 is a substring of 127.0.0.10 and 127.0.0.100.
    near = pipeline.register(version='SNMPv2c', community_string='exact',
                             host='127.0.0.1')
    far = pipeline.register(version='SNMPv2c', community_string='exact',
                            host='127.0.0.10,127.0.0.11')
    unknown = pipeline.dropped('unknown_source')
    pipeline.trap(11, community='exact', client='127.0.0.10')
    pipeline.trap(12, community='exact', client='127.0.0.11')
    pipeline.trap(13, community='exact', client='127.0.0.100')
    pipeline.wait_dropped('unknown_source', unknown + 1)
    far_alerts = pipeline.wait_alerts(
        far['id'], lambda a: [x for x in a if x['source'] == 'trap']
        if len([x for x in a if x['source'] == 'trap']) == 2 else None)
    assert {a['location'] for a in far_alerts} == {'127.0.0.10',
                                                   '127.0.0.11'}
    assert pipeline.storage_alerts(near['id'], '?source=trap') == []


def test_v3_user_is_bound_to_its_source_host(pipeline):
    engine_id = _engine_id()
    storage = pipeline.register(
        version='SNMPv3', username='bound', security_level='authNoPriv',
        auth_protocol='HMACSHA', auth_key='bound-auth-key',
        engine_id=engine_id, host='127.0.0.20')
    unknown = pipeline.dropped('unknown_source')
    pipeline.trap(1, version='3', user='bound', level='authNoPriv',
                  auth='HMACSHA', auth_key='bound-auth-key',
                  engine_id=engine_id, client='127.0.0.21')
    pipeline.wait_dropped('unknown_source', unknown + 1)
    pipeline.trap(2, version='3', user='bound', level='authNoPriv',
                  auth='HMACSHA', auth_key='bound-auth-key',
                  engine_id=engine_id, client='127.0.0.20')
    [alert] = _one(pipeline, storage['id'])
    assert alert['alert_id'] == TRAP_PREFIX + '.2'


def test_snmp_config_change_applies_without_restart(pipeline):
    host = '127.0.0.40'
    storage = pipeline.register(version='SNMPv2c', community_string='old',
                                host=host)
    sid = storage['id']
    pipeline.trap(1, community='old', client=host)
    _one(pipeline, sid)
    pipeline.configure(sid, version='SNMPv2c', community_string='new',
                       host=host)
    bad = pipeline.dropped('bad_community')
    pipeline.trap(2, community='old', client=host)
    pipeline.wait_dropped('bad_community', bad + 1)
    pipeline.trap(3, community='new', client=host)
    pipeline.wait_alerts(
        sid, lambda a: len([x for x in a if x['source'] == 'trap']) == 2)
    resp = pipeline.request('DELETE', '/v1/storages/%s/snmp-config' % sid)
    assert resp.status_int == 200
    pipeline.wait_sources()
    unknown = pipeline.dropped('unknown_source')
    pipeline.trap(4, community='new', client=host)
    pipeline.wait_dropped('unknown_source', unknown + 1)


def test_deleted_storage_is_forgotten(pipeline):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='doomed', host='127.0.0.30')
    pipeline.trap(1, community='doomed', client='127.0.0.30')
    _one(pipeline, storage['id'])
    resp = pipeline.request('DELETE', '/v1/storages/%s' % storage['id'])
    assert resp.status_int == 202
    conftest.wait_for(
        lambda: pipeline.request(
            'GET', '/v1/storages/%s' % storage['id']).status_int == 404,
        what='storage removal')
    pipeline.wait_sources()
    unknown = pipeline.dropped('unknown_source')
    pipeline.trap(2, community='doomed', client='127.0.0.30')
    pipeline.wait_dropped('unknown_source', unknown + 1)
    assert pipeline.get('/v1/alerts?storage_id=%s' % storage['id'])[
        'total'] == 0


def _garbage(rng, valid):
    kind = rng.randrange(6)
    if kind == 0:
        return os.urandom(rng.randrange(1, 1400))
    if kind == 1:
        return valid[:rng.randrange(1, len(valid))]
    if kind == 2:
        # A SEQUENCE claiming a huge length.
        return b'\x30\x84\x7f\xff\xff\xff' + os.urandom(20)
    if kind == 3:
        # Deeply nested constructed values.
        depth = rng.randrange(100, 500)
        return b'\x30\x82\x10\x00' * depth
    if kind == 4:
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    return b''


def test_malformed_datagrams_leave_the_listener_alive(pipeline):
    storage = pipeline.register(version='SNMPv2c',
                                community_string='hardened')
    from delfin.alert_manager.snmp import ber
    from delfin.alert_manager.snmp import decoder
    pdu = ber.encode_pdu(ber.TRAP_V2, 1, [
        (decoder.SYS_UPTIME_OID, ber.TIMETICKS, 1),
        (decoder.SNMP_TRAP_OID_OID, ber.OBJECT_IDENTIFIER,
         TRAP_PREFIX + '.42')])
    valid = ber.encode_community_message(1, 'hardened', pdu)
    rng = random.Random(1234)
    before = pipeline.alerts.trap_stats()['received']
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _ in range(5000):
            sock.sendto(_garbage(rng, valid),
                        ('127.0.0.1', pipeline.alerts.port))
    finally:
        sock.close()
    conftest.wait_for(
        lambda: pipeline.alerts.trap_stats()['received'] >= before + 4000,
        what='garbage received')
    pipeline.trap(42, community='hardened')
    [alert] = _one(pipeline, storage['id'], alert_id=TRAP_PREFIX + '.42')
    assert alert['state'] == 'open'
    assert pipeline.metric('delfin_snmp_traps_dropped_total',
                           reason='undecodable') > 1000
    assert pipeline.alerts.trap_stats()['worker_restarts'] == 0
