"""A Delfin release unpacked on disk, as ``delfin-driver adopt`` reads it.

`fetch` takes what the user named -- a release wheel, an sdist (tar or
zip), a source folder, or a pip requirement such as ``delfin==1.5.0``,
which pip downloads without its dependencies -- unpacks it into a work
folder and returns a `Release`: its name, version, the folder holding its
``delfin/`` package, its ``delfin.storage.drivers`` entry points as it
names them, and its license.  Entry points and version come from the
wheel's or sdist's metadata, or from a source tree's ``*.egg-info``,
``setup.cfg``, ``pyproject.toml`` or ``setup.py``; setup.py is read with
`ast`, never run.  Archive members that would land outside the work folder
are refused.
"""
import ast
import configparser
import dataclasses
import email.parser
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

DRIVER_GROUP = 'delfin.storage.drivers'
DRIVERS_DIR = 'delfin/drivers'
_ARCHIVES = ('.tar.gz', '.tgz', '.tar.bz2', '.tar.xz', '.zip')


class AdoptError(Exception):
    """The source cannot be adopted; the message says why."""


@dataclasses.dataclass
class Release:
    """A Delfin release unpacked on disk."""
    name: str
    version: str
    root: str                 # the folder holding delfin/
    origin: str               # what the user named
    entry_points: dict        # driver entry point name -> "module:attr"
    license_text: str = None
    license_name: str = None


def _is_requirement(source):
    return not os.path.exists(source) and not source.endswith(
        ('.whl',) + _ARCHIVES) and os.sep not in source


def fetch(source, work_dir):
    """Unpack `source` into `work_dir` and describe the release.

    :raises AdoptError: nothing usable at `source`.
    """
    if os.path.isdir(source):
        return _read_tree(os.path.abspath(source), source)
    if _is_requirement(source):
        downloaded = _download(source, work_dir)
        release = fetch(downloaded, work_dir)
        release.origin = '%s, downloaded as %s' % (
            source, os.path.basename(downloaded))
        return release
    if not os.path.isfile(source):
        raise AdoptError('%s: no such file or folder' % source)
    target = tempfile.mkdtemp(prefix='unpacked-', dir=work_dir)
    if source.endswith('.whl'):
        _unzip(source, target)
        return _read_wheel(target, source)
    if source.endswith(_ARCHIVES):
        _unpack_archive(source, target)
        return _read_sdist(target, source)
    raise AdoptError('%s: not a wheel (.whl), an sdist (%s) or a folder'
                     % (source, ', '.join(_ARCHIVES)))


