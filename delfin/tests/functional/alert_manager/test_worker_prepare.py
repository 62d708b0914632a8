"""The processor's per-trap work done in a real listener worker process:
the preparer travels to the spawned worker, loads the drivers there, and
the parent only counts and stores what comes back."""
import socket

from oslo_config import cfg

from delfin.alert_manager import listener as trap_listener
from delfin.alert_manager import processor as alert_processor
from delfin.alert_manager import store as alert_store
from delfin.alert_manager.snmp import ber
from delfin.alert_manager.snmp import decoder
from delfin import cryptor
from delfin.db import api as db_api
from delfin.drivers.fake_storage import alerts as fake_alerts
from delfin.tests import conftest

CONF = cfg.CONF


def register(make_storage, vendor, model):
    storage = make_storage()
    db_api.create('access_info', {
        'storage_id': storage['id'], 'vendor': vendor, 'model': model,
        'rest': {'host': '192.0.2.1', 'port': 8443, 'username': 'u',
                 'password': cryptor.encode('p')}})
    return storage


def v2c_trap(community, number):
    binds = [(decoder.SYS_UPTIME_OID, ber.TIMETICKS, number),
             (decoder.SNMP_TRAP_OID_OID, ber.OBJECT_IDENTIFIER,
              '%s.%d' % (fake_alerts.TRAP_PREFIX, number)),
             (fake_alerts.TRAP_PREFIX + '.0.1', ber.OCTET_STRING,
              'component_%d' % number)]
    return ber.encode_community_message(
        1, community.encode(), ber.encode_pdu(ber.TRAP_V2, number, binds))


def test_traps_are_parsed_in_the_worker_and_stored_by_the_parent(
        sqlite_database, make_storage):
    good = register(make_storage, 'fake_storage', 'fake_driver')
    bad = register(make_storage, 'nobody', 'nothing')
    proc = alert_processor.AlertProcessor(alert_store.AlertStore())
    proc.set_storages(alert_processor.load_storages([good['id'],
                                                     bad['id']]))
    batches = []

    def handler(traps):
        batches.append(getattr(traps, 'prepared', None))
        proc.handle(traps)

    credentials = decoder.Credentials([
        decoder.CommunityEntry('127.0.0.1', 'good', good['id']),
        decoder.CommunityEntry('127.0.0.1', 'bad', bad['id'])])
    listener = trap_listener.TrapListener(
        handler, credentials, '127.0.0.1', 0, processes=1,
        prepare=proc.preparer())
    listener.start()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for number, community in ((1, 'good'), (2, 'bad'), (3, 'good')):
            sock.sendto(v2c_trap(community, number),
                        ('127.0.0.1', listener.port))
        sock.close()
        conftest.wait_for(lambda: proc.stored + proc.dropped[
            'parse_failed'] >= 3, what='three traps handled')
    finally:
        listener.stop()
    # The driver that does not exist failed its storage's trap only.
    assert proc.stored == 2 and proc.dropped['parse_failed'] == 1
    assert batches and all(b is not None for b in batches)
    rows = db_api.list_rows('alert', filters={'storage_id': good['id']})
    assert sorted(r['alert_id'] for r in rows) == [
        fake_alerts.TRAP_PREFIX + '.1', fake_alerts.TRAP_PREFIX + '.3']
    assert all(r['location'] == '127.0.0.1' for r in rows)


def handled(svc):
    stats = svc.trap_stats()
    return stats['stored'] + stats['dropped']['parse_failed']


def test_alert_service_parses_in_workers_when_configured(
        sqlite_database, make_storage):
    from delfin.alert_manager import service as alert_service
    good = register(make_storage, 'fake_storage', 'fake_driver')
    bad = register(make_storage, 'nobody', 'nothing')
    for storage, community in ((good, 'good'), (bad, 'bad')):
        db_api.create('alert_source', {
            'storage_id': storage['id'], 'host': '127.0.0.1',
            'version': 'snmpv2c',
            'community_string': cryptor.encode(community)})
    CONF.set_override('parse_in_workers', True, group='alerts')
    CONF.set_override('alert_exporters', [])
    svc = alert_service.AlertService(host='127.0.0.1', port=0, processes=1,
                                     poll=lambda storage_id: None)
    try:
        svc.start()
        assert svc.listener._prepare is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for number, community in ((5, 'good'), (6, 'bad')):
            sock.sendto(v2c_trap(community, number), ('127.0.0.1', svc.port))
        sock.close()
        conftest.wait_for(lambda: handled(svc) >= 2,
                          what='two traps handled')
        stats = svc.trap_stats()
    finally:
        svc.stop(10)
        CONF.clear_override('parse_in_workers', group='alerts')
        CONF.clear_override('alert_exporters')
    assert stats['stored'] == 1 and stats['dropped']['parse_failed'] == 1
    [row] = db_api.list_rows('alert', filters={'storage_id': good['id']})
    assert row['alert_id'] == fake_alerts.TRAP_PREFIX + '.5'
