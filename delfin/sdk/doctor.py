"""The driver doctor: which drivers stevedore can see, where they come from,
whether they import, and why a vendor/model would not be found.

A driver is found by its entry point name ``"<vendor> <model>"`` in the
namespace ``delfin.storage.drivers``.  Between a driver's source and a
running service there are several places where that lookup can silently
go wrong, all of which this module inspects:

* the entry point name differs slightly from what was asked (case, a
  space, the words swapped, a typo);
* the module named by the entry point does not import (a missing
  dependency, a syntax error) or does not hold a valid driver class;
* two distributions publish the same name (the service refuses to pick);
* metadata left behind: a second ``*.dist-info`` of the same distribution
  (an old version not fully removed) hides the new one, because Python
  reads only the first copy it meets; the files listed in a distribution's
  ``RECORD`` are gone; an editable install points to a moved project; or
  the project's packaging files declare an entry point that the installed
  metadata predates (the package was edited but not reinstalled);
* stevedore's entry point cache disagrees with the installed metadata; and
  a running service keeps the driver classes it has loaded.
"""
import configparser
import dataclasses
import difflib
import importlib.metadata
import json
import os
import sys
import traceback
import urllib.parse
import urllib.request

import stevedore

from delfin.drivers import manager as driver_manager

NAMESPACE = driver_manager.NAMESPACE

OK = 'ok'
IMPORT_ERROR = 'import-error'
INVALID = 'invalid'
DUPLICATE = 'duplicate'
HIDDEN = 'hidden'
STALE_CACHE = 'stale-cache'

RESTART_HINT = (
    "A running delfin-api / delfin-task / delfin-alert process looks a "
    "driver it does not know up again in the installed metadata, so a newly "
    "installed driver needs no restart; restart it after upgrading or "
    "reinstalling a driver it has already loaded.")


@dataclasses.dataclass
class DriverEntry:
    """One entry point of the driver namespace and what became of it."""
    name: str
    value: str
    distribution: str = None
    version: str = None
    metadata_path: str = None
    status: str = OK
    error: str = None
    driver_class: str = None
    module_file: str = None
    problems: list = dataclasses.field(default_factory=list)

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Diagnosis:
    """Whether ``"<vendor> <model>"`` resolves to a driver, and why not."""
    name: str
    found: bool
    entries: list
    reasons: list
    hints: list

    def as_dict(self):
        return {'name': self.name, 'found': self.found,
                'entries': [e.as_dict() for e in self.entries],
                'reasons': self.reasons, 'hints': self.hints}


def _metadata_path(dist):
    # PathDistribution keeps its folder privately; other finders may not
    # have one at all.
    path = getattr(dist, '_path', None)
    return str(path) if path is not None else None


def _dist_name(dist):
    try:
        return dist.metadata['Name']
    except (KeyError, TypeError):
        return None


def _normalize(name):
    return (name or '').lower().replace('-', '_').replace('.', '_')


class _Metadata(object):
    """Every distribution on sys.path with entry points of the namespace,
    including the copies that Python's own lookup skips."""

    def __init__(self, path=None):
        self.records = []        # (dist, entry point, visible)
        self.copies = {}         # normalized dist name -> [dist, ...]
        seen = set()
        for dist in importlib.metadata.distributions(path=path or sys.path):
            key = _normalize(_dist_name(dist))
            visible = key not in seen
            seen.add(key)
            self.copies.setdefault(key, []).append(dist)
            for ep in dist.entry_points:
                if ep.group == NAMESPACE:
                    self.records.append((dist, ep, visible))

    def find(self, name, value):
        for dist, ep, visible in self.records:
            if visible and ep.name == name and ep.value == value:
                return dist
        return None


def stevedore_cache_dir():
    """Where stevedore keeps its entry point cache files."""
    try:
        from stevedore import _cache
        return _cache._get_cache_dir()
    except (ImportError, AttributeError):
        return os.path.expanduser(os.path.join('~', '.cache',
                                               'python-entrypoints'))


def _stale_cache_text(what):
    # stevedore keys its cache on modification times stored as 32-bit
    # floats (about two minutes of resolution), so metadata rewritten
    # shortly after it was cached can go unnoticed.
    return ('%s: stevedore\'s entry point cache is stale; delete the files '
            'in %s' % (what, stevedore_cache_dir()))


def stevedore_entry_points():
    """The driver entry points exactly as stevedore lists them."""
    probe = stevedore.ExtensionManager.make_test_instance(
        [], namespace=NAMESPACE)
    return list(probe.list_entry_points())


def error_location(err):
    """``file:line`` where `err` was raised, skipping the import machinery
    (which says nothing about the driver); None if nothing is left."""
    tb = err.__traceback__
    frames = [f for f in (traceback.extract_tb(tb) if tb is not None else [])
              if not f.filename.startswith('<')
              and os.sep + 'importlib' + os.sep not in f.filename
              and os.path.dirname(f.filename) != os.path.dirname(__file__)]
    if not frames:
        return None
    return '%s:%s' % (frames[-1].filename, frames[-1].lineno)


