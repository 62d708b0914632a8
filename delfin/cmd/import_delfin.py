"""``delfin-manage import-delfin --from DB_URL [--dry-run]``.

Moves a Delfin 1.x installation over: reads its database (never writes
it) and imports its storages, access information, SNMP configurations and
inventory with their ids (see `delfin.db.delfin_import`), then prints the
count of rows per Delfin table (imported, already present, skipped) and
why each skipped row was skipped.
"""
import sys

from oslo_config import cfg

CONF = cfg.CONF


def import_delfin():
    from delfin.db import delfin_import
    url = CONF.command.source_url
    try:
        report = delfin_import.run(url, dry_run=CONF.command.dry_run)
    except delfin_import.NotADelfinDatabase as exc:
        print('Cannot import from %s: %s' % (_shown(url), exc),
              file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0


def _shown(url):
    """``url`` without its password."""
    import sqlalchemy as sa
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  an unparsable URL has no password
        return '<the given URL>'


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'import-delfin',
        help='import the storages, access information, SNMP '
             'configurations and inventory of a Delfin 1.x database')
    parser.add_argument('--from', dest='source_url', required=True,
                        metavar='DB_URL',
                        help='SQLAlchemy URL of the Delfin database, e.g. '
                             'sqlite:////var/lib/delfin/delfin.sqlite or '
                             'mysql+pymysql://USER:PASSWORD@HOST/delfin')
    parser.add_argument('--dry-run', action='store_true',
                        help='report what would be imported; write nothing')
    parser.set_defaults(func=import_delfin)
