"""``delfin-manage``: administration commands.

    delfin-manage [--config-file F] db upgrade [REVISION]
    delfin-manage [--config-file F] db current
    delfin-manage [--config-file F] secrets rotate [--new-key]
    delfin-manage [--config-file F] config generate [--output-file F]
    delfin-manage [--config-file F] import-delfin --from DB_URL [--dry-run]

``secrets rotate`` re-encrypts every stored secret (access-info passwords,
SNMP communities and keys of alert sources) with the first configured key,
in one transaction.  With ``--new-key`` a fresh key is first put at the
head of the key file; old keys keep decrypting until removed by hand once
the rotation is done.
"""
import sys

from oslo_config import cfg
from oslo_log import log as logging

from delfin import cmd
from delfin.cmd import import_delfin

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

ACCESS_SECTIONS = ('rest', 'ssh', 'cli', 'smis')
ALERT_SOURCE_SECRETS = ('community_string', 'auth_key', 'privacy_key')

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


def rotate_secrets():
    """Re-encrypt every stored secret with the first key.

    Returns ``{'access_info': n, 'alert_source': m}``, the number of rows
    rewritten.  Nothing is written when one secret cannot be decrypted.
    """
    from delfin import cryptor
    from delfin.db import api as db_api
    from delfin.db import engine as db_engine

    counts = {'access_info': 0, 'alert_source': 0}
    with db_engine.writer() as conn:
        for row in db_api.list_rows('access_info', conn=conn):
            changes = {}
            for section in ACCESS_SECTIONS:
                value = row.get(section)
                if isinstance(value, dict) and value.get('password'):
                    changes[section] = dict(
                        value, password=_reencrypt(
                            cryptor, value['password'], 'access_info',
                            row['storage_id']))
            if changes:
                db_api.update('access_info', row['storage_id'], changes,
                              conn=conn)
                counts['access_info'] += 1
        for row in db_api.list_rows('alert_source', conn=conn):
            changes = {name: _reencrypt(cryptor, row[name], 'alert_source',
                                        row['storage_id'])
                       for name in ALERT_SOURCE_SECRETS if row.get(name)}
            if changes:
                db_api.update('alert_source', row['storage_id'], changes,
                              conn=conn)
                counts['alert_source'] += 1
    return counts


def _reencrypt(cryptor, token, table, storage_id):
    try:
        return cryptor.reencrypt(token)
    except ValueError:
        raise SystemExit('A secret of %s of storage %s is not readable with '
                         'the configured keys; nothing was changed'
                         % (table, storage_id))


def secrets_rotate():
    from delfin import cryptor
    if CONF.command.new_key:
        cryptor.add_primary_key()
        print('Added a new first key to %s' % CONF.security.secret_key_file)
    counts = rotate_secrets()
    print('Re-encrypted the secrets of %(access_info)d access info(s) and '
          '%(alert_source)d alert source(s)' % counts)
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

    secrets = subparsers.add_parser('secrets', help='secrets at rest')
    secrets_actions = secrets.add_subparsers(dest='action')
    secrets_actions.required = True
    rotate = secrets_actions.add_parser(
        'rotate', help='re-encrypt stored secrets with the first key')
    rotate.add_argument('--new-key', action='store_true',
                        help='first add a new key to the key file')
    rotate.set_defaults(func=secrets_rotate)

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
