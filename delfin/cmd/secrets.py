"""``delfin-manage secrets``: the secrets stored in the database.

    delfin-manage [--config-file F] secrets status
    delfin-manage [--config-file F] secrets rotate [--new-key]

The stored secrets are the access-info passwords (``rest``, ``ssh``,
``cli`` and ``smis`` sections) and the SNMP community and keys of alert
sources.  ``status`` counts them by state (`delfin.cryptor.classify`):
encrypted with the first key, encrypted with an older key, still Delfin's
plain base64 (rows written by Delfin), or unreadable with the configured
keys.  It writes nothing and creates no key file.

``rotate`` re-encrypts every stored secret with the first configured key,
Delfin's base64 values included, in one transaction: nothing is written
when one secret cannot be read.  With ``--new-key`` a fresh key is first
put at the head of the key file; old keys keep decrypting until removed by
hand once the rotation is done.
"""
import collections

from oslo_config import cfg

CONF = cfg.CONF

ACCESS_SECTIONS = ('rest', 'ssh', 'cli', 'smis')
ALERT_SOURCE_SECRETS = ('community_string', 'auth_key', 'privacy_key')


def _stored_secrets(conn):
    """``(table, storage_id, row, {field: value})`` of every row holding
    secrets; access-info fields are named by their section."""
    from delfin.db import api as db_api
    for row in db_api.list_rows('access_info', conn=conn):
        values = {section: row[section]['password']
                  for section in ACCESS_SECTIONS
                  if isinstance(row.get(section), dict)
                  and row[section].get('password')}
        if values:
            yield 'access_info', row['storage_id'], row, values
    for row in db_api.list_rows('alert_source', conn=conn):
        values = {name: row[name] for name in ALERT_SOURCE_SECRETS
                  if row.get(name)}
        if values:
            yield 'alert_source', row['storage_id'], row, values


def status():
    """``{table: Counter(state -> number of values)}`` of the stored
    secrets (states of `delfin.cryptor.classify`)."""
    from delfin import cryptor
    from delfin.db import engine as db_engine
    counts = {'access_info': collections.Counter(),
              'alert_source': collections.Counter()}
    with db_engine.get_engine().connect() as conn:
        for table, _, _, values in _stored_secrets(conn):
            for value in values.values():
                counts[table][cryptor.classify(value)] += 1
    return counts


def rotate():
    """Re-encrypt every stored secret with the first key.

    Returns ``{'access_info': n, 'alert_source': m, 'legacy': k}``: the
    rows rewritten per table and how many of their values were Delfin's
    base64.  Nothing is written when one secret cannot be decrypted.
    """
    from delfin import cryptor
    from delfin.db import api as db_api
    from delfin.db import engine as db_engine
    counts = {'access_info': 0, 'alert_source': 0, 'legacy': 0}
    with db_engine.writer() as conn:
        for table, storage_id, row, values in list(_stored_secrets(conn)):
            new = {}
            for field, value in values.items():
                if cryptor.legacy_text(value) is not None:
                    counts['legacy'] += 1
                new[field] = _reencrypt(cryptor, value, table, storage_id)
            if table == 'access_info':
                changes = {section: dict(row[section], password=token)
                           for section, token in new.items()}
            else:
                changes = new
            db_api.update(table, storage_id, changes, conn=conn)
            counts[table] += 1
    return counts


def _reencrypt(cryptor, token, table, storage_id):
    try:
        return cryptor.reencrypt(token)
    except ValueError:
        raise SystemExit('A secret of %s of storage %s is not readable with '
                         'the configured keys; nothing was changed'
                         % (table, storage_id))


def _status_command():
    from delfin import cryptor
    counts = status()
    states = (cryptor.ENCRYPTED, cryptor.OLD_KEY, cryptor.LEGACY,
              cryptor.UNREADABLE)
    print('%-14s %s' % ('table', '  '.join('%13s' % s for s in states)))
    for table, counter in counts.items():
        print('%-14s %s' % (table, '  '.join('%13d' % counter[s]
                                             for s in states)))
    legacy = sum(c[cryptor.LEGACY] for c in counts.values())
    old = sum(c[cryptor.OLD_KEY] for c in counts.values())
    unreadable = sum(c[cryptor.UNREADABLE] for c in counts.values())
    if legacy or old:
        print("%d value(s) stored as Delfin's base64 (not encrypted) and %d "
              "encrypted with an older key: run 'delfin-manage secrets "
              "rotate'" % (legacy, old))
    if unreadable:
        print('%d value(s) cannot be read with the configured keys'
              % unreadable)
    return 0


def _rotate_command():
    from delfin import cryptor
    if CONF.command.new_key:
        cryptor.add_primary_key()
        print('Added a new first key to %s' % CONF.security.secret_key_file)
    counts = rotate()
    print("Re-encrypted the secrets of %(access_info)d access info(s) and "
          "%(alert_source)d alert source(s); %(legacy)d value(s) were "
          "Delfin's base64 and are now encrypted" % counts)
    return 0


def add_parsers(subparsers):
    """Add ``secrets status|rotate`` to delfin-manage's subcommands."""
    secrets = subparsers.add_parser('secrets', help='secrets at rest')
    actions = secrets.add_subparsers(dest='action')
    actions.required = True
    show = actions.add_parser(
        'status', help='count the stored secrets by state (encrypted, '
                       "older key, Delfin's base64, unreadable)")
    show.set_defaults(func=_status_command)
    rotate_parser = actions.add_parser(
        'rotate', help="re-encrypt stored secrets (Delfin's base64 values "
                       'included) with the first key')
    rotate_parser.add_argument('--new-key', action='store_true',
                               help='first add a new key to the key file')
    rotate_parser.set_defaults(func=_rotate_command)
