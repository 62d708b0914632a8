"""Adoption of the vendor drivers of a Delfin release: ``delfin-driver adopt``.

A Delfin release (its wheel or sdist, a source tree, or a pip requirement
such as ``delfin==1.5.0``, downloaded with pip) carries vendor drivers
under ``delfin/drivers/<vendor>/`` next to Delfin's own core.  `adopt`
builds a separate plugin wheel that holds only those vendor packages, so
that they run on this service's core unchanged:

* the packages keep their import paths (``delfin.drivers.huawei.oceanstor``
  ...), so their own ``import`` lines and tests keep working.  The wheel
  installs them in a folder of its own (``delfin_adopted_drivers/``) and
  declares it in the ``delfin.driver_folders`` entry point group, which
  `delfin.drivers` appends to its ``__path__``: nothing is written into our
  package, an editable install of the core works the same, and
  uninstalling the plugin removes exactly its own files;
* it declares the release's ``delfin.storage.drivers`` entry points under
  the names the release gives them ("huawei oceanstor", ...);
* it requires the third-party distributions those packages import (found
  by reading their ``import`` statements; imports guarded by
  ``except ImportError`` are optional);
* it never shadows our core: the release's framework modules
  (``delfin/drivers/*.py``), every package our core provides
  (``delfin.drivers.utils``, ``delfin.drivers.fake_storage``, ...), the rest
  of the release's core and its tests are left out, each with the reason,
  and so is an entry point whose module is left out.

No upstream code enters this repository: it is fetched and repackaged on
the user's machine, at the user's request.  Reading the release is
`delfin.sdk.release`'s part.
"""
import ast
import base64
import csv
import dataclasses
import hashlib
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

# The release side (sources, metadata) lives in delfin.sdk.release; its
# names are part of this module's interface too.
from delfin.sdk.release import DRIVER_GROUP
from delfin.sdk.release import DRIVERS_DIR
from delfin.sdk.release import AdoptError  # noqa: F401
from delfin.sdk.release import Release
from delfin.sdk.release import fetch

FOLDERS_GROUP = 'delfin.driver_folders'

# Import names whose distribution is named otherwise, for imports that
# are not installed here (installed ones are looked up in the metadata).
_KNOWN_DISTRIBUTIONS = {
    'yaml': 'PyYAML', 'OpenSSL': 'pyOpenSSL', 'Crypto': 'pycryptodome',
    'dateutil': 'python-dateutil', 'jwt': 'PyJWT', 'bs4': 'beautifulsoup4',
    'PIL': 'Pillow', 'pysnmp': 'pysnmp', 'google': 'protobuf',
    'kafka': 'kafka-python', 'memcache': 'python-memcached',
}
# A fixed timestamp for the wheel's entries: the same source always gives
# the same wheel.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclasses.dataclass
class Plan:
    """What the plugin of one release holds and what it leaves out."""
    release: Release
    distribution: str
    folder: str                                   # top-level folder name
    files: dict = dataclasses.field(default_factory=dict)   # rel -> abs
    entry_points: dict = dataclasses.field(default_factory=dict)
    requirements: list = dataclasses.field(default_factory=list)
    optional_imports: list = dataclasses.field(default_factory=list)
    left_out: list = dataclasses.field(default_factory=list)  # (what, why)

    @property
    def packages(self):
        """The vendor packages adopted, as import names."""
        tops = sorted({rel.split('/', 1)[0] for rel in self.files
                       if '/' in rel})
        return ['delfin.drivers.%s' % top for top in tops]

    @property
    def modules(self):
        return sorted(_module_name(rel) for rel in self.files
                      if rel.endswith('.py'))

    @property
    def wheel_name(self):
        return '%s-%s-py3-none-any.whl' % (_wheel_safe(self.distribution),
                                           _wheel_safe(self.release.version))


# -- what goes in ----------------------------------------------------------

def _module_name(rel):
    """Import name of a file of delfin/drivers given relative to it."""
    parts = rel[:-len('.py')].split('/')
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(['delfin', 'drivers'] + parts)


