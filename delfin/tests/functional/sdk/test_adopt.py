"""``delfin-driver adopt`` with real files and real pip: a release laid out
as Delfin's (data/release, our own few lines) adopted from its wheel, its
sdist, its source folder and as a pip requirement; the plugin installed
with ``--install`` into a throwaway environment, listed, checked, and
uninstalled without a trace; and a driver installed while the service
runs.  ``delfin==1.5.0`` itself is adopted from PyPI by the CI job
``python -m delfin.tests.upstream_drivers``.
"""
import email.parser
import importlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

import delfin.drivers
from delfin.sdk import adopt
from delfin.tests import conftest
from delfin.tests.fixtures.throwaway_env import ThrowawayEnv

RELEASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data',
                       'release')
VERSION = '9.1.0'
PLUGIN = 'delfin-adopted-drivers'
ENTRY_POINT = 'acme box = delfin.drivers.acme.box.driver:AcmeBoxDriver'


def _release_files():
    for dirpath, dirnames, filenames in os.walk(RELEASE):
        dirnames[:] = sorted(d for d in dirnames if d != '__pycache__')
        for name in sorted(filenames):
            if not name.endswith('.pyc'):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, RELEASE), path


def make_wheel(folder):
    """The release as a wheel, metadata as setuptools writes it."""
    path = os.path.join(str(folder), 'delfin-%s-py3-none-any.whl' % VERSION)
    info = 'delfin-%s.dist-info' % VERSION
    with zipfile.ZipFile(path, 'w') as archive:
        for rel, source in _release_files():
            if rel.startswith('delfin' + os.sep):
                archive.write(source, rel)
        archive.writestr(info + '/METADATA', 'Metadata-Version: 2.1\n'
                         'Name: delfin\nVersion: %s\nLicense: Apache 2.0\n'
                         % VERSION)
        archive.writestr(info + '/entry_points.txt', (
            '[delfin.alert.exporters]\n'
            'example = delfin.exporter.example:AlertExporterExample\n\n'
            '[delfin.storage.drivers]\n%s\nfake_storage fake_driver = '
            'delfin.drivers.fake_storage:FakeStorageDriver\n' % ENTRY_POINT))
        archive.writestr(info + '/WHEEL', 'Wheel-Version: 1.0\n'
                         'Root-Is-Purelib: true\nTag: py3-none-any\n')
        archive.writestr(info + '/LICENSE', 'A license text.\n')
        archive.writestr(info + '/RECORD', '')
    return path


def make_sdist(folder):
    path = os.path.join(str(folder), 'delfin-%s.tar.gz' % VERSION)
    top = 'delfin-%s' % VERSION
    with tarfile.open(path, 'w:gz') as archive:
        for rel, source in _release_files():
            archive.add(source, '%s/%s' % (top, rel))
        data = ('Metadata-Version: 1.2\nName: delfin\nVersion: %s\n'
                % VERSION).encode()
        member = tarfile.TarInfo('%s/PKG-INFO' % top)
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return path


def _tool(*args):
    return [sys.executable, '-m', 'delfin.sdk.cli'] + list(args)


def _run(args, cwd, env=None, check=True):
    done = subprocess.run(args, cwd=str(cwd), capture_output=True, text=True,
                          timeout=300, env=env)
    if check and done.returncode != 0:
        pytest.fail('%s exited %d\n%s\n%s' % (' '.join(args), done.returncode,
                                              done.stdout, done.stderr))
    return done


