"""``delfin-all``: API, task and alert components in one process.

The embedded default: SQLite, the in-process RPC transport and file-based
coordination, so one command gives a working service with no other
server.  The same components run as ``delfin-api``, ``delfin-task`` and
``delfin-alert`` when the configuration names a broker and a shared
coordination backend.
"""
from delfin import cmd
from delfin import service


def main(argv=None):
    cmd.prepare(argv, prog='delfin-all')
    cmd.exit_with(cmd.serve('delfin-all', service.all_components))


if __name__ == '__main__':
    main()