def core_provides():
    """Names (relative to delfin/drivers, ``/``-separated, without
    ``.py``) of the modules and packages our core has there."""
    import delfin.drivers
    provided = set()
    for folder in delfin.drivers.CORE_PATH:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            rel_dir = os.path.relpath(dirpath, folder).replace(os.sep, '/')
            if rel_dir != '.':
                provided.add(rel_dir)
            for name in filenames:
                if name.endswith('.py'):
                    rel = name[:-3] if rel_dir == '.' else \
                        '%s/%s' % (rel_dir, name[:-3])
                    provided.add(rel)
    return provided


def _listing(root):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        for name in sorted(filenames):
            if name.endswith(('.pyc', '.pyo')):
                continue
            path = os.path.join(dirpath, name)
            files[os.path.relpath(path, root).replace(os.sep, '/')] = path
    return files


def _distribution_name(release):
    base = re.sub(r'[-_.]+', '-', release.name).lower()
    return 'delfin-adopted-drivers' if base == 'delfin' else \
        '%s-adopted-drivers' % base


def _wheel_safe(text):
    return re.sub(r'[^\w\d.]+', '_', text, flags=re.UNICODE)


def _summarize(names, limit=6):
    names = sorted(names)
    shown = ', '.join(names[:limit])
    return shown + (', ...' if len(names) > limit else '')


def plan(release, provided=None):
    """Decide what the plugin of `release` holds and leaves out."""
    provided = core_provides() if provided is None else provided
    dist = _distribution_name(release)
    result = Plan(release, dist, dist.replace('-', '_'))
    drivers_root = os.path.join(release.root, DRIVERS_DIR)
    shadowed = {}
    framework = []
    for rel, path in _listing(drivers_root).items():
        top = rel.split('/', 1)[0]
        if '/' not in rel:
            if rel.endswith('.py'):
                framework.append(_module_name(rel))
            continue
        if top in provided:
            shadowed.setdefault(top, []).append(rel)
            continue
        result.files[rel] = path
    if framework:
        ours = sorted(m for m in framework
                      if m.rsplit('.', 1)[-1] in provided
                      or m == 'delfin.drivers')
        result.left_out.append((
            _summarize(framework),
            "the release's driver framework, not vendor drivers; our core "
            "provides its own (%s)" % _summarize(ours)))
    for top, rels in sorted(shadowed.items()):
        count = len([r for r in rels if r.endswith('.py')])
        result.left_out.append((
            'delfin.drivers.%s (%d module(s))' % (top, count),
            'our core provides this package: adopting it would shadow or '
            'overwrite ours'))
    _left_out_core(release, result)
    adopted = set(result.modules)
    for name, value in sorted(release.entry_points.items()):
        module = value.split(':', 1)[0].strip()
        if module in adopted:
            result.entry_points[name] = value
        else:
            result.left_out.append((
                'entry point "%s = %s"' % (name, value),
                'its module is not adopted (see above)'
                if module.startswith('delfin.drivers.')
                else 'its module is not part of a vendor driver package'))
    if not result.entry_points:
        raise AdoptError('%s declares no driver entry point whose module '
                         'could be adopted' % release.origin)
    result.requirements, result.optional_imports = _requirements(
        [p for r, p in result.files.items() if r.endswith('.py')])
    return result


def _left_out_core(release, result):
    """Report the release's modules outside delfin/drivers."""
    delfin_root = os.path.join(release.root, 'delfin')
    tests, core = [], []
    for rel in _listing(delfin_root):
        if not rel.endswith('.py') or rel.startswith('drivers/'):
            continue
        name = 'delfin.' + rel[:-3].replace('/', '.')
        name = name[:-len('.__init__')] if name.endswith('.__init__') \
            else name
        (tests if name.startswith('delfin.tests') else core).append(name)
    if core:
        packages = {'.'.join(n.split('.')[:2]) for n in core}
        result.left_out.append((
            '%d module(s) outside delfin.drivers (%s)'
            % (len(core), _summarize(packages)),
            "the release's own core, which this service replaces"))
    if tests:
        result.left_out.append((
            'delfin.tests (%d module(s))' % len(tests),
            'tests are not installed with drivers'))


