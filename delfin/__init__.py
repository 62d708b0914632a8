"""Delfin: a storage infrastructure management service.

Operators register storage backends over a REST API; a plugin driver talks to
each backend; the service keeps the backend's inventory in SQL, collects
performance metrics and ingests alerts.

``from delfin import cryptor`` always gives the real `delfin.cryptor`.
Delfin's driver unit tests replace ``sys.modules['delfin.cryptor']`` with a
mock when their module is imported and never put it back; through the
package attribute, that stand-in never reaches the drivers and core modules
that other tests import afterwards in the same process.
"""
import importlib
import importlib.machinery
import importlib.util
import sys
import types

_REAL_SUBMODULES = ('cryptor',)


def __getattr__(name):
    # Only called while the attribute is not set, i.e. before the
    # submodule was first imported through the normal machinery.
    if name not in _REAL_SUBMODULES:
        raise AttributeError("module 'delfin' has no attribute %r" % name)
    full_name = '%s.%s' % (__name__, name)
    present = sys.modules.get(full_name)
    if present is None or isinstance(present, types.ModuleType):
        module = importlib.import_module(full_name)
    else:
        # A stand-in holds the name: load the real module beside it,
        # leaving the stand-in to whoever looks it up in sys.modules.
        spec = importlib.machinery.PathFinder.find_spec(full_name, __path__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    globals()[name] = module
    return module
