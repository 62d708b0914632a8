"""Driver packages of other distributions under delfin.drivers
(delfin/drivers/__init__.py): folders declared in the
delfin.driver_folders entry point group join the package's __path__
after our own folder, and leave it when their distribution is gone."""
import importlib
import sys

import pytest

import delfin.drivers
from delfin.drivers import fake_storage


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    site = tmp_path / 'site'
    folder = site / 'unit_plugin_drivers'
    (folder / 'unitvendor').mkdir(parents=True)
    (folder / 'unitvendor' / '__init__.py').write_text('ORIGIN = "plugin"\n')
    # A package our core already has: it must never win.
    (folder / 'fake_storage').mkdir()
    (folder / 'fake_storage' / '__init__.py').write_text(
        'raise ImportError("shadowed the core")\n')
    info = site / 'unit_plugin_drivers-1.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: unit-plugin-drivers\nVersion: 1.0\n')
    (info / 'entry_points.txt').write_text(
        '[delfin.driver_folders]\n'
        'unit-plugin-drivers = unit_plugin_drivers\n')
    monkeypatch.syspath_prepend(str(site))
    yield folder
    monkeypatch.undo()
    delfin.drivers.extend_path()
    sys.modules.pop('delfin.drivers.unitvendor', None)


def test_declared_folder_joins_the_path_after_ours(plugin_site):
    added = delfin.drivers.extend_path()
    assert added == [str(plugin_site)]
    assert delfin.drivers.__path__[:len(delfin.drivers.CORE_PATH)] == \
        delfin.drivers.CORE_PATH
    assert delfin.drivers.__path__[-1] == str(plugin_site)
    assert delfin.drivers.installed_folders()[str(plugin_site)] == \
        'unit-plugin-drivers'
    module = importlib.import_module('delfin.drivers.unitvendor')
    assert module.ORIGIN == 'plugin'
    assert importlib.import_module('delfin.drivers.fake_storage') \
        is fake_storage
    # Asking again changes nothing.
    assert delfin.drivers.extend_path() == []


def test_folder_of_a_removed_distribution_leaves_the_path(plugin_site,
                                                          monkeypatch):
    delfin.drivers.extend_path()
    assert str(plugin_site) in delfin.drivers.__path__
    monkeypatch.undo()
    delfin.drivers.extend_path()
    assert str(plugin_site) not in delfin.drivers.__path__
    assert str(plugin_site) not in delfin.drivers.installed_folders()
