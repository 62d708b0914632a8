"""The WSGI application module as gunicorn or uWSGI would load it."""
import json
import os
import subprocess
import sys
import textwrap

_PROBE = textwrap.dedent('''
    import json, webob
    from delfin.api import wsgi
    out = {}
    for path in ('/v1/storages', '/v1/nothing'):
        resp = webob.Request.blank(path).get_response(wsgi.application)
        out[path] = [resp.status_int, resp.json,
                     resp.headers.get('x-compute-request-id')]
    print(json.dumps(out))
''')


def test_application_reads_its_configuration_from_the_environment(
        tmp_path):
    conf = tmp_path / 'delfin.conf'
    db_file = tmp_path / 'api.sqlite'
    conf.write_text('[DEFAULT]\nstate_path = %s\napi_max_limit = 5\n'
                    '[database]\nconnection = sqlite:///%s\n'
                    % (tmp_path, db_file))
    env = dict(os.environ, DELFIN_CONFIG_FILE=str(conf))
    env.pop('DELFIN_CONFIG_DIR', None)
    proc = subprocess.run([sys.executable, '-c', _PROBE], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    status, body, request_id = out['/v1/storages']
    assert status == 200
    assert body == {'storages': [], 'total': 0}
    assert request_id.startswith('req-')
    status, body, _ = out['/v1/nothing']
    assert status == 404
    assert body['error_code'] == 'NotFound'
    # The schema was created in the configured database.
    assert db_file.exists()