def _imports(path):
    """(required, optional) top-level names imported by a module."""
    with open(path, 'rb') as f:
        try:
            tree = ast.parse(f.read(), path)
        except SyntaxError:
            return set(), set()
    optional_nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                _catches_import_error(h) for h in node.handlers):
            for inner in node.body:
                optional_nodes.update(id(n) for n in ast.walk(inner))
    required, optional = set(), set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 \
                and node.module:
            names = [node.module]
        for name in names:
            top = name.split('.', 1)[0]
            (optional if id(node) in optional_nodes else required).add(top)
    return required, optional - required


def _catches_import_error(handler):
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) \
        else [handler.type]
    return any(getattr(t, 'id', None) in ('ImportError',
                                          'ModuleNotFoundError',
                                          'Exception')
               for t in types)


def _distribution_of(top, installed):
    dists = installed.get(top)
    if dists:
        return sorted(dists, key=str.lower)[0]
    if top.startswith('oslo_'):
        return 'oslo.' + top[len('oslo_'):]
    return _KNOWN_DISTRIBUTIONS.get(top, top)


def _requirements(paths):
    """Distributions the modules at `paths` import, and the names of the
    optional imports left out of them."""
    required, optional = set(), set()
    for path in paths:
        r, o = _imports(path)
        required |= r
        optional |= o
    ignored = set(sys.stdlib_module_names) | {'delfin', '__future__'}
    installed = importlib.metadata.packages_distributions()
    dists = {_distribution_of(top, installed)
             for top in required - ignored}
    # Our own distribution is named delfin too: it is the core, never a
    # requirement of the plugin.
    dists.discard('delfin')
    return (sorted(dists, key=str.lower),
            sorted(optional - required - ignored))


# -- the wheel -------------------------------------------------------------

_FOLDER_INIT = '''"""Vendor driver packages of %(name)s %(version)s, adopted
with ``delfin-driver adopt``.

They are imported as ``delfin.drivers.<vendor>``: `delfin.drivers` finds
this folder through the ``delfin.driver_folders`` entry point.  The empty
``__path__`` keeps them from being imported a second time under this
folder's own name.
"""
__path__ = []
'''


def _metadata(p):
    release = p.release
    lines = [
        'Metadata-Version: 2.1',
        'Name: %s' % p.distribution,
        'Version: %s' % release.version,
        'Summary: Vendor drivers of %s %s, importable as delfin.drivers.'
        '<vendor>' % (release.name, release.version),
    ]
    if release.license_name and release.license_name != 'UNKNOWN':
        lines.append('License: %s' % release.license_name)
    lines += ['Requires-Dist: %s' % r for r in p.requirements]
    lines += ['Description-Content-Type: text/plain', '']
    return '\n'.join(lines) + '\n' + report_text(p)


def _entry_points_txt(p):
    lines = ['[%s]' % DRIVER_GROUP]
    lines += ['%s = %s' % kv for kv in sorted(p.entry_points.items())]
    lines += ['', '[%s]' % FOLDERS_GROUP, '%s = %s' % (p.distribution,
                                                       p.folder), '']
    return '\n'.join(lines)


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(
        hashlib.sha256(data).digest()).rstrip(b'=').decode('ascii')
    return [name, 'sha256=%s' % digest, str(len(data))]


def _check_no_overlap(names):
    """Refuse to write any path our own distribution installed."""
    try:
        ours = importlib.metadata.distribution('delfin').files or []
    except importlib.metadata.PackageNotFoundError:
        return
    clash = sorted(set(names) & {str(f) for f in ours})
    if clash:
        raise AdoptError('the plugin would overwrite files of our core: %s'
                         % _summarize(clash))