def _error_text(err):
    text = ''.join(traceback.format_exception_only(type(err), err)).strip()
    where = error_location(err)
    return text + (' (%s)' % where if where else '')


def _inspect_target(entry, ep):
    from delfin.drivers import capabilities
    try:
        obj = ep.load()
    except Exception as err:  # any import failure is what we report
        entry.status = IMPORT_ERROR
        entry.error = _error_text(err)
        return
    entry.driver_class = '%s.%s' % (getattr(obj, '__module__', '?'),
                                    getattr(obj, '__qualname__', obj))
    module = sys.modules.get(getattr(obj, '__module__', ''), None)
    entry.module_file = getattr(module, '__file__', None)
    try:
        capabilities.validate_driver_class(obj)
    except Exception as err:
        entry.status = INVALID
        entry.error = _error_text(err)


def _record_problems(dist):
    """Signs that a distribution's metadata is left over or out of date."""
    problems = []
    files = None
    try:
        files = dist.files
    except Exception:  # unreadable RECORD is itself a problem
        problems.append('its RECORD cannot be read')
    if files:
        code = [f for f in files
                if str(f).endswith(('.py', '.pth'))
                and '__pycache__' not in str(f)]
        missing = [f for f in code if not os.path.exists(dist.locate_file(f))]
        if code and len(missing) == len(code):
            problems.append(
                'none of the %d files listed in its RECORD exist: metadata '
                'left behind by an uninstalled or deleted package'
                % len(code))
    project = editable_project(dist)
    if project is not None and not os.path.isdir(project):
        problems.append('editable install of %s, which no longer exists'
                        % project)
    else:
        project = project or source_tree(dist)
        if project is not None:
            problems.extend(_outdated_editable(dist, project))
    return problems


def source_tree(dist):
    """The project folder of ``*.egg-info`` metadata generated inside a
    source tree (visible when that folder is on sys.path), or None."""
    path = _metadata_path(dist)
    if not path or not path.endswith('.egg-info'):
        return None
    parent = os.path.dirname(path)
    if any(os.path.isfile(os.path.join(parent, name))
           for name in ('setup.cfg', 'pyproject.toml', 'setup.py')):
        return parent
    return None


def editable_project(dist):
    """The source folder of an editable install, or None."""
    try:
        text = dist.read_text('direct_url.json')
    except Exception:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not info.get('dir_info', {}).get('editable'):
        return None
    url = info.get('url', '')
    if not url.startswith('file:'):
        return None
    return urllib.request.url2pathname(urllib.parse.urlparse(url).path)


def declared_entry_points(project):
    """Driver entry points the packaging files of `project` declare:
    ``{name: value}`` from ``pyproject.toml`` and ``setup.cfg``."""
    declared = {}
    pyproject = os.path.join(project, 'pyproject.toml')
    if os.path.isfile(pyproject):
        import tomllib
        try:
            with open(pyproject, 'rb') as f:
                data = tomllib.load(f)
        except (OSError, ValueError):
            data = {}
        group = data.get('project', {}).get('entry-points', {}).get(
            NAMESPACE, {})
        declared.update({k: str(v) for k, v in group.items()})
    setup_cfg = os.path.join(project, 'setup.cfg')
    if os.path.isfile(setup_cfg):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding='utf-8')
            text = parser.get('options.entry_points', NAMESPACE,
                              fallback='')
        except configparser.Error:
            text = ''
        for line in text.splitlines():
            if '=' in line:
                name, value = line.split('=', 1)
                declared[name.strip()] = value.strip()
    return declared


def _driver_entry_points(dist):
    return {ep.name: ep.value for ep in dist.entry_points
            if ep.group == NAMESPACE}


def _outdated_editable(dist, project):
    installed = _driver_entry_points(dist)
    declared = declared_entry_points(project)
    problems = []
    for name, value in sorted(declared.items()):
        if installed.get(name) != value:
            problems.append(
                '%s declares "%s = %s" but the installed metadata %s: '
                'reinstall it (pip install -e %s)' % (
                    project, name, value,
                    'does not have it' if name not in installed
                    else 'says "%s"' % installed[name], project))
    for name in sorted(set(installed) - set(declared)):
        if declared or os.path.isfile(os.path.join(project, 'setup.cfg')) \
                or os.path.isfile(os.path.join(project, 'pyproject.toml')):
            problems.append(
                'the installed metadata still has "%s", which %s no longer '
                'declares: reinstall it' % (name, project))
    return problems


