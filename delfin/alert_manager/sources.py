"""Alert sources: which storage each trap sender speaks for, and with what
secrets.

An alert source (Delfin's snmp-config, one per storage, table
``alert_sources``) names the host(s) a storage sends traps from (a
comma-separated list, as in Delfin) and either a v1/v2c community or an
SNMPv3 user (name, security level, protocols, keys, optional engine id).
Its secrets are stored encrypted (`delfin.cryptor`).

`build_credentials` turns the rows into the listener's `Credentials`: a
community is accepted only from the source's own hosts, matched exactly
(never by substring), and a v3 user only from its source's hosts and, when
the source names one, only for its engine id.  Every entry's owner is the
storage id, so an accepted trap says which storage(s) it belongs to.  Host
names are resolved when the credentials are built; a name that does not
resolve is skipped with a warning (and retried at the next build).

`SourceWatcher` keeps a running listener in step with the table without a
restart: every ``[alerts] source_refresh_interval`` seconds it reads a
cheap version of the table (row count and latest change), and when it
moved it rebuilds the credentials and hands them to a callback.  A change
made in the same process (the API of ``delfin-all``) calls `notify_changed`
and is applied at once.  Because alert sources cascade with their storage,
deleting a storage removes its source and the listener forgets it at the
next check.
"""
import ipaddress
import socket
import threading
import time

import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as logging

from delfin import cryptor
from delfin.alert_manager.snmp import decoder
from delfin.alert_manager.snmp import usm
from delfin.common import constants
from delfin.db import engine as db_engine
from delfin.db import schema

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

TABLE = schema.alert_sources

_changed = threading.Event()


def notify_changed():
    """Tell the watchers of this process that alert sources changed."""
    _changed.set()


def split_hosts(host):
    """The hosts of a source's ``host`` field (comma-separated)."""
    return [h.strip() for h in (host or '').split(',') if h.strip()]


def resolve(host):
    """IP address literals of ``host`` (itself when it is one)."""
    try:
        return [decoder.normalize_host(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_DGRAM)
    except OSError as exc:
        LOG.warning("Alert source host %s does not resolve: %s", host, exc)
        return []
    return sorted({decoder.normalize_host(info[4][0]) for info in infos})


def _decode(value):
    return cryptor.decode(value) if value else None


def _lower(value):
    return value.lower() if value else None


def user_of(row):
    """The `usm.UsmUser` of a v3 source row (secrets decrypted)."""
    level = row.get('security_level')
    auth = priv = auth_key = priv_key = None
    if level in (constants.SecurityLevel.AUTHNOPRIV,
                 constants.SecurityLevel.AUTHPRIV):
        auth, auth_key = _lower(row['auth_protocol']), _decode(
            row['auth_key'])
    if level == constants.SecurityLevel.AUTHPRIV:
        priv, priv_key = _lower(row['privacy_protocol']), _decode(
            row['privacy_key'])
    engine_id = row.get('engine_id')
    return usm.UsmUser(
        name=row['username'], auth_protocol=auth, auth_password=auth_key,
        priv_protocol=priv, priv_password=priv_key,
        engine_id=bytes.fromhex(engine_id) if engine_id else None)


def build_credentials(rows, resolver=resolve, check_time_window=None):
    """(`Credentials`, {storage_id: [resolved hosts]}) of source rows.

    A row that cannot be used (an undecryptable secret, a bad protocol) is
    skipped with an error naming its storage; the others still apply.
    """
    if check_time_window is None:
        check_time_window = CONF.alerts.check_time_window
    communities, users, hosts_of = [], [], {}
    for row in rows:
        storage_id = row['storage_id']
        hosts = []
        for host in split_hosts(row['host']):
            hosts.extend(h for h in resolver(host) if h not in hosts)
        hosts_of[storage_id] = hosts
        if not hosts:
            continue
        version = (row['version'] or '').lower()
        try:
            if version == constants.SNMPVersion.V3:
                users.append(decoder.UserEntry(
                    user_of(row), hosts=tuple(hosts), owner=storage_id))
            else:
                community = _decode(row['community_string'])
                if not community:
                    raise ValueError('no community')
                communities.extend(
                    decoder.CommunityEntry(h, community, owner=storage_id)
                    for h in hosts)
        except Exception as exc:
            # The message never quotes the secret.
            LOG.error("Alert source of storage %s is unusable (%s); its "
                      "traps will be dropped", storage_id,
                      type(exc).__name__)
    credentials = decoder.Credentials(communities, users,
                                      check_time_window=check_time_window)
    return credentials, hosts_of


def load_rows(conn=None):
    """Every alert source row."""
    stmt = sa.select(TABLE)
    if conn is not None:
        return [dict(r._mapping) for r in conn.execute(stmt)]
    with db_engine.reader() as c:
        return [dict(r._mapping) for r in c.execute(stmt)]


def table_version(conn=None):
    """A value that changes whenever a row is added, changed or removed."""
    stmt = sa.select(sa.func.count(), sa.func.max(TABLE.c.created_at),
                     sa.func.max(TABLE.c.updated_at))
    if conn is not None:
        return tuple(conn.execute(stmt).one())
    with db_engine.reader() as c:
        return tuple(c.execute(stmt).one())


def is_ip_literal(host):
    try:
        ipaddress.ip_address(host.strip('[]'))
        return True
    except ValueError:
        return False


class SourceWatcher(object):
    """Rebuilds the credentials when the alert sources change.

    ``on_change(credentials, rows, hosts_of)`` is called from the watcher's
    thread (and once, synchronously, by `start`).  Names are re-resolved
    at every rebuild, and at least every ``storage_refresh_interval``.
    """

    def __init__(self, on_change, interval=None, resolver=resolve):
        self._on_change = on_change
        self._interval = interval or CONF.alerts.source_refresh_interval
        self._resolver = resolver
        self._stop = threading.Event()
        self._thread = None
        self._version = None
        self._built_at = 0.0
        self.generation = 0

    def start(self):
        self.refresh(force=True)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='alert-sources')
        self._thread.start()

    def stop(self, timeout=None):
        self._stop.set()
        _changed.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def refresh(self, force=False):
        """Rebuild now if the table moved (or ``force``); True if rebuilt."""
        version = table_version()
        stale = time.monotonic() - self._built_at > \
            CONF.alerts.storage_refresh_interval
        if not force and version == self._version and not stale:
            return False
        rows = load_rows()
        credentials, hosts_of = build_credentials(rows, self._resolver)
        self._on_change(credentials, rows, hosts_of)
        self._version = version
        self._built_at = time.monotonic()
        self.generation += 1
        LOG.debug("Alert sources loaded: %s", credentials)
        return True

    def _run(self):
        while not self._stop.is_set():
            _changed.wait(self._interval)
            _changed.clear()
            if self._stop.is_set():
                return
            try:
                self.refresh()
            except Exception:
                LOG.exception("Reading the alert sources failed; keeping "
                              "the previous ones")
