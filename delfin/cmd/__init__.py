"""Command-line entry points: ``delfin-api``, ``delfin-task``,
``delfin-alert``, ``delfin-all`` and ``delfin-manage``.

Every command reads the configuration (``--config-file``, ``--config-dir``;
oslo.config project ``delfin``), sets up logging, and the services upgrade
the database schema before they start when ``[database] auto_upgrade`` is
set.
"""
import logging as std_logging
import os
import sys
import threading

# Before anything imports oslo.messaging or tooz: native threads only.
from delfin import rpc  # noqa: F401  (selects the threading backend)

from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

import delfin.conf  # noqa: E402,F401  (registers the options)

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

_QUIET_LIBRARIES = ['granian=WARN', 'kombu=WARN', 'tooz=WARN',
                    'futurist=WARN', 'alembic=WARN',
                    'cotyledon=WARN']


def _version():
    try:
        from importlib import metadata
        return metadata.version('delfin')
    except Exception:
        return 'unknown'


def prepare(argv=None, prog=None, cli_opts=()):
    """Parse the command line and configuration files, set up logging.

    ``argv`` excludes the program name (default: ``sys.argv[1:]``).
    """
    argv = sys.argv[1:] if argv is None else argv
    # Parsing again (tests, tools) needs the parsed state cleared before
    # command-line options are registered.
    CONF.clear()
    logging.register_options(CONF)
    for opt in cli_opts:
        CONF.register_cli_opt(opt)
    rpc.register_opts(CONF)
    levels = logging.get_default_log_levels()
    logging.set_defaults(default_log_levels=levels + [
        x for x in _QUIET_LIBRARIES if x not in levels])
    CONF(argv, project='delfin', prog=prog, version=_version())
    logging.setup(CONF, 'delfin')
    # Paths in the configuration are relative to where the service runs;
    # pin them now so that options built from $state_path agree.
    CONF.set_override('state_path', os.path.abspath(CONF.state_path))
    from delfin import cryptor
    try:
        cryptor.check_configuration()
    except cryptor.UnsupportedCryptor as err:
        sys.exit(str(err))
    # A Delfin configuration file: say what of it is not used.
    from delfin.conf import delfin_compat
    try:
        delfin_compat.check(CONF)
    except Exception:  # noqa: BLE001  a report never stops a start
        LOG.exception("Could not check the configuration files")


def log_configuration():
    """Say which configuration the process runs on."""
    files = list(CONF.config_file or [])
    dirs = list(CONF.config_dir or []) if isinstance(
        CONF.config_dir, (list, tuple)) else (
        [CONF.config_dir] if CONF.config_dir else [])
    if files or dirs:
        LOG.info("Configuration read from %s", ', '.join(files + dirs))
    else:
        LOG.warning("No configuration file found (looked for delfin.conf "
                    "in ~/.delfin, ~/, /etc/delfin and /etc): running on "
                    "defaults")


def upgrade_database(force=False):
    """Bring the schema to the newest revision (when ``[database]
    auto_upgrade`` is set, or ``force``)."""
    if not (force or CONF.database.auto_upgrade):
        return
    try:
        from delfin.db import migration
    except ImportError:
        migration = None
    if migration is not None and hasattr(migration, 'upgrade'):
        migration.upgrade()
        return
    # Without migrations, create what the schema describes (and never
    # alter existing tables).
    from delfin.db import engine as db_engine
    from delfin.db import schema
    LOG.warning("No database migrations in this installation; creating "
                "missing tables from the schema instead")
    schema.metadata.create_all(db_engine.get_engine())


def serve(name, components_factory):
    """Run a service process until SIGTERM/SIGINT; return its exit code."""
    from delfin import service
    LOG.info("%s %s starting (pid %d)", name, _version(), os.getpid())
    log_configuration()
    try:
        upgrade_database()
        components = [service.LogCheckpoints()] + list(components_factory())
    except Exception:
        LOG.exception("%s could not start", name)
        return 1
    process = service.Process(name, components)
    code = process.run()
    rpc.cleanup()
    try:
        from delfin.db import engine as db_engine
        db_engine.dispose()
    except Exception:
        LOG.exception("Could not close database connections")
    return code


def exit_with(code):
    """Exit with ``code``.  Work still running on non-daemon threads after
    a clean stop (a sync past the shutdown timeout) does not hold the
    process: the service state it leaves is recovered on the next start."""
    std_logging.shutdown()
    lingering = [t for t in threading.enumerate()
                 if t is not threading.main_thread() and not t.daemon
                 and t.is_alive()]
    if lingering:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
