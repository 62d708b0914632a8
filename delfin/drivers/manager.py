"""The driver manager: finds driver classes and keeps one driver per storage.

Drivers are published as entry points of the stevedore namespace
``delfin.storage.drivers`` named ``"<vendor> <model>"``, the two words of the
storage's access information.  The manager loads a class the first time its
name is asked for, checks what it declares
(`delfin.drivers.capabilities.validate_driver_class`) and remembers it.

Instances.  Each registered storage gets its own driver instance, built from
its own access information and never handed to another storage, even one
of the same model.  The instance is cached under the storage id together
with a fingerprint of the access information it was built from; when the
stored access information changes (new credentials, host, ``updated_at``)
the next `get_driver` builds a new instance, in this process and in every
other process that holds one.  Registration and access-info checks use
`build_driver`, which never touches the cache.

A name not found among the entry points stevedore read when the process
started is looked up again in the metadata installed now, so a driver
installed while the service runs is used without a restart; the error of
a name still not found lists the installed drivers.

Building a driver only calls its constructor: drivers do no I/O there.

Every instance receives ``verify``: ``False`` when ``[storage_driver]
ca_path`` is empty, else that path (checked to exist, and a CA directory
prepared for OpenSSL).  Section passwords are passed as stored: encrypted
tokens of `delfin.cryptor` that drivers decode themselves.
"""
import copy
import hashlib
import importlib
import importlib.metadata
import json
import threading

import stevedore
from oslo_config import cfg
from oslo_log import log as logging

import delfin.conf  # noqa: F401  (registers [storage_driver])
from delfin import exception
from delfin.drivers import capabilities

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

NAMESPACE = 'delfin.storage.drivers'

# Access-information keys a driver is built from.
ACCESS_KEYS = ('storage_id', 'storage_name', 'vendor', 'model', 'rest',
               'ssh', 'cli', 'smis', 'extra_attributes', 'created_at',
               'updated_at')


def driver_name(vendor, model):
    """The entry point name of a driver: ``"<vendor> <model>"``."""
    return '%s %s' % (vendor, model)


def fingerprint(access_info):
    """A digest of what a driver was built from.

    Covers every access key, ``updated_at`` included, so a change of any
    section (even within the resolution of a database timestamp) is seen.
    """
    data = {k: access_info.get(k) for k in ACCESS_KEYS if k != 'created_at'}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def tls_verify():
    """The ``verify`` argument of drivers: False or the CA path.

    :raises InvalidCAPath: ``[storage_driver] ca_path`` does not exist.
    """
    from delfin import ssl_utils
    ca_path = ssl_utils.get_storage_ca_path()
    if not ca_path:
        return False
    ssl_utils.verify_ca_path(ca_path)
    ssl_utils.reload_certificate(ca_path)
    return ca_path


def _load_access_info(storage_id):
    from delfin.db import api as db_api
    return db_api.get('access_info', storage_id)


def installed_driver_names():
    """Names of the driver entry points installed right now."""
    return sorted({ep.name for ep in
                   importlib.metadata.entry_points(group=NAMESPACE)})


def _not_found(name):
    """StorageDriverNotFound naming what was asked and what is there."""
    installed = installed_driver_names()
    text = exception.StorageDriverNotFound.msg_fmt.format(name)
    if installed:
        text += ' Installed drivers: %s.' % ', '.join(
            "'%s'" % n for n in installed)
    else:
        text += ' No driver is installed.'
    return exception.StorageDriverNotFound(name, message=text)


def _load_installed(name):
    """Load driver `name` from the metadata installed now, bypassing
    stevedore's per-process cache; the driver folders of distributions
    installed since start (see `delfin.drivers`) are added first."""
    import delfin.drivers
    delfin.drivers.extend_path()
    importlib.invalidate_caches()
    found = {}
    for ep in importlib.metadata.entry_points(group=NAMESPACE):
        if ep.name == name:
            found.setdefault(ep.value, ep)
    if not found:
        raise _not_found(name)
    if len(found) > 1:
        raise exception.DuplicateExtension(name)
    entry_point = list(found.values())[0]
    try:
        cls = entry_point.load()
    except Exception as err:
        LOG.error("Storage driver '%s' failed to load: %s", name, err)
        raise exception.StorageDriverNotFound(name)
    LOG.info("Storage driver '%s' installed since start found in %s", name,
             entry_point.value)
    return cls


class _Cached(object):
    __slots__ = ('driver', 'fingerprint')

    def __init__(self, driver, fingerprint):
        self.driver = driver
        self.fingerprint = fingerprint


