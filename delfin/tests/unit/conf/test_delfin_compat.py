"""A Delfin 1.x configuration file: its coordination options make the
tooz URL, and every option of it that this service does not use is
reported, unknown ones with file and line."""
import logging
import os
import subprocess
import sys

import pytest
from oslo_config import cfg

from delfin import conf as delfin_conf
from delfin.conf import delfin_compat
from delfin.tests import conftest

DELFIN_CONF = os.path.join(os.path.dirname(__file__), 'data',
                           'delfin_v1.conf')


def _conf(*files):
    conf = cfg.ConfigOpts()
    for module in delfin_conf._MODULES:
        module.register_opts(conf)
    args = []
    for path in files:
        args += ['--config-file', str(path)]
    conf(args, project='delfin-test', default_config_files=[])
    return conf


def test_delfin_coordination_options_make_the_tooz_url():
    conf = _conf(DELFIN_CONF)
    # The password is decoded from Delfin's base64 and quoted for a URL.
    assert delfin_compat.coordination_url(conf) == \
        'redis://delfin:s3cret%2Fpw@127.0.0.1:6379'


def test_backend_url_wins_over_delfin_options(tmp_path):
    extra = tmp_path / 'url.conf'
    extra.write_text('[coordination]\nbackend_url = redis://10.0.0.9:6379\n')
    conf = _conf(DELFIN_CONF, extra)
    assert delfin_compat.coordination_url(conf) == 'redis://10.0.0.9:6379'


def test_without_delfin_options_the_url_is_backend_url(tmp_path):
    plain = tmp_path / 'plain.conf'
    plain.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    conf = _conf(plain)
    assert delfin_compat.coordination_url(conf) == \
        conf.coordination.backend_url


def test_unused_and_unknown_options_are_reported(caplog):
    conf = _conf(DELFIN_CONF)
    with caplog.at_level(logging.INFO, logger='delfin.conf.delfin_compat'):
        unused, unknown = delfin_compat.check(conf)
    assert [(g, n, line) for g, n, _path, line in unknown] == [
        ('DEFAULT', 'frobnicate_level', 7), ('kafka_exporter', 'kafak_port',
                                             30)]
    names = {(g, n) for g, n, _path, _line in unused}
    assert {('DEFAULT', 'api_paste_config'),
            ('telemetry', 'enable_dynamic_subprocess')} <= names
    # Honoured options are not reported: the coordination options, the
    # Alertmanager address, the Kafka exporter's, api_max_limit, oslo.log's
    # debug.
    assert not names & {('coordination', 'backend_server'),
                        ('prometheus_alert_manager_exporter',
                         'alert_manager_host'),
                        ('kafka_exporter', 'kafka_ip'),
                        ('DEFAULT', 'api_max_limit'), ('DEFAULT', 'debug')}
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING]
    assert warnings == [
        'Unknown option [DEFAULT] frobnicate_level in %s, line 7: neither '
        'this service nor Delfin has it' % DELFIN_CONF,
        'Unknown option [kafka_exporter] kafak_port in %s, line 30: '
        'neither this service nor Delfin has it' % DELFIN_CONF]


def test_files_of_a_config_dir_are_checked(tmp_path, caplog):
    (tmp_path / '10-extra.conf').write_text('[sync]\nintervall = 5\n')
    conf = cfg.ConfigOpts()
    for module in delfin_conf._MODULES:
        module.register_opts(conf)
    conf(['--config-dir', str(tmp_path)], project='delfin-test',
         default_config_files=[])
    unused, unknown = delfin_compat.check(conf)
    assert [(g, n, line) for g, n, _path, line in unknown] == [
        ('sync', 'intervall', 2)]


@pytest.mark.parametrize('command', [['db', 'current']])
def test_commands_report_at_start(tmp_path, command):
    conf = tmp_path / 'delfin.conf'
    with open(DELFIN_CONF) as f:
        text = f.read()
    conf.write_text(text.replace(
        'connection = sqlite:////var/lib/delfin/delfin.sqlite',
        'connection = sqlite:///%s' % (tmp_path / 'delfin.sqlite')))
    out = subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
         str(conf)] + command, cwd=conftest.REPO_ROOT, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert out.returncode == 0, out.stderr
    logged = out.stdout + out.stderr
    assert 'Unknown option [DEFAULT] frobnicate_level in %s, line 7' % conf \
        in logged
    assert 'Delfin option [telemetry] enable_dynamic_subprocess' in logged
    assert 's3cret' not in logged
