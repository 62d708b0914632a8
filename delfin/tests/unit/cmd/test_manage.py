"""delfin-manage: schema and configuration commands (the secrets commands
are tested in test_secrets.py)."""
import os
import subprocess
import sys

from oslo_config import cfg

from delfin.tests import conftest

CONF = cfg.CONF


def _manage(tmp_path, *args):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n' % (tmp_path / 'state'))
    return subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
         str(conf)] + list(args), cwd=conftest.REPO_ROOT, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, PYTHONWARNINGS='ignore'))


def test_db_upgrade_then_current_report_the_head(tmp_path):
    from delfin.db import migration
    before = _manage(tmp_path, 'db', 'current')
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == 'base'
    up = _manage(tmp_path, 'db', 'upgrade')
    assert up.returncode == 0, up.stderr
    assert (tmp_path / 'state' / 'delfin.sqlite').exists()
    after = _manage(tmp_path, 'db', 'current')
    assert after.stdout.strip() == migration.head()


def test_unknown_command_is_an_error(tmp_path):
    out = _manage(tmp_path, 'db', 'explode')
    assert out.returncode != 0
    assert 'explode' in out.stderr


def test_config_generate_lists_the_options(tmp_path):
    sample = tmp_path / 'sample.conf'
    out = _manage(tmp_path, 'config', 'generate', '--output-file',
                  str(sample))
    assert out.returncode == 0, out.stderr
    text = sample.read_text()
    for name in ('delfin_listen_port', 'transport_url', '[database]',
                 '[coordination]', 'member_timeout'):
        assert name in text