class DriverManager(object):
    """Loads driver classes and holds one driver instance per storage.

    :param access_info_loader: callable ``storage_id -> access_info dict``
        (raises AccessInfoNotFound); the database by default.
    """

    def __init__(self, access_info_loader=None):
        self._load_access = access_info_loader or _load_access_info
        self._classes = {}
        self._drivers = {}
        self._class_lock = threading.Lock()
        # One lock per storage while its driver is (re)built, so two
        # storages never wait for each other's constructor.
        self._locks = {}
        self._locks_guard = threading.Lock()

    # -- classes ---------------------------------------------------------

    def get_driver_class(self, vendor, model):
        """The driver class registered as ``"<vendor> <model>"``.

        :raises StorageDriverNotFound: no such entry point, even among the
            drivers installed since start (the message names the installed
            ones), or it fails to import (the cause is logged).
        :raises StorageDriverIncomplete: the class lacks abstract methods
            of the contract (logged, naming them).
        :raises InvalidStorageCapability: the class declares invalid
            capabilities (logged).
        """
        name = driver_name(vendor, model)
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        with self._class_lock:
            cls = self._classes.get(name)
            if cls is None:
                cls = self._load_class(name)
                self._classes[name] = cls
        return cls

    @staticmethod
    def _load_class(name):
        failures = []

        def on_failure(manager, entrypoint, err):
            failures.append(err)

        try:
            mgr = stevedore.DriverManager(
                NAMESPACE, name, invoke_on_load=False,
                on_load_failure_callback=on_failure)
            cls = mgr.driver
        except stevedore.exception.NoMatches:
            if failures and not isinstance(failures[-1], ImportError):
                LOG.error("Storage driver '%s' failed to load: %s", name,
                          failures[-1])
                raise exception.StorageDriverNotFound(name)
            # stevedore keeps the entry points it read first for the life
            # of the process: a driver installed since (or whose driver
            # folder was, see delfin.drivers) is looked up again in the
            # installed metadata itself.
            cls = _load_installed(name)
        except stevedore.exception.MultipleMatches:
            raise exception.DuplicateExtension(name)
        try:
            return capabilities.validate_driver_class(cls, name)
        except exception.DelfinException as err:
            LOG.error("Storage driver '%s' cannot be used: %s", name, err)
            raise

    # -- instances --------------------------------------------------------

    def build_driver(self, access_info):
        """A new, uncached driver instance for ``access_info``.

        :param access_info: dict with ``vendor``, ``model``, access
            sections (passwords encrypted) and optionally ``storage_id``.
        :raises StorageDriverNotFound, InvalidCAPath.
        """
        cls = self.get_driver_class(access_info['vendor'],
                                    access_info['model'])
        kwargs = {k: copy.deepcopy(v) for k, v in access_info.items()}
        kwargs['verify'] = tls_verify()
        return cls(**kwargs)

    def _storage_lock(self, storage_id):
        with self._locks_guard:
            return self._locks.setdefault(storage_id, threading.Lock())

    def get_driver(self, storage_id, access_info=None):
        """The driver instance of a storage, built on first use.

        The instance is rebuilt when the storage's access information
        differs from the one it was built from.

        :param storage_id: id of a registered storage.
        :param access_info: its access information when the caller has it
            at hand; loaded from the database otherwise.
        :raises AccessInfoNotFound, StorageDriverNotFound, InvalidCAPath.
        """
        if access_info is None:
            try:
                access_info = self._load_access(storage_id)
            except exception.AccessInfoNotFound:
                # The storage is gone (perhaps deleted through another
                # process): so is its driver.
                self.remove_driver(storage_id)
                raise
        access_info = dict(access_info, storage_id=storage_id)
        stamp = fingerprint(access_info)
        cached = self._drivers.get(storage_id)
        if cached is not None and cached.fingerprint == stamp:
            return cached.driver
        with self._storage_lock(storage_id):
            cached = self._drivers.get(storage_id)
            if cached is not None and cached.fingerprint == stamp:
                return cached.driver
            if cached is not None:
                LOG.info("Access information of storage %s changed, "
                         "rebuilding its driver", storage_id)
            driver = self.build_driver(access_info)
            self._drivers[storage_id] = _Cached(driver, stamp)
            return driver

    def cached_driver(self, storage_id):
        """The cached instance of a storage, or None; never builds one."""
        cached = self._drivers.get(storage_id)
        return cached.driver if cached is not None else None

    def remove_driver(self, storage_id):
        """Forget the instance of a storage; returns it (or None)."""
        with self._storage_lock(storage_id):
            cached = self._drivers.pop(storage_id, None)
        with self._locks_guard:
            self._locks.pop(storage_id, None)
        return cached.driver if cached is not None else None

    def prune(self, storage_ids):
        """Forget the instances of storages not in ``storage_ids`` (the
        registered ones); returns how many were forgotten."""
        keep = set(storage_ids)
        gone = [sid for sid in list(self._drivers) if sid not in keep]
        for storage_id in gone:
            self.remove_driver(storage_id)
        if gone:
            LOG.info("Forgot the drivers of %d deleted storage(s)",
                     len(gone))
        return len(gone)

    def clear(self):
        """Forget every instance and loaded class."""
        with self._locks_guard:
            self._drivers.clear()
            self._locks.clear()
        with self._class_lock:
            self._classes.clear()


_MANAGER = None
_MANAGER_LOCK = threading.Lock()


def get_manager():
    """The process-wide driver manager."""
    global _MANAGER
    if _MANAGER is None:
        with _MANAGER_LOCK:
            if _MANAGER is None:
                _MANAGER = DriverManager()
    return _MANAGER
