"""The driver contract suite: the conformance check, interface by interface,
on every driver this repository ships.

Drivers are discovered, not listed: every entry point of the namespace
``delfin.storage.drivers`` whose module lives in this repository (outside
the test tree) is checked, so a driver added to ``setup.cfg`` joins the
suite by itself.  Each driver is loaded through stevedore by its vendor and
model, as the service loads it.

Inputs per driver, first found wins:

1. ``delfin/tests/contract/fixtures/<vendor>-<model>.yaml``;
2. ``fixtures/contract.yaml`` in the driver's package folder;

each a mapping with ``access_info`` (clear passwords; a driver that talks
to a backend points ``extra_attributes`` at its recorded fixtures),
optional ``traps`` (samples for ``parse_alert``), ``allow_clear`` and
``perf_window``.  Without either file the driver gets a placeholder access
section, which only a driver that needs no backend can serve.
"""
import importlib.metadata
import importlib.util
import json
import os

import pytest

from delfin.drivers import manager as driver_manager
from delfin.sdk import conformance
from delfin.sdk import report as rpt

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TESTS = os.path.join(REPO, 'delfin', 'tests')

DEFAULT_INPUTS = {'access_info': {'rest': {
    'host': '192.0.2.1', 'port': 443, 'username': 'contract',
    'password': 'contract'}}}


def _module_file(module):
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def _inside(path, folder):
    return os.path.commonpath([os.path.abspath(path), folder]) == folder


def shipped_drivers():
    """``[(entry point name, module file)]`` of the drivers this
    repository ships, sorted by name."""
    found = {}
    for ep in importlib.metadata.entry_points(
            group=driver_manager.NAMESPACE):
        origin = _module_file(ep.module)
        if origin and _inside(origin, REPO) and not _inside(origin, TESTS):
            found.setdefault(ep.name, origin)
    return sorted(found.items())


DRIVERS = shipped_drivers()


def inputs_of(name, module_file):
    vendor, model = name.split(' ', 1)
    candidates = [
        os.path.join(HERE, 'fixtures', '%s-%s.yaml' % (vendor, model)),
        os.path.join(os.path.dirname(module_file), 'fixtures',
                     'contract.yaml'),
    ]
    for path in candidates:
        if os.path.isfile(path):
            return conformance.load_data_file(path)
    return DEFAULT_INPUTS


_REPORTS = {}


def report_of(name, module_file):
    """The conformance report of a driver, computed once per session."""
    if name not in _REPORTS:
        vendor, model = name.split(' ', 1)
        inputs = inputs_of(name, module_file)
        _REPORTS[name] = conformance.run_check(
            vendor, model, inputs['access_info'],
            traps=inputs.get('traps'),
            allow_clear=inputs.get('allow_clear', False),
            perf_window=inputs.get('perf_window', 300))
    return _REPORTS[name]


def _explain(item):
    lines = ['%s: %s' % (item.name, item.status)]
    if item.error:
        lines.append(item.error)
    lines += ['%s [%s] %s' % (v.path, v.code, v.message)
              for v in item.violations if v.severity == 'error']
    return '\n'.join(lines)


def test_the_project_ships_drivers():
    assert 'fake_storage fake_driver' in [name for name, _ in DRIVERS]


@pytest.mark.parametrize('interface', conformance.interface_names())
@pytest.mark.parametrize('name,module_file', DRIVERS,
                         ids=[name for name, _ in DRIVERS])
def test_interface(name, module_file, interface):
    report = report_of(name, module_file)
    assert report.fatal is None, report.fatal
    item = report.interface(interface)
    assert item.status not in rpt.FAILING, _explain(item)


@pytest.mark.parametrize('name,module_file', DRIVERS,
                         ids=[name for name, _ in DRIVERS])
def test_report(name, module_file, tmp_path):
    report = report_of(name, module_file)
    md_path, json_path = report.write(str(tmp_path))
    with open(json_path, encoding='utf-8') as f:
        data = json.load(f)
    assert data['summary']['result'] == rpt.PASSED
    assert data['driver']['name'] == name
    assert data['interfaces'][0]['name'] == 'load'
    with open(md_path, encoding='utf-8') as f:
        assert '**Result: PASSED**' in f.read()
