"""Storage drivers: the contract a backend implements, and how it is loaded.

`driver.StorageDriver` is the contract, `manager` finds and builds drivers
through stevedore, `api.API` is the facade the API and the task workers call,
and `capabilities` tells which resource kinds and metrics a driver serves.

Driver packages of other distributions.  Drivers written for Delfin live
under ``delfin.drivers.<vendor>`` and import each other by those names, so
a distribution that carries them (``delfin-driver adopt`` builds one) must
make them importable there without writing into this package's folder:
pip would let it overwrite our modules, and an editable install has no
such folder in site-packages.  Such a distribution installs a folder of its
own holding the vendor packages (``<folder>/huawei/oceanstor/...``) and
names it, relative to where it is installed, in an entry point of the group
``delfin.driver_folders``::

    [delfin.driver_folders]
    delfin-adopted-drivers = delfin_adopted_drivers

`extend_path` appends those folders to this package's ``__path__``, after
our own folder, so a package of ours is never shadowed by a plugin.  It
runs when this package is imported and again when a driver is not found,
so a plugin installed while the service runs is seen without a restart,
and a folder whose distribution was uninstalled is dropped.
"""
import importlib
import importlib.metadata
import os
import threading

FOLDERS_GROUP = 'delfin.driver_folders'

# Our own folder(s), before any driver folder of another distribution.
CORE_PATH = list(__path__)  # noqa: F821  (set by the import system)
_lock = threading.Lock()


def installed_folders():
    """``{folder: distribution name}`` of every installed distribution
    that declares a folder of driver packages (existing folders only)."""
    folders = {}
    for ep in importlib.metadata.entry_points(group=FOLDERS_GROUP):
        dist = ep.dist
        if dist is None:
            continue
        folder = os.path.normpath(str(dist.locate_file(ep.value.strip())))
        if os.path.isdir(folder):
            folders.setdefault(folder, dist.metadata['Name'])
    return folders


def extend_path():
    """Make ``__path__`` our folder followed by the installed driver
    folders (in distribution name order); return the folders added."""
    folders = installed_folders()
    ordered = sorted(folders, key=lambda f: (folders[f].lower(), f))
    with _lock:
        before = list(__path__)  # noqa: F821
        wanted = CORE_PATH + [f for f in ordered if f not in CORE_PATH]
        if wanted != before:
            __path__[:] = wanted  # noqa: F821
            # The import system caches folder listings per path entry.
            importlib.invalidate_caches()
    return [f for f in wanted if f not in before]


extend_path()
