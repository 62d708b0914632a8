"""The ``delfin-driver`` command line: output and exit status."""
import json
import os
import subprocess
import sys

import pytest

from delfin.sdk import cli
from delfin.tests.unit.sdk import sample_drivers

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


def test_list_shows_every_driver_with_its_distribution(sample_dist, capsys):
    assert cli.main(['list']) == cli.EXIT_OK
    out = capsys.readouterr().out
    line = [row for row in out.splitlines()
            if row.startswith('"sdktest good"')][0]
    assert 'sdk-sample-drivers 2.5' in line and ' ok ' in line
    assert '"fake_storage fake_driver"' in out


def test_list_as_json(sample_dist, capsys):
    cli.main(['list', '--json'])
    entries = json.loads(capsys.readouterr().out)
    good = [e for e in entries if e['name'] == 'sdktest good'][0]
    assert good['driver_class'].endswith('sample_drivers.GoodDriver')


def test_list_explains_a_missing_driver(sample_dist, capsys):
    status = cli.main(['list', '--vendor', 'sdktest', '--model', 'gdoo'])
    out = capsys.readouterr().out
    assert status == cli.EXIT_FAILED
    assert '"sdktest gdoo" would not be found:' in out
    assert '"sdktest good" is a close spelling' in out
    assert 'restart' in out


def test_list_resolves_a_driver(sample_dist, capsys):
    status = cli.main(['list', '--vendor', 'sdktest', '--model', 'good'])
    assert status == cli.EXIT_OK
    assert 'resolves to delfin.tests.unit.sdk.sample_drivers.GoodDriver' in \
        capsys.readouterr().out


def test_vendor_needs_model():
    with pytest.raises(SystemExit) as caught:
        cli.main(['list', '--vendor', 'x'])
    assert caught.value.code == cli.EXIT_USAGE


def test_unreadable_access_info_is_a_usage_error(tmp_path, capsys):
    status = cli.main(['check', '--vendor', 'a', '--model', 'b',
                       '--access-info', str(tmp_path / 'missing.yaml')])
    assert status == cli.EXIT_USAGE
    assert 'missing.yaml' in capsys.readouterr().err


def test_new_creates_the_package(tmp_path, capsys):
    assert cli.main(['new', 'acme', 'flash', '--dir', str(tmp_path)]) == \
        cli.EXIT_OK
    assert (tmp_path / 'delfin-driver-acme-flash' / 'pyproject.toml').exists()
    assert 'pip install -e' in capsys.readouterr().out
    assert cli.main(['new', 'acme', 'flash', '--dir', str(tmp_path)]) == \
        cli.EXIT_USAGE


def _check_process(sample_dist, tmp_path, model):
    access = tmp_path / 'access.json'
    access.write_text(json.dumps({'rest': {
        'host': '192.0.2.1', 'port': 443, 'username': 'u',
        'password': sample_drivers.PASSWORD}}))
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(sample_dist), REPO]))
    return subprocess.run(
        [sys.executable, '-m', 'delfin.sdk.cli', 'check', '--vendor',
         sample_drivers.VENDOR, '--model', model, '--access-info',
         str(access), '--perf-window', '60', '--report-dir',
         str(tmp_path / 'reports')],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=120)


def test_check_process_passes_and_writes_reports(sample_dist, tmp_path):
    done = _check_process(sample_dist, tmp_path, 'good')
    assert done.returncode == cli.EXIT_OK, done.stdout + done.stderr
    assert 'result: PASSED' in done.stdout
    data = json.loads((tmp_path / 'reports' /
                       'conformance-sdktest-good.json').read_text())
    assert data['summary']['result'] == 'passed'
    assert (tmp_path / 'reports' / 'conformance-sdktest-good.md').exists()
    # The check encrypts with a throw-away key: no key file appears.
    assert not (tmp_path / 'state').exists()
    assert sample_drivers.PASSWORD not in done.stdout + json.dumps(data)


def test_check_process_fails_on_a_violation(sample_dist, tmp_path):
    done = _check_process(sample_dist, tmp_path, 'bad_enum')
    assert done.returncode == cli.EXIT_FAILED
    assert 'result: FAILED (1 violation(s)' in done.stdout
