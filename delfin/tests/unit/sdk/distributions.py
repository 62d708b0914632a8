"""Temporary distributions for the SDK tests.

A driver is published to stevedore by the metadata of an installed
distribution.  `make_distribution` writes such metadata (a
``*.dist-info`` folder with ``METADATA`` and ``entry_points.txt``) into a
folder, and `on_sys_path` puts folders on ``sys.path`` the way an
installation does, resetting stevedore's per-process entry point list so
the next lookup reads the metadata again, as a freshly started service
would.
"""
import contextlib
import os
import sys

import stevedore

from delfin.drivers import manager as driver_manager

NAMESPACE = driver_manager.NAMESPACE


def make_distribution(folder, name, version='1.0', entry_points=None,
                      files=None, metadata_dir=None, extra_metadata=None):
    """Write the metadata of distribution `name` into `folder`.

    :param entry_points: ``{entry point name: "module:attr"}`` of the
        driver namespace.
    :param files: ``{relative path: text}`` written beside the metadata
        (modules of the distribution); listed in its RECORD.
    :param extra_metadata: ``{file name: text}`` added to the dist-info.
    :returns: the dist-info path.
    """
    os.makedirs(folder, exist_ok=True)
    dist_info = os.path.join(folder, metadata_dir or '%s-%s.dist-info' % (
        name.replace('-', '_'), version))
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: %s\nVersion: %s\n'
                % (name, version))
    if entry_points:
        with open(os.path.join(dist_info, 'entry_points.txt'), 'w') as f:
            f.write('[%s]\n' % NAMESPACE)
            for ep_name, value in entry_points.items():
                f.write('%s = %s\n' % (ep_name, value))
    record = []
    for relative, text in (files or {}).items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        record.append(relative)
    if record:
        with open(os.path.join(dist_info, 'RECORD'), 'w') as f:
            for relative in record:
                f.write('%s,,\n' % relative)
    for file_name, text in (extra_metadata or {}).items():
        with open(os.path.join(dist_info, file_name), 'w') as f:
            f.write(text)
    return dist_info


def forget_entry_points():
    """Make stevedore read the installed metadata again."""
    stevedore.ExtensionManager.ENTRY_POINT_CACHE.pop(NAMESPACE, None)
    from stevedore import _cache
    internal = getattr(getattr(_cache, '_c', None), '_internal', None)
    if isinstance(internal, dict):
        internal.clear()


@contextlib.contextmanager
def on_sys_path(*folders):
    saved = list(sys.path)
    sys.path[:0] = [str(f) for f in folders]
    forget_entry_points()
    try:
        yield
    finally:
        sys.path[:] = saved
        forget_entry_points()
