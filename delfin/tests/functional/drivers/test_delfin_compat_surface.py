"""The core names Delfin's drivers import exist under Delfin's module
paths, and importing them (and drivers written against them) never pulls
in eventlet."""
import ast
import importlib
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(HERE))))
STYLE_DIR = os.path.join(HERE, 'delfin_style')

COMPAT_MODULES = (
    'delfin.common.alert_util',
    'delfin.common.config',
    'delfin.common.constants',
    'delfin.context',
    'delfin.cryptor',
    'delfin.drivers.driver',
    'delfin.drivers.utils.rest_client',
    'delfin.drivers.utils.ssh_client',
    'delfin.drivers.utils.tools',
    'delfin.exception',
    'delfin.i18n',
    'delfin.ssl_utils',
    'delfin.utils',
)
STYLE_DRIVERS = (
    'delfin.tests.functional.drivers.delfin_style.rest_driver',
    'delfin.tests.functional.drivers.delfin_style.cli_driver',
)

# What Delfin's vendor drivers import from Delfin's core.
DRIVER_IMPORTS = {
    ('delfin', 'cryptor'), ('delfin', 'exception'), ('delfin', 'utils'),
    ('delfin', 'ssl_utils'), ('delfin', 'context'), ('delfin', 'db'),
    ('delfin.common', 'constants'), ('delfin.common', 'alert_util'),
    ('delfin.drivers', 'driver'), ('delfin.i18n', '_'),
    ('delfin.drivers.utils', 'ssh_client'),
    ('delfin.drivers.utils.tools', 'Tools'),
    ('delfin.drivers.utils.rest_client', 'RestClient'),
    ('delfin.drivers.utils.ssh_client', 'SSHPool'),
}

# Names and attributes drivers use, per module.
SURFACE = {
    'delfin.cryptor': ['encode', 'decode', 'ICryptor', '_Base64'],
    'delfin.utils': ['utcnow_ms', 'check_ssh_injection'],
    'delfin.common.alert_util': ['is_alert_in_time_range',
                                 'fill_storage_attributes'],
    'delfin.context': ['RequestContext', 'get_admin_context'],
    'delfin.ssl_utils': ['HostNameIgnoreAdapter',
                         'get_host_name_ignore_adapter',
                         'get_storage_ca_path', 'verify_ca_path',
                         'reload_certificate'],
    'delfin.i18n': ['_'],
    'delfin.common.config': ['CONF'],
    'delfin.drivers.utils.rest_client': ['RestClient', 'SOCKET_TIMEOUT'],
    'delfin.drivers.utils.ssh_client': ['SSHPool', 'SSHClient'],
    'delfin.drivers.utils.tools': ['Tools'],
}
CLASS_SURFACE = {
    ('delfin.drivers.utils.rest_client', 'RestClient'): [
        'init_http_head', 'do_call'],
    ('delfin.drivers.utils.ssh_client', 'SSHPool'): [
        'create', 'item', 'get', 'put', 'remove', 'do_exec',
        'do_exec_shell', 'set_host_key', 'CONN_TIMEOUT', 'SOCKET_TIMEOUT'],
    ('delfin.drivers.utils.ssh_client', 'SSHClient'): [
        'connect', 'set_host_key', 'exec_command', 'close', 'do_exec',
        'SOCKET_TIMEOUT'],
    ('delfin.drivers.utils.tools', 'Tools'): [
        'time_str_to_timestamp', 'timestamp_to_time_str',
        'timestamp_to_utc_time_str', 'change_capacity_to_bytes',
        'get_capacity_size', 'split_value_map_list',
        'get_numbers_in_brackets', 'remove_file_with_same_type',
        'get_remote_file_to_xml'],
}


@pytest.mark.parametrize('module', sorted(SURFACE))
def test_module_offers_the_names_drivers_use(module):
    loaded = importlib.import_module(module)
    missing = [n for n in SURFACE[module] if not hasattr(loaded, n)]
    assert missing == []


@pytest.mark.parametrize('module, cls', sorted(CLASS_SURFACE))
def test_class_offers_the_methods_drivers_use(module, cls):
    klass = getattr(importlib.import_module(module), cls)
    missing = [n for n in CLASS_SURFACE[(module, cls)]
               if not hasattr(klass, n)]
    assert missing == []


def _core_imports(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module \
                and node.module.split('.')[0] == 'delfin':
            found.update((node.module, a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(('import', a.name) for a in node.names
                         if a.name.split('.')[0] == 'delfin')
    return found


@pytest.mark.parametrize('name', ['rest_driver.py', 'cli_driver.py'])
def test_delfin_style_drivers_import_only_what_delfin_drivers_import(name):
    imports = _core_imports(os.path.join(STYLE_DIR, name))
    assert imports, 'the driver imports nothing from the core?'
    assert imports - DRIVER_IMPORTS == set()


def test_importing_the_compat_surface_does_not_import_eventlet():
    code = '\n'.join(['import sys'] +
                     ['import %s' % m for m in COMPAT_MODULES + STYLE_DRIVERS]
                     + ["print(' '.join(sorted(m for m in sys.modules "
                        "if m.split('.')[0] == 'eventlet')))"])
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT,
                            env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ''
