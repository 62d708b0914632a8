"""Performance of the Swordfish driver on recorded answers: which sets
offer metrics, and rates made from two readings of I/O counters."""
import json
import os
import shutil
import time

import pytest

from delfin.common import constants
from delfin.drivers.swordfish import client as sf_client
from delfin.drivers.swordfish import driver as sf_driver
from delfin.drivers.swordfish import performance
from delfin.sdk import conformance

VOLUME_METRICS = ('/redfish/v1/Systems/Sys-1/Storage/'
                  'DirectAttachStorageSystem/Volumes/Volume1/Metrics')


@pytest.fixture(autouse=True)
def secret_key():
    with conformance.ephemeral_secret_key():
        yield


def _driver(replay):
    return sf_driver.SwordfishDriver(
        storage_id='storage-1',
        rest={'host': '127.0.0.1', 'port': 1, 'username': 'u',
              'password': None},
        extra_attributes={'replay': replay})


@pytest.mark.parametrize('name,types', [
    ('midrange', None),
    ('filesystem', None),
    ('service-based', {'storagePool', 'volume'}),
    ('direct-attach', {'volume'}),
])
def test_metrics_are_offered_where_the_service_has_io_statistics(name,
                                                                 types):
    spec = _driver(name).get_capabilities(None)
    if types is None:
        assert spec is None
        return
    assert spec['is_historic'] is False
    assert set(spec['resource_metrics']) == types
    assert set(spec['resource_metrics'].get('volume', {})) == \
        set(performance.VOLUME_METRICS)


def test_rates_come_from_the_difference_of_two_readings(tmp_path):
    folder = tmp_path / 'direct-attach'
    shutil.copytree(os.path.join(sf_client.FIXTURES, 'direct-attach'),
                    folder)
    driver = _driver(str(folder))
    wanted = driver.get_capabilities(None)['resource_metrics']
    now = int(time.time() * 1000)
    # The first reading only sets the baseline.
    assert driver.collect_perf_metrics(None, 'storage-1', wanted,
                                       now - 60000, now + 60000) == []

    path = folder / sf_client.fixture_name('GET', VOLUME_METRICS)
    recorded = json.loads(path.read_text())
    stats = recorded['body']['IOStatistics']
    stats['ReadIORequests'] += 1000
    stats['ReadHitIORequests'] += 250
    stats['ReadIOKiBytes'] += 8000
    stats['ReadIORequestTime'] = 'PT20S'     # 2 s more over 1000 reads
    path.write_text(json.dumps(recorded))
    time.sleep(0.05)
    metrics = driver.collect_perf_metrics(None, 'storage-1', wanted,
                                          now - 60000, now + 60000)
    by_name = {m.name: m for m in metrics}
    assert set(by_name) == set(performance.VOLUME_METRICS)
    value = {name: list(m.values.values())[0] for name, m in by_name.items()}
    assert value['readIoSize'] == 8.0
    assert value['readCacheHitRatio'] == 25.0
    assert value['readResponseTime'] == 2.0
    assert value['writeIops'] == 0.0
    assert value['readIops'] > 0
    label = by_name['readIops'].labels
    assert label['resource_type'] == constants.ResourceType.VOLUME
    assert label['resource_id'] == VOLUME_METRICS[:-len('/Metrics')]
    assert label['unit'] == 'IOPS'

    # Counters that went back (a restart) start a new baseline.
    stats['ReadIORequests'] -= 5000
    path.write_text(json.dumps(recorded))
    assert driver.collect_perf_metrics(None, 'storage-1', wanted,
                                       now - 60000, now + 60000) == []


@pytest.mark.parametrize('text,ms', [
    ('PT18S', 18000.0), ('P18S', 18000.0), ('PT1M0.5S', 60500.0),
    ('P1DT1H', 90000000.0), (3, 3000.0), ('soon', None), ('P', None),
])
def test_iso_durations(text, ms):
    assert performance.duration_ms(text) == ms
