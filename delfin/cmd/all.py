"""``delfin-all``: API, task and alert components in one process.

The embedded default: SQLite, the in-process RPC transport and file-based
coordination, so one command gives a working service with no other
server.  The same components run as ``delfin-api``, ``delfin-task`` and
``delfin-alert`` when the configuration names a broker and a shared
coordination backend.
"""
from oslo_config import cfg
from oslo_log import log as logging

from delfin import cmd
from delfin import service

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def main(argv=None):
    cmd.prepare(argv, prog='delfin-all')
    if CONF.delfin_workers > 1:
        LOG.warning("delfin-all serves the API from its own process; "
                    "delfin_workers = %d applies to delfin-api only",
                    CONF.delfin_workers)
    cmd.exit_with(cmd.serve('delfin-all', service.all_components))


if __name__ == '__main__':
    main()
