"""What every service command does first: read the configuration, say
which, and bind nothing but this machine unless told otherwise."""
import os
import subprocess
import sys
import textwrap

import pytest


_SCRIPT = textwrap.dedent('''
    from delfin import cmd
    cmd.prepare([])
    cmd.log_configuration()
    from delfin import service
    from delfin.alert_manager import service as alert_service
    api = service.ApiServer(port=0)
    api.start()
    try:
        print('api', ' '.join(h for h, _p in api.addresses))
    finally:
        api.stop(5)
    print('traps', alert_service.AlertService(port=0).host)
''')


def _answers(out):
    return dict(line.split(' ', 1) for line in out.stdout.splitlines()
                if line.startswith(('api ', 'traps ')))


def _run(tmp_path, script):
    env = dict(os.environ, HOME=str(tmp_path), PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, '-c', script], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(os.path.exists('/etc/delfin/delfin.conf')
                    or os.path.exists('/etc/delfin.conf'),
                    reason='this machine has a system-wide delfin.conf')
def test_without_configuration_it_says_so_and_binds_this_machine_only(
        tmp_path):
    out = _run(tmp_path, _SCRIPT)
    assert out.returncode == 0, out.stderr
    log = out.stdout + out.stderr
    assert 'No configuration file found' in log
    assert 'running on defaults' in log
    assert 'API listening on 127.0.0.1 port' in log
    assert _answers(out) == {'api': '127.0.0.1', 'traps': '127.0.0.1'}


def test_the_configuration_files_read_are_named(tmp_path):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n'
                    'delfin_listen = 127.0.0.2\n' % (tmp_path / 'state'))
    script = _SCRIPT.replace("cmd.prepare([])",
                             "cmd.prepare(['--config-file', %r])"
                             % str(conf))
    out = _run(tmp_path, script)
    assert out.returncode == 0, out.stderr
    assert 'Configuration read from %s' % conf in out.stdout + out.stderr
    assert _answers(out)['api'] == '127.0.0.2'
