"""Tests of the driver manager (delfin.drivers.manager)."""
import datetime
import importlib.metadata
import logging
import socket
import threading

import pytest
from oslo_config import cfg

from delfin import exception
from delfin.db import api as db_api
from delfin.drivers import manager
from delfin.drivers.fake_storage import FakeStorageDriver
from delfin.tests.unit.drivers.conftest import sample_access

CONF = cfg.CONF


class Loader(object):
    """Access information by storage id, as the database would return."""

    def __init__(self, rows=None):
        self.rows = dict(rows or {})

    def __call__(self, storage_id):
        try:
            return dict(self.rows[storage_id])
        except KeyError:
            raise exception.AccessInfoNotFound(storage_id)


# -- classes ------------------------------------------------------------------

def test_fake_driver_is_loaded_through_its_entry_point():
    cls = manager.DriverManager().get_driver_class('fake_storage',
                                                   'fake_driver')
    assert cls is FakeStorageDriver


def test_unknown_vendor_model_is_storage_driver_not_found():
    with pytest.raises(exception.StorageDriverNotFound) as err:
        manager.DriverManager().get_driver_class('nope', 'nothing')
    assert err.value.code == 404
    assert err.value.error_args == ('nope nothing',)
    # Delfin's message, then the drivers that are installed.
    installed = sorted(ep.name for ep in importlib.metadata.entry_points(
        group=manager.NAMESPACE))
    assert 'fake_storage fake_driver' in installed
    assert str(err.value) == (
        "Storage driver 'nope nothing'could not be found. "
        "Installed drivers: %s." % ', '.join("'%s'" % n for n in installed))


def test_driver_installed_after_the_first_lookup_is_found(tmp_path,
                                                          monkeypatch):
    site = tmp_path / 'site'
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    mgr = manager.DriverManager()
    with pytest.raises(exception.StorageDriverNotFound) as err:
        mgr.get_driver_class('late', 'box')
    assert "'late box'" in str(err.value)
    # Installed now, as pip would: module and metadata in a folder that
    # was already on sys.path when stevedore read the entry points.
    (site / 'late_box_driver.py').write_text(
        'from delfin.drivers.fake_storage import FakeStorageDriver\n'
        'class LateDriver(FakeStorageDriver):\n'
        '    pass\n')
    info = site / 'late_box_driver-1.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: late-box-driver\nVersion: 1.0\n')
    (info / 'entry_points.txt').write_text(
        '[delfin.storage.drivers]\nlate box = late_box_driver:LateDriver\n')
    cls = mgr.get_driver_class('late', 'box')
    assert cls.__name__ == 'LateDriver'
    # Another process-wide manager finds it too, and lists it when
    # something else is missing.
    with pytest.raises(exception.StorageDriverNotFound) as err:
        manager.DriverManager().get_driver_class('still', 'missing')
    assert "'late box'" in str(err.value)
    assert "'fake_storage fake_driver'" in str(err.value)


def test_driver_that_fails_to_import_is_not_found_and_logged(
        sample_entry_points, caplog):
    caplog.set_level(logging.ERROR)
    with pytest.raises(exception.StorageDriverNotFound):
        manager.DriverManager().get_driver_class('sample', 'missing_module')
    assert 'no_such_module' in caplog.text


def test_driver_lacking_abstract_methods_fails_at_load_naming_them(
        sample_entry_points, caplog):
    caplog.set_level(logging.ERROR)
    mgr = manager.DriverManager()
    with pytest.raises(exception.StorageDriverIncomplete) as err:
        mgr.get_driver_class('sample', 'incomplete')
    text = str(err.value)
    assert "'sample incomplete'" in text
    assert 'IncompleteDriver' in text
    assert text.endswith('contract: clear_alert, list_alerts.')
    assert err.value.code == 500
    # The operator finds the same cause in the log.
    assert 'clear_alert, list_alerts' in caplog.text
    # Asking again fails the same way: a broken class is never cached.
    with pytest.raises(exception.StorageDriverIncomplete):
        mgr.get_driver_class('sample', 'incomplete')


