"""The API as a module-level WSGI ``application`` for external servers.

For gunicorn or uWSGI deployments::

    DELFIN_CONFIG_FILE=/etc/delfin/delfin.conf \\
        gunicorn --threads 8 'delfin.api.wsgi:application'

The configuration files are named by the environment variable
``DELFIN_CONFIG_FILE`` (several separated by ``os.pathsep``); without it
oslo.config's usual search for ``delfin.conf`` applies.  The server's own
command line is never parsed, since it belongs to the server.
"""
import os

from oslo_config import cfg
from oslo_log import log as logging

import delfin.conf  # noqa: F401  (registers every option)
from delfin.api import app as api_app

CONF = cfg.CONF
CONFIG_ENV = 'DELFIN_CONFIG_FILE'


def _config_files(environ):
    value = environ.get(CONFIG_ENV, '')
    return [p for p in value.split(os.pathsep) if p]


def init_application(environ=None):
    """Load the configuration and build the application."""
    environ = os.environ if environ is None else environ
    files = _config_files(environ)
    kwargs = {'project': 'delfin'}
    if files:
        kwargs['default_config_files'] = files
    try:
        logging.register_options(CONF)
    except cfg.ArgsAlreadyParsedError:
        pass  # registered by whoever parsed the configuration first
    CONF(args=[], **kwargs)
    logging.setup(CONF, 'delfin')
    return api_app.make_app()


application = init_application()
