"""``delfin-manage``: administration commands.

    delfin-manage [--config-file F] db upgrade [REVISION]
    delfin-manage [--config-file F] db current
    delfin-manage [--config-file F] secrets status
    delfin-manage [--config-file F] secrets rotate [--new-key]
    delfin-manage [--config-file F] config generate [--output-file F]
    delfin-manage [--config-file F] import-delfin --from DB_URL [--dry-run]

The ``secrets`` commands are described in `delfin.cmd.secrets`.
"""
import sys

from oslo_config import cfg
from oslo_log import log as logging

from delfin import cmd
from delfin.cmd import import_delfin
from delfin.cmd import secrets

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

GENERATOR_NAMESPACES = ('delfin', 'oslo.messaging', 'oslo.log')


def _migration():
    try:
        from delfin.db import migration
    except ImportError:
        return None
    return migration


def db_upgrade():
    migration = _migration()
    revision = CONF.command.revision
    if migration is None:
        if revision != 'head':
            print('No migrations in this installation; only "head" can be '
                  'reached', file=sys.stderr)
            return 1
        cmd.upgrade_database(force=True)
        print('Tables created from the schema (no migrations installed)')
        return 0
    if revision == 'head':
        migration.upgrade()
    else:
        migration.upgrade(revision=revision)
    print('Database at revision %s' % (migration.current() or 'base'))
    return 0


def db_current():
    migration = _migration()
    if migration is None:
        print('No migrations in this installation', file=sys.stderr)
        return 1
    print(migration.current() or 'base')
    return 0


def config_generate():
    from oslo_config import generator
    args = []
    for namespace in GENERATOR_NAMESPACES:
        args += ['--namespace', namespace]
    if CONF.command.output_file:
        args += ['--output-file', CONF.command.output_file]
    generator.main(args=args)
    return 0


def _add_parsers(subparsers):
    db = subparsers.add_parser('db', help='database schema')
    db_actions = db.add_subparsers(dest='action')
    db_actions.required = True
    upgrade = db_actions.add_parser('upgrade', help='upgrade the schema')
    upgrade.add_argument('revision', nargs='?', default='head')
    upgrade.set_defaults(func=db_upgrade)
    current = db_actions.add_parser('current', help='show the revision')
    current.set_defaults(func=db_current)

    secrets.add_parsers(subparsers)

    config = subparsers.add_parser('config', help='configuration')
    config_actions = config.add_subparsers(dest='action')
    config_actions.required = True
    generate = config_actions.add_parser(
        'generate', help='write a sample configuration file')
    generate.add_argument('--output-file', default=None)
    generate.set_defaults(func=config_generate)

    import_delfin.add_parser(subparsers)


COMMAND_OPT = cfg.SubCommandOpt('command', title='Commands',
                                handler=_add_parsers)


def main(argv=None):
    cmd.prepare(argv, prog='delfin-manage', cli_opts=[COMMAND_OPT])
    try:
        code = CONF.command.func()
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            code = 1
        else:
            code = e.code
    sys.exit(code)


if __name__ == '__main__':
    main()