def build_wheel(p, dist_dir):
    """Write the plugin wheel of plan `p` into `dist_dir`; return its
    path."""
    info = '%s-%s.dist-info' % (_wheel_safe(p.distribution),
                                _wheel_safe(p.release.version))
    entries = [('%s/__init__.py' % p.folder, (_FOLDER_INIT % {
        'name': p.release.name, 'version': p.release.version}).encode())]
    for rel, path in sorted(p.files.items()):
        with open(path, 'rb') as f:
            entries.append(('%s/%s' % (p.folder, rel), f.read()))
    entries += [
        ('%s/METADATA' % info, _metadata(p).encode('utf-8')),
        ('%s/WHEEL' % info, (
            'Wheel-Version: 1.0\nGenerator: delfin-driver adopt\n'
            'Root-Is-Purelib: true\nTag: py3-none-any\n').encode()),
        ('%s/entry_points.txt' % info, _entry_points_txt(p).encode()),
        ('%s/top_level.txt' % info, (p.folder + '\n').encode()),
    ]
    if p.release.license_text:
        entries.append(('%s/LICENSE' % info,
                        p.release.license_text.encode('utf-8')))
    _check_no_overlap([name for name, _ in entries])
    record = io.StringIO()
    writer = csv.writer(record, lineterminator='\n')
    for name, data in entries:
        writer.writerow(_record_line(name, data))
    writer.writerow(['%s/RECORD' % info, '', ''])
    entries.append(('%s/RECORD' % info, record.getvalue().encode()))
    os.makedirs(dist_dir, exist_ok=True)
    path = os.path.join(dist_dir, p.wheel_name)
    temp = path + '.part'
    with zipfile.ZipFile(temp, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            item = zipfile.ZipInfo(name, _ZIP_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            archive.writestr(item, data)
    os.replace(temp, path)
    return path


def install(wheel_path, python=None):
    """pip-install the plugin wheel (replacing an installed copy) and the
    distributions it requires; raises AdoptError when pip fails."""
    pip = [python or sys.executable, '-m', 'pip', 'install',
           '--disable-pip-version-check']
    for extra in (['--force-reinstall', '--no-deps'], []):
        done = subprocess.run(pip + extra + [wheel_path],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise AdoptError('pip install %s failed:\n%s' % (
                wheel_path, (done.stderr or done.stdout).strip()))


# -- the report ------------------------------------------------------------

def report_text(p):
    """What was adopted and left out, for people."""
    release = p.release
    lines = ['Adopted from %s %s (%s).'
             % (release.name, release.version, release.origin), '']
    lines.append('Drivers (%d):' % len(p.entry_points))
    lines += ['  "%s" = %s' % kv for kv in sorted(p.entry_points.items())]
    lines.append('Vendor packages (%d modules): %s' % (
        len(p.modules), ', '.join(p.packages)))
    lines.append('Requires: %s' % (', '.join(p.requirements) or 'nothing'))
    if p.optional_imports:
        lines.append('Optional imports (not required): %s'
                     % ', '.join(p.optional_imports))
    lines += ['', 'Left out:']
    lines += ['  - %s: %s' % item for item in p.left_out]
    return '\n'.join(lines) + '\n'


def adopt(sources, dist_dir, work_dir=None):
    """Build one plugin wheel per source; return ``[(plan, path)]``.

    :raises AdoptError: a source cannot be adopted, or two sources would
        build the same distribution.
    """
    own_work = work_dir is None
    work_dir = work_dir or tempfile.mkdtemp(prefix='delfin-adopt-')
    try:
        plans = [plan(fetch(source, work_dir)) for source in sources]
        names = [p.distribution for p in plans]
        for name in set(names):
            if names.count(name) > 1:
                raise AdoptError('%d sources would all build %s; adopt '
                                 'one release at a time'
                                 % (names.count(name), name))
        return [(p, build_wheel(p, dist_dir)) for p in plans]
    finally:
        if own_work:
            shutil.rmtree(work_dir, ignore_errors=True)