def test_invalid_declarations_fail_at_load(sample_entry_points):
    mgr = manager.DriverManager()
    with pytest.raises(exception.InvalidStorageCapability, match="'lun'"):
        mgr.get_driver_class('sample', 'unknown_kind')
    with pytest.raises(exception.InvalidStorageCapability,
                       match='not a subclass'):
        mgr.get_driver_class('sample', 'not_a_driver')


def test_delfin_style_driver_loads(sample_entry_points):
    cls = manager.DriverManager().get_driver_class('sample', 'delfin_style')
    assert cls is sample_entry_points.DelfinStyleDriver


# -- instances ----------------------------------------------------------------

def test_one_instance_per_storage_never_shared(sample_entry_points):
    same = sample_access()
    mgr = manager.DriverManager(Loader({'s1': same, 's2': same}))
    d1 = mgr.get_driver('s1')
    d2 = mgr.get_driver('s2')
    assert d1 is not d2
    assert (d1.storage_id, d2.storage_id) == ('s1', 's2')
    assert mgr.get_driver('s1') is d1
    assert mgr.get_driver('s2') is d2
    assert sample_entry_points.DelfinStyleDriver.built == 2


def test_driver_receives_access_info_and_verify(sample_entry_points):
    mgr = manager.DriverManager(Loader({'s1': sample_access(
        storage_name='array', extra_attributes={'k': 'v'})}))
    d = mgr.get_driver('s1')
    assert d.kwargs['rest']['password'] == 'encrypted-token'
    assert d.kwargs['extra_attributes'] == {'k': 'v'}
    assert d.kwargs['storage_name'] == 'array'
    assert d.kwargs['verify'] is False


def test_cache_follows_access_info_changes(sample_entry_points):
    stamp = datetime.datetime(2024, 1, 1, 12, 0, 0)
    loader = Loader({'s1': sample_access(updated_at=stamp)})
    mgr = manager.DriverManager(loader)
    first = mgr.get_driver('s1')
    assert mgr.get_driver('s1') is first

    loader.rows['s1'] = sample_access(
        updated_at=stamp + datetime.timedelta(seconds=1))
    second = mgr.get_driver('s1')
    assert second is not first

    # Same timestamp (coarse database clock) but new credentials.
    changed = sample_access(updated_at=stamp + datetime.timedelta(
        seconds=1))
    changed['rest']['password'] = 'another-token'
    loader.rows['s1'] = changed
    third = mgr.get_driver('s1')
    assert third is not second
    assert third.kwargs['rest']['password'] == 'another-token'
    assert mgr.get_driver('s1') is third


def test_build_driver_never_touches_the_cache(sample_entry_points):
    mgr = manager.DriverManager(Loader({'s1': sample_access()}))
    cached = mgr.get_driver('s1')
    fresh = mgr.build_driver(dict(sample_access(), storage_id='s1'))
    assert fresh is not cached
    assert mgr.get_driver('s1') is cached


def test_remove_driver_forgets_the_instance(sample_entry_points):
    mgr = manager.DriverManager(Loader({'s1': sample_access()}))
    d = mgr.get_driver('s1')
    assert mgr.cached_driver('s1') is d
    assert mgr.remove_driver('s1') is d
    assert mgr.cached_driver('s1') is None
    assert mgr.remove_driver('s1') is None
    assert mgr.get_driver('s1') is not d


def test_a_storage_gone_from_the_database_loses_its_driver(
        sample_entry_points):
    loader = Loader({'s1': sample_access()})
    mgr = manager.DriverManager(loader)
    mgr.get_driver('s1')
    del loader.rows['s1']   # deleted through another process
    with pytest.raises(exception.AccessInfoNotFound):
        mgr.get_driver('s1')
    assert mgr.cached_driver('s1') is None