def list_drivers(path=None):
    """Every driver entry point: the ones stevedore uses, plus the ones
    hidden behind another copy of their distribution's metadata.

    Each entry is imported (that is how its status is known).
    """
    meta = _Metadata(path)
    entries = []
    names = {}
    for ep in stevedore_entry_points():
        names[ep.name] = names.get(ep.name, 0) + 1
        entry = DriverEntry(ep.name, ep.value)
        dist = meta.find(ep.name, ep.value)
        if dist is None:
            entry.status = STALE_CACHE
            entry.error = _stale_cache_text(
                'listed by stevedore but not by the installed metadata')
            entries.append(entry)
            continue
        entry.distribution = _dist_name(dist)
        entry.version = dist.version
        entry.metadata_path = _metadata_path(dist)
        entry.problems.extend(_record_problems(dist))
        mine = _driver_entry_points(dist)
        for other in meta.copies.get(_normalize(entry.distribution), [])[1:]:
            if _driver_entry_points(other) != mine:
                entry.problems.append(
                    'another copy of the metadata of %s (version %s) at %s '
                    'declares other drivers and is ignored'
                    % (entry.distribution, other.version,
                       _metadata_path(other)))
        _inspect_target(entry, ep)
        entries.append(entry)
    for entry in entries:
        if names[entry.name] > 1 and entry.status == OK:
            entry.status = DUPLICATE
            entry.error = ('%d entry points are named "%s": the service '
                           'refuses to choose' % (names[entry.name],
                                                  entry.name))
    shown = {(e.name, e.value) for e in entries}
    for dist, ep, visible in meta.records:
        if (ep.name, ep.value) in shown:
            continue
        if visible:
            shown.add((ep.name, ep.value))
            entries.append(DriverEntry(
                ep.name, ep.value, _dist_name(dist), dist.version,
                _metadata_path(dist), STALE_CACHE, _stale_cache_text(
                    'installed but missing from what stevedore lists')))
            continue
        entries.append(DriverEntry(
            ep.name, ep.value, _dist_name(dist), dist.version,
            _metadata_path(dist), HIDDEN,
            'this copy of the metadata of %s is hidden by an earlier one '
            'on sys.path; its entry points are invisible' % _dist_name(dist)))
    return entries


def _near_misses(name, names):
    wanted = ' '.join(name.split()).lower()
    found = []
    for other in names:
        flat = ' '.join(other.split()).lower()
        if flat == wanted:
            found.append((other, 'differs only in case or spacing'))
        elif ' '.join(reversed(flat.split(' ', 1))) == wanted:
            found.append((other, 'has vendor and model swapped'))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    for other in close:
        if other not in [f[0] for f in found]:
            found.append((other, 'is a close spelling'))
    return found


def diagnose(vendor, model, path=None):
    """Explain whether ``"<vendor> <model>"`` resolves to a driver."""
    name = driver_manager.driver_name(vendor, model)
    entries = list_drivers(path)
    mine = [e for e in entries if e.name == name]
    active = [e for e in mine if e.status != HIDDEN]
    reasons, hints = [], []
    for word, label in ((vendor, 'vendor'), (model, 'model')):
        if word != word.strip() or not word:
            reasons.append('the %s %r has leading or trailing spaces or is '
                           'empty' % (label, word))
    if not active:
        reasons.append('no entry point named "%s" in namespace %s'
                       % (name, NAMESPACE))
        for other, why in _near_misses(name, sorted({e.name for e in entries
                                                     if e.status != HIDDEN})):
            reasons.append('"%s" %s' % (other, why))
    for entry in mine:
        if entry.status == HIDDEN:
            reasons.append('"%s" is declared by %s %s at %s, but %s'
                           % (name, entry.distribution, entry.version,
                              entry.metadata_path, entry.error))
        elif entry.status != OK:
            origin = (', from %s %s' % (entry.distribution, entry.version)
                      if entry.distribution else '')
            reasons.append('"%s" (%s%s): %s' % (name, entry.value, origin,
                                                entry.error))
        for problem in entry.problems:
            reasons.append('%s: %s' % (entry.distribution, problem))
    reasons.extend(_undeclared_in_metadata(name, path))
    found = len(active) == 1 and active[0].status == OK
    if found:
        try:
            driver_manager.DriverManager().get_driver_class(vendor, model)
        except Exception as err:
            found = False
            reasons.append('the driver manager refuses it: %s'
                           % _error_text(err))
    if not found or reasons:
        hints.append(RESTART_HINT)
    return Diagnosis(name, found, mine, reasons, hints)


def _undeclared_in_metadata(name, path):
    """Editable projects that declare `name` although their installed
    metadata lacks it."""
    reasons = []
    for dist in importlib.metadata.distributions(path=path or sys.path):
        project = editable_project(dist)
        if project is None or not os.path.isdir(project):
            continue
        installed = {ep.name for ep in dist.entry_points
                     if ep.group == NAMESPACE}
        if name in declared_entry_points(project) and name not in installed:
            reasons.append(
                '%s declares "%s" but the installed metadata of %s predates '
                'it: run pip install -e %s' % (project, name, _dist_name(dist),
                                               project))
    return reasons
