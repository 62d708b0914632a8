"""Fixtures of the driver-layer tests.

``sample_entry_points`` publishes the drivers of ``samples`` (and two
broken entry points) in the ``delfin.storage.drivers`` namespace through a
real distribution directory on ``sys.path``, so they are loaded by
stevedore exactly as installed drivers are, and removes them afterwards.
"""
import importlib

import pytest
import stevedore

SAMPLE_ENTRY_POINTS = {
    'sample delfin_style': 'DelfinStyleDriver',
    'sample declaring': 'DeclaringDriver',
    'sample unknown_kind': 'UnknownKindDriver',
    'sample unknown_metric': 'UnknownMetricDriver',
    'sample invalid_capabilities': 'InvalidCapabilitiesDriver',
    'sample no_metrics': 'NoMetricsDriver',
    'sample broken_delete': 'BrokenDeleteDriver',
    'sample not_a_driver': 'NotADriver',
    'sample incomplete': 'IncompleteDriver',
}
_MODULE = 'delfin.tests.unit.drivers.samples'


@pytest.fixture
def sample_entry_points(tmp_path, monkeypatch):
    dist = tmp_path / 'site' / 'delfin_sample_drivers-1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: delfin-sample-drivers\n'
        'Version: 1.0\n')
    lines = ['[delfin.storage.drivers]']
    lines += ['%s = %s:%s' % (name, _MODULE, cls)
              for name, cls in SAMPLE_ENTRY_POINTS.items()]
    lines.append('sample missing_module = '
                 'delfin.tests.unit.drivers.no_such_module:Driver')
    (dist / 'entry_points.txt').write_text('\n'.join(lines) + '\n')
    monkeypatch.syspath_prepend(str(tmp_path / 'site'))
    importlib.invalidate_caches()
    from delfin.tests.unit.drivers import samples
    samples.DelfinStyleDriver.built = 0
    yield samples
    # Leave no trace of the sample entry points for later tests.
    monkeypatch.undo()
    importlib.invalidate_caches()
    stevedore.ExtensionManager.ENTRY_POINT_CACHE.pop(
        'delfin.storage.drivers', None)


def sample_access(model='delfin_style', host='192.0.2.1', **extra):
    """Access information of a sample storage."""
    info = {'vendor': 'sample', 'model': model,
            'rest': {'host': host, 'port': 8443, 'username': 'admin',
                     'password': 'encrypted-token'}}
    info.update(extra)
    return info
