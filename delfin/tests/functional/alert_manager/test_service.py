"""The alert service component: start failures clean up, and a
delfin-alert process can serve its metrics on a port of its own."""
import socket
import urllib.request

import pytest
from oslo_config import cfg

from delfin.alert_manager import service as alert_service
from delfin.exporter import alert as alert_exporter
from delfin.tests import conftest

CONF = cfg.CONF


def test_busy_port_fails_the_start_and_leaves_nothing_running(
        sqlite_database):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(('127.0.0.1', 0))
    try:
        svc = alert_service.AlertService(host='127.0.0.1',
                                         port=busy.getsockname()[1],
                                         processes=0)
        with pytest.raises(OSError):
            svc.start()
    finally:
        busy.close()
    assert svc.processor._writer is None
    assert alert_exporter.set_dispatcher(None) is None


def test_metrics_port(sqlite_database):
    port = conftest.free_port()
    CONF.set_override('metrics_port', port, group='alerts')
    svc = alert_service.AlertService(host='127.0.0.1', port=0, processes=0)
    svc.start()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(b'not snmp', ('127.0.0.1', svc.port))
        sock.close()
        conftest.wait_for(
            lambda: svc.trap_stats()['dropped']['undecodable'] == 1,
            10, what='the datagram')
        with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                    timeout=5) as resp:
            text = resp.read().decode()
        assert 'delfin_snmp_traps_dropped_total{reason="undecodable"}' in text
    finally:
        svc.stop(5)