def _wheel_contents(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        info = [n for n in names if n.endswith('.dist-info/METADATA')][0]
        metadata = email.parser.Parser().parsestr(
            archive.read(info).decode())
        eps = archive.read(info.replace('METADATA', 'entry_points.txt'))
    return names, metadata, eps.decode()


def _assert_plugin(path, origin):
    names, metadata, eps = _wheel_contents(path)
    assert os.path.basename(path) == \
        'delfin_adopted_drivers-%s-py3-none-any.whl' % VERSION
    assert (metadata['Name'], metadata['Version']) == (PLUGIN, VERSION)
    # The vendor package, in a folder of its own; nothing of our package
    # (delfin/...) and nothing of the release's core, framework or tests.
    code = sorted(n for n in names if not n.startswith(
        'delfin_adopted_drivers-'))
    assert code == [
        'delfin_adopted_drivers/__init__.py',
        'delfin_adopted_drivers/acme/__init__.py',
        'delfin_adopted_drivers/acme/box/__init__.py',
        'delfin_adopted_drivers/acme/box/consts.py',
        'delfin_adopted_drivers/acme/box/driver.py']
    # The driver entry point as the release names it; the fake driver's
    # is left out (our core has its own), so is the exporter.
    assert ('[delfin.storage.drivers]\n%s\n' % ENTRY_POINT) in eps
    assert 'fake_storage' not in eps and 'exporter' not in eps
    assert '[delfin.driver_folders]\n%s = delfin_adopted_drivers' % PLUGIN \
        in eps
    # What the driver imports: required, the optional import not.
    requires = metadata.get_all('Requires-Dist')
    assert sorted(requires, key=str.lower) == ['oslo.log', 'requests',
                                               'six']
    body = metadata.get_payload()
    assert 'Adopted from delfin %s (%s)' % (VERSION, origin) in body
    assert 'Optional imports (not required): yaml' in body
    for left_out in ('delfin.drivers.fake_storage (1 module(s)): our core '
                     'provides this package',
                     'delfin.drivers.utils (2 module(s)): our core provides '
                     'this package',
                     "delfin.drivers.helper, delfin.drivers.manager: the "
                     "release's driver framework",
                     "2 module(s) outside delfin.drivers (delfin, "
                     "delfin.exception): the release's own core",
                     'delfin.tests (5 module(s)): tests are not installed',
                     'entry point "fake_storage fake_driver = '
                     'delfin.drivers.fake_storage:FakeStorageDriver": its '
                     'module is not adopted'):
        assert left_out in body


@pytest.mark.parametrize('form', ['wheel', 'sdist', 'source folder'])
def test_adopt_builds_the_plugin_wheel(tmp_path, form):
    source = {'wheel': make_wheel, 'sdist': make_sdist,
              'source folder': lambda folder: RELEASE}[form](tmp_path)
    done = _run(_tool('adopt', source, '--dist-dir', 'out'), tmp_path)
    wheel = tmp_path / 'out' / ('delfin_adopted_drivers-%s-py3-none-any.whl'
                                % VERSION)
    assert 'wrote %s' % os.path.join('out', wheel.name) in done.stdout
    assert 'install with: pip install' in done.stdout
    _assert_plugin(str(wheel), source)
    names = _wheel_contents(str(wheel))[0]
    license_file = 'delfin_adopted_drivers-%s.dist-info/LICENSE' % VERSION
    assert license_file in names


def test_adopt_a_pip_requirement(tmp_path):
    index = tmp_path / 'index'
    index.mkdir()
    make_wheel(index)
    # pip finds the release in a local folder instead of PyPI.
    env = dict(os.environ, PIP_NO_INDEX='1', PIP_FIND_LINKS=str(index))
    done = _run(_tool('adopt', 'delfin==%s' % VERSION, '--dist-dir', 'out'),
                tmp_path, env=env)
    wheel = tmp_path / 'out' / ('delfin_adopted_drivers-%s-py3-none-any.whl'
                                % VERSION)
    assert wheel.exists(), done.stdout
    _assert_plugin(str(wheel), 'delfin==%s, downloaded as delfin-%s-py3-'
                   'none-any.whl' % (VERSION, VERSION))


def test_adopt_refuses_what_is_not_a_release(tmp_path):
    (tmp_path / 'empty').mkdir()
    done = _run(_tool('adopt', 'empty'), tmp_path, check=False)
    assert done.returncode == 1
    assert 'holds no delfin/drivers/ folder' in done.stderr
    done = _run(_tool('adopt', 'delfin==0.0.0.404'), tmp_path, check=False,
                env=dict(os.environ, PIP_NO_INDEX='1'))
    assert done.returncode == 1
    assert 'pip could not download delfin==0.0.0.404' in done.stderr
    assert not (tmp_path / 'dist').exists()


def _core_files():
    found = set()
    for folder in delfin.drivers.CORE_PATH:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            found.update(os.path.join(dirpath, n) for n in filenames)
    return found


def test_install_list_check_and_uninstall(tmp_path):
    env = ThrowawayEnv(tmp_path / 'env')
    core_before = _core_files()
    done = env.run(['-m', 'delfin.sdk.cli', 'adopt', RELEASE, '--dist-dir',
                    str(tmp_path / 'out'), '--install'], cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'installed %s %s into %s' % (PLUGIN, VERSION, env.folder) \
        in done.stdout
    folder = os.path.join(env.site_packages, 'delfin_adopted_drivers')
    assert os.path.isfile(os.path.join(folder, 'acme', 'box', 'driver.py'))

    listed = env.run(['-m', 'delfin.sdk.cli', 'list', '--json'])
    entries = {e['name']: e for e in json.loads(listed.stdout)}
    acme = entries['acme box']
    assert (acme['status'], acme['distribution'], acme['version']) == \
        ('ok', PLUGIN, VERSION)
    assert acme['driver_class'] == \
        'delfin.drivers.acme.box.driver.AcmeBoxDriver'
    assert acme['module_file'] == os.path.join(folder, 'acme', 'box',
                                               'driver.py')
    text = env.run(['-m', 'delfin.sdk.cli', 'list']).stdout
    assert '"acme box"' in text and '%s %s' % (PLUGIN, VERSION) in text

    access = tmp_path / 'access.json'
    access.write_text(json.dumps({'rest': {
        'host': '192.0.2.40', 'port': 8443, 'username': 'admin',
        'password': 'secret'}}))
    checked = env.run(['-m', 'delfin.sdk.cli', 'check', 'acme box',
                       '--access-info', str(access), '--report-dir',
                       str(tmp_path / 'reports')], cwd=str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert 'result: PASSED' in checked.stdout
    report = json.loads((tmp_path / 'reports' /
                         'conformance-acme-box.json').read_text())
    assert report['driver']['distribution'] == PLUGIN

    removed = env.pip('uninstall', '-y', PLUGIN)
    assert removed.returncode == 0, removed.stderr
    assert not os.path.exists(folder)
    assert not [n for n in os.listdir(env.site_packages)
                if n.startswith('delfin_adopted')]
    gone = env.run(['-m', 'delfin.sdk.cli', 'list', '--json'])
    assert 'acme box' not in {e['name'] for e in json.loads(gone.stdout)}
    assert _core_files() == core_before
    env.remove()


@pytest.fixture
def late_site(tmp_path, monkeypatch):
    """A folder on sys.path where a plugin gets installed later; the
    adopted modules are forgotten at the end."""
    site = tmp_path / 'site'
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    monkeypatch.undo()
    importlib.invalidate_caches()
    delfin.drivers.extend_path()
    for name in [m for m in sys.modules
                 if m.startswith('delfin.drivers.acme')]:
        del sys.modules[name]


def test_driver_installed_while_the_service_runs(tmp_path, service,
                                                 late_site):
    body = {'vendor': 'acme', 'model': 'box',
            'rest': {'host': '192.0.2.41', 'port': 8443,
                     'username': 'admin', 'password': 'secret'}}
    status, error = service.request('POST', '/v1/storages', body)
    assert status == 404
    assert error['error_code'] == 'StorageDriverNotFound'
    assert error['error_msg'].startswith(
        "Storage driver 'acme box'could not be found. Installed drivers: ")
    assert "'fake_storage fake_driver'" in error['error_msg']

    wheel = adopt.adopt([RELEASE], str(tmp_path / 'out'))[0][1]
    installed = _run([sys.executable, '-m', 'pip', 'install', '--no-deps',
                      '--target', str(late_site), wheel], tmp_path)
    assert installed.returncode == 0

    status, storage = service.request('POST', '/v1/storages', body)
    assert status == 201, storage
    assert storage['serial_number'] == 'ACMEBOX01'

    def first_sync_done():
        jobs = service.request('GET', '/v1/storages/%s/jobs'
                               % storage['id'])[1]['jobs']
        done = [j for j in jobs if j['state'] in ('succeeded', 'failed',
                                                  'cancelled')]
        return done[0] if done else None
    job = conftest.wait_for(first_sync_done, timeout=60,
                            what='the first sync')
    assert job['state'] == 'succeeded', job
    status, volumes = service.request(
        'GET', '/v1/volumes?storage_id=%s' % storage['id'])
    assert status == 200
    assert sorted(v['native_volume_id'] for v in volumes['volumes']) == \
        ['v1', 'v2', 'v3']
    assert service.request('DELETE', '/v1/storages/%s'
                           % storage['id'])[0] == 202
    service.wait_idle()
