"""Traps received while the database is away are stored once it is back:
the alert writer holds its batch, the bounded queues before it fill, and
what the listener cannot queue is counted as dropped.  PostgreSQL is reached
through a TCP proxy of the test, which the test cuts."""
import socket

from delfin.alert_manager import listener as trap_listener
from delfin.alert_manager import processor as alert_processor
from delfin.alert_manager import store as alert_store
from delfin.alert_manager.snmp import decoder
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.tests import conftest
from delfin.tests.functional import tcp_proxy
from delfin.tests.functional.alert_manager import test_worker_prepare

TRAPS = 40


def test_traps_received_while_the_database_is_away_are_stored_after(
        pg_database, make_storage):
    storage = test_worker_prepare.register(make_storage, 'fake_storage',
                                           'fake_driver')
    url = pg_database.url
    proxy = tcp_proxy.TcpProxy(url.host or '127.0.0.1',
                               url.port or 5432).start()
    engine = db_engine.create_engine(url.set(host='127.0.0.1',
                                             port=proxy.port))
    previous = db_engine.set_engine(engine)
    proc = alert_processor.AlertProcessor(alert_store.AlertStore(),
                                          writer=True, linger=0)
    listener = None
    try:
        proc.set_storages(alert_processor.load_storages([storage['id']]))
        credentials = decoder.Credentials([
            decoder.CommunityEntry('127.0.0.1', 'public', storage['id'])])
        listener = trap_listener.TrapListener(
            proc, credentials, '127.0.0.1', 0, processes=0, batch_size=4)
        listener.start()
        proxy.cut()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for number in range(1, TRAPS + 1):
            sock.sendto(test_worker_prepare.v2c_trap('public', number),
                        ('127.0.0.1', listener.port))
        sock.close()
        conftest.wait_for(lambda: proc.held > 0, 10,
                          what='a batch held for the database')
        assert proc.stored == 0
        proxy.restore()
        conftest.wait_for(lambda: proc.stored == TRAPS, 30,
                          what='every trap stored')
        stats = listener.stats()
    finally:
        if listener is not None:
            listener.stop()
        proc.stop(10)
        proxy.cut()
        db_engine.set_engine(previous)
        engine.dispose()
    assert sum(stats['dropped'].values()) == 0, stats['dropped']
    assert proc.write_errors == 0 and proc.held == 0
    rows = db_api.list_rows('alert', filters={'storage_id': storage['id']})
    assert len(rows) == TRAPS