def _download(requirement, work_dir):
    """Download `requirement` (without dependencies) with pip."""
    dest = tempfile.mkdtemp(prefix='download-', dir=work_dir)
    done = subprocess.run(
        [sys.executable, '-m', 'pip', 'download', '--no-deps',
         '--disable-pip-version-check', '--dest', dest, requirement],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise AdoptError('pip could not download %s:\n%s' % (
            requirement, (done.stderr or done.stdout).strip()))
    found = [os.path.join(dest, f) for f in os.listdir(dest)]
    if len(found) != 1:
        raise AdoptError('pip download %s gave %d files, expected one'
                         % (requirement, len(found)))
    return found[0]


def _safe_member(target, name):
    path = os.path.realpath(os.path.join(target, name))
    if not path.startswith(os.path.realpath(target) + os.sep):
        raise AdoptError('archive member %r points outside the archive'
                         % name)


def _unzip(path, target):
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                _safe_member(target, name)
            archive.extractall(target)
    except zipfile.BadZipFile as err:
        raise AdoptError('%s: %s' % (path, err))


def _unpack_archive(path, target):
    if path.endswith('.zip'):
        _unzip(path, target)
        return
    try:
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                _safe_member(target, member.name)
            archive.extractall(target, filter='data')
    except tarfile.TarError as err:
        raise AdoptError('%s: %s' % (path, err))


def _metadata_fields(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return email.parser.Parser().parse(f, headersonly=True)


def _parse_entry_points_txt(path):
    parser = configparser.ConfigParser(delimiters=('=',),
                                       interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding='utf-8')
    if not parser.has_section(DRIVER_GROUP):
        return {}
    return {k.strip(): v.strip() for k, v in parser.items(DRIVER_GROUP)}


def _read_license(folder):
    for name in ('LICENSE', 'LICENSE.txt', 'LICENCE', 'COPYING'):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding='utf-8', errors='replace') as f:
                return f.read()
    return None


def _check_layout(root, origin):
    if not os.path.isdir(os.path.join(root, DRIVERS_DIR)):
        raise AdoptError('%s holds no %s/ folder: not a Delfin release'
                         % (origin, DRIVERS_DIR))


def _read_wheel(target, origin):
    infos = [d for d in os.listdir(target) if d.endswith('.dist-info')]
    if len(infos) != 1:
        raise AdoptError('%s: expected one .dist-info folder, found %d'
                         % (origin, len(infos)))
    info = os.path.join(target, infos[0])
    fields = _metadata_fields(os.path.join(info, 'METADATA'))
    _check_layout(target, origin)
    eps = os.path.join(info, 'entry_points.txt')
    return Release(
        fields['Name'], fields['Version'], target, origin,
        _parse_entry_points_txt(eps) if os.path.isfile(eps) else {},
        _read_license(info), fields.get('License'))


def _read_sdist(target, origin):
    tops = [os.path.join(target, d) for d in os.listdir(target)]
    roots = [d for d in tops
             if os.path.isdir(os.path.join(d, DRIVERS_DIR))]
    if len(roots) != 1:
        raise AdoptError('%s: expected one project folder holding %s/'
                         % (origin, DRIVERS_DIR))
    return _read_tree(roots[0], origin)


def _read_tree(root, origin):
    _check_layout(root, origin)
    name = version = license_name = None
    entry_points = None
    pkg_info = os.path.join(root, 'PKG-INFO')
    if os.path.isfile(pkg_info):
        fields = _metadata_fields(pkg_info)
        name, version = fields['Name'], fields['Version']
        license_name = fields.get('License')
    for egg_info in sorted(f for f in os.listdir(root)
                           if f.endswith('.egg-info')):
        path = os.path.join(root, egg_info, 'entry_points.txt')
        if os.path.isfile(path):
            entry_points = _parse_entry_points_txt(path)
    declared = _declared_in_packaging(root)
    name = name or declared.get('name') or 'delfin'
    version = version or declared.get('version')
    if entry_points is None:
        entry_points = declared.get('entry_points', {})
    if not version:
        raise AdoptError('%s: no version found (PKG-INFO, setup.cfg, '
                         'setup.py or pyproject.toml)' % origin)
    return Release(name, version, root, origin, entry_points,
                   _read_license(root), license_name)


def _declared_in_packaging(root):
    """Name, version and driver entry points declared by the packaging
    files of a source tree, read without running any of them."""
    found = {}
    setup_py = os.path.join(root, 'setup.py')
    if os.path.isfile(setup_py):
        found.update(_setup_py_literals(setup_py))
    setup_cfg = os.path.join(root, 'setup.cfg')
    if os.path.isfile(setup_cfg):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(setup_cfg, encoding='utf-8')
        for key in ('name', 'version'):
            value = parser.get('metadata', key, fallback=None)
            if value and not value.startswith(('attr:', 'file:')):
                found.setdefault(key, value.strip())
        text = parser.get('options.entry_points', DRIVER_GROUP,
                          fallback='')
        eps = dict(_split_entry_point(line) for line in text.splitlines()
                   if '=' in line)
        if eps:
            found.setdefault('entry_points', eps)
    pyproject = os.path.join(root, 'pyproject.toml')
    if os.path.isfile(pyproject):
        import tomllib
        with open(pyproject, 'rb') as f:
            project = tomllib.load(f).get('project', {})
        for key in ('name', 'version'):
            if project.get(key):
                found.setdefault(key, str(project[key]))
        eps = project.get('entry-points', {}).get(DRIVER_GROUP)
        if eps:
            found.setdefault('entry_points',
                             {k: str(v) for k, v in eps.items()})
    return found


def _split_entry_point(line):
    name, value = line.split('=', 1)
    return name.strip(), value.strip()


def _setup_py_literals(path):
    """Literal keyword arguments of the ``setup(...)`` call in setup.py."""
    with open(path, encoding='utf-8') as f:
        try:
            tree = ast.parse(f.read(), path)
        except SyntaxError as err:
            raise AdoptError('%s: %s' % (path, err))
    found = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call)
                and getattr(node.func, 'id', getattr(node.func, 'attr', None))
                == 'setup'):
            continue
        for keyword in node.keywords:
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                continue
            if keyword.arg in ('name', 'version') and isinstance(value, str):
                found[keyword.arg] = value
            elif keyword.arg == 'entry_points' and isinstance(value, dict):
                lines = value.get(DRIVER_GROUP) or []
                if isinstance(lines, str):
                    lines = lines.splitlines()
                found['entry_points'] = dict(
                    _split_entry_point(line) for line in lines if '=' in line)
    return found
