"""``connection = postgresql://...`` and ``mysql://...``, written without a
driver as users write them, work: the service uses the driver it installs.
"""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from delfin.db import migration
from delfin.tests import conftest


def _manage(tmp_path, connection, *args):
    conf = tmp_path / 'delfin.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                    'connection = %s\n' % (tmp_path / 'state', connection))
    return subprocess.run(
        [sys.executable, '-m', 'delfin.cmd.manage', '--config-file',
         str(conf)] + list(args), cwd=conftest.REPO_ROOT, capture_output=True,
        text=True, timeout=180, env=dict(os.environ, PYTHONWARNINGS='ignore'))


@pytest.mark.parametrize('backend, scheme', [
    ('postgresql', 'postgresql'), ('mysql', 'mysql'), ('mysql', 'mariadb')])
def test_a_url_without_driver_works(backend, scheme, db_servers, tmp_path):
    url = db_servers.url(backend, '_plain_%s' % scheme)
    plain = url.set(drivername=scheme).render_as_string(hide_password=False)
    assert '+' not in plain.split('://')[0]
    up = _manage(tmp_path, plain, 'db', 'upgrade')
    assert up.returncode == 0, up.stderr[-3000:]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert migration.current(engine) == migration.head()
            assert conn.execute(sa.text('SELECT count(*) FROM storages')
                                ).scalar() == 0
    finally:
        engine.dispose()
