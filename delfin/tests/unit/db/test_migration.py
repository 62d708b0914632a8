"""The migration scripts and what ships them."""
import configparser
import fnmatch
import os

from delfin.db import migration

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


def test_head_is_the_newest_revision():
    assert migration.head() == '0004'


def test_every_migration_file_ships_in_the_package():
    # Python files ship as modules; the others only when package_data
    # names them (a wheel without alembic.ini cannot run `alembic`).
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO, 'setup.cfg'))
    patterns = [p.strip() for p in cfg['options.package_data'].get(
        'delfin.db.migrations', '').split(',') if p.strip()]
    for root, dirs, files in os.walk(migration.MIGRATIONS_DIR):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            if name.endswith(('.py', '.pyc')):
                assert os.path.exists(os.path.join(root, '__init__.py'))
                continue
            assert any(fnmatch.fnmatch(name, p) for p in patterns), name
