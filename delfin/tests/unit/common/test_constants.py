"""The vocabulary keeps Delfin's names and values."""
from delfin.common import constants as c


def test_enumerations_list_their_values():
    assert c.StorageStatus.ALL == ('normal', 'offline', 'abnormal',
                                   'degraded', 'unknown')
    assert 'nvme-ssd' in c.DiskPhysicalType.ALL
    assert c.InitiatorType.NVME_OVER_ROCE == 'roce'
    assert c.HostOSTypes.VMWARE_ESX == 'VMware ESX'
    assert c.Severity.ALL[0] == 'Fatal'


def test_metric_struct_and_metric_units():
    m = c.metric_struct(name='iops', labels={'a': 1}, values={1: 2.0})
    assert m.name == 'iops' and m.values == {1: 2.0}
    assert c.VolumeMetric.IOPS.unit == 'IOPS'
    assert c.ControllerMetric.CPU_USAGE.name == 'cpuUsage'
    assert not hasattr(c.DiskMetric, 'IO_SIZE')
    assert not hasattr(c.FileSystemMetric, 'RESPONSE_TIME')
    for metrics in c.CAPABILITY_METRICS.values():
        for name in metrics:
            assert name in c.METRIC_UNITS


def test_protocol_maps_are_built_on_demand():
    from pysnmp.entity import config
    assert c.AUTH_PROTOCOL_MAP['hmcsha2256'] == \
        config.USM_AUTH_HMAC192_SHA256
    assert c.PRIVACY_PROTOCOL_MAP['aes256'] == config.USM_PRIV_CFB256_AES