def test_prune_keeps_only_the_registered_storages(sample_entry_points):
    mgr = manager.DriverManager(Loader({'s1': sample_access(),
                                        's2': sample_access()}))
    kept = mgr.get_driver('s1')
    mgr.get_driver('s2')
    assert mgr.prune(['s1', 's3']) == 1
    assert mgr.cached_driver('s1') is kept
    assert mgr.cached_driver('s2') is None
    assert mgr.prune({'s1'}) == 0


def test_concurrent_first_use_builds_one_instance(sample_entry_points):
    mgr = manager.DriverManager(Loader({'s1': sample_access()}))
    start = threading.Barrier(16)
    got = []

    def use():
        start.wait()
        got.append(mgr.get_driver('s1'))

    threads = [threading.Thread(target=use) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(d) for d in got}) == 1
    assert sample_entry_points.DelfinStyleDriver.built == 1


def test_unknown_storage_raises_access_info_not_found():
    mgr = manager.DriverManager(Loader())
    with pytest.raises(exception.AccessInfoNotFound):
        mgr.get_driver('missing')


def test_building_a_driver_does_no_network_io():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    try:
        access = {'vendor': 'fake_storage', 'model': 'fake_driver',
                  'rest': {'host': '127.0.0.1', 'port': port,
                           'username': 'u', 'password': 'token'},
                  'ssh': {'host': '127.0.0.1', 'port': port,
                          'username': 'u', 'password': 'token'}}
        mgr = manager.DriverManager(Loader({'s1': access}))
        mgr.get_driver('s1')
        mgr.build_driver(access)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


# -- TLS verification ---------------------------------------------------------

def test_verify_is_false_without_ca_path():
    CONF.set_override('ca_path', '', group='storage_driver')
    assert manager.tls_verify() is False


def test_verify_is_the_ca_path(tmp_path, sample_entry_points):
    ca = tmp_path / 'ca.pem'
    ca.write_text('not parsed for a file path\n')
    CONF.set_override('ca_path', str(ca), group='storage_driver')
    mgr = manager.DriverManager(Loader({'s1': sample_access()}))
    assert mgr.get_driver('s1').kwargs['verify'] == str(ca)


def test_missing_ca_path_is_invalid(tmp_path):
    CONF.set_override('ca_path', str(tmp_path / 'absent'),
                      group='storage_driver')
    with pytest.raises(exception.InvalidCAPath):
        manager.DriverManager().build_driver(
            {'vendor': 'fake_storage', 'model': 'fake_driver'})


# -- database-backed access information ---------------------------------------

def _register(storage_id, access):
    db_api.create('storage', {'id': storage_id, 'name': storage_id,
                              'serial_number': 'SN-' + storage_id,
                              'sync_status': 0, 'deleted': False})
    db_api.create('access_info', dict(access, storage_id=storage_id))


def test_access_info_is_read_from_the_database(sqlite_engine):
    access = {'vendor': 'fake_storage', 'model': 'fake_driver',
              'rest': {'host': '192.0.2.7', 'port': 8443,
                       'username': 'admin', 'password': 'token'}}
    _register('db-storage-1', access)
    mgr = manager.DriverManager()
    d = mgr.get_driver('db-storage-1')
    assert isinstance(d, FakeStorageDriver)
    assert d.storage_id == 'db-storage-1'
    assert mgr.get_driver('db-storage-1') is d

    db_api.update('access_info', 'db-storage-1', {
        'rest': dict(access['rest'], password='new-token'),
        'updated_at': db_api.utcnow()})
    assert mgr.get_driver('db-storage-1') is not d

    with pytest.raises(exception.AccessInfoNotFound):
        mgr.get_driver('db-storage-unknown')


def test_process_wide_manager_is_a_singleton():
    assert manager.get_manager() is manager.get_manager()
