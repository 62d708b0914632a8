"""The API as a module-level WSGI ``application`` for external servers.

For gunicorn or uWSGI deployments::

    DELFIN_CONFIG_FILE=/etc/delfin/delfin.conf \\
        gunicorn --threads 8 'delfin.api.wsgi:application'

The configuration is read as the services read it (`delfin.cmd.prepare`):
the files named by ``DELFIN_CONFIG_FILE`` (several separated by
``os.pathsep``) and the directory named by ``DELFIN_CONFIG_DIR``, else
oslo.config's usual search for ``delfin.conf``.  The server's own command
line is never parsed, since it belongs to the server.  The database schema
is upgraded first when ``[database] auto_upgrade`` is set.
"""
import os

from delfin import cmd
from delfin.api import app as api_app

CONFIG_FILE_ENV = 'DELFIN_CONFIG_FILE'
CONFIG_DIR_ENV = 'DELFIN_CONFIG_DIR'


def config_args(environ):
    """The ``--config-file``/``--config-dir`` arguments from ``environ``."""
    args = []
    for path in environ.get(CONFIG_FILE_ENV, '').split(os.pathsep):
        if path:
            args += ['--config-file', path]
    if environ.get(CONFIG_DIR_ENV):
        args += ['--config-dir', environ[CONFIG_DIR_ENV]]
    return args


def init_application(environ=None):
    """Load the configuration, prepare the database, build the app."""
    environ = os.environ if environ is None else environ
    cmd.prepare(config_args(environ), prog='delfin-api-wsgi')
    cmd.log_configuration()
    cmd.upgrade_database()
    return api_app.make_app()


application = init_application()
