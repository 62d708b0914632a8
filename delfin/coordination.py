"""Coordination among task nodes: membership, storage ownership and locks.

Every task node joins one tooz group and heartbeats to the backend.  The
live members form a consistent hash ring; a storage belongs to the member
the ring maps its id to, and only that node runs the storage's periodic
work.  When a node stops heartbeating for ``[coordination]
member_timeout`` seconds the backend drops it from the group, every
survivor rebuilds the same ring from the same member list, and the dead
node's storages (only those) move to the survivors.  A node that cannot
reach the backend for that long stops owning anything, so two nodes never
both believe they own a storage for long.

The backend is configuration (``[coordination] backend_url``): the default
``file://`` directory under ``state_path`` needs no server and suits one
machine; ``redis://host:6379`` shares the ring among machines.
"""
import os
import threading
import time
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging
from tooz import coordination as tooz_coordination
from tooz import hashring

from delfin.common import outage

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

TASK_GROUP = 'delfin-task'
PARTITIONS = 32

_current = None
_current_lock = threading.Lock()


def _encode(value):
    return value.encode('utf-8') if isinstance(value, str) else value


def _decode(value):
    return value.decode('utf-8') if isinstance(value, bytes) else value


def backend_url(url=None, member_timeout=None):
    """The tooz URL to use, with the member timeout filled in.

    A relative ``file://`` path is made absolute (``file://state/x`` is
    read as the relative directory ``state/x``, not as host ``state``).
    """
    if not url:
        from delfin.conf import delfin_compat
        url = delfin_compat.coordination_url(CONF)
    timeout = member_timeout or CONF.coordination.member_timeout
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if parts.scheme == 'file':
        path = os.path.abspath(parts.netloc + parts.path)
        parts = parts._replace(netloc='', path=path)
        query.setdefault('timeout', str(timeout))
    elif parts.scheme in ('redis', 'rediss'):
        query.setdefault('membership_timeout', str(timeout))
    return urllib.parse.urlunsplit(
        parts._replace(query=urllib.parse.urlencode(query)))


def _safe(url):
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(':%s@' % parts.password, ':***@')


class Coordinator(object):
    """This node's membership in a group and its view of the hash ring.

    :param member_id: this node's name in the group (``[DEFAULT] host`` by
        default; it must be unique among the nodes).
    :param group: the group joined.
    :param weight: this node's share of the ring relative to the others.
    """

    def __init__(self, member_id=None, group=TASK_GROUP, url=None,
                 heartbeat_interval=None, member_timeout=None, weight=1,
                 partitions=PARTITIONS):
        self.member_id = member_id or CONF.host
        self.group = group
        self.member_timeout = (member_timeout
                               or CONF.coordination.member_timeout)
        self.url = backend_url(url, self.member_timeout)
        self.heartbeat_interval = (heartbeat_interval
                                   or CONF.coordination.heartbeat_interval)
        self.weight = weight
        self.partitions = partitions
        self._tooz = None
        self._thread = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._members = ()
        self._ring = None
        self._last_refresh = None
        self._listeners = []
        self._outage = outage.Outage('coordination backend',
                                     'group %s' % group)

    # -- lifecycle ------------------------------------------------------

    def start(self):
        """Connect, join the group and build the first ring."""
        self._tooz = tooz_coordination.get_coordinator(
            self.url, _encode(self.member_id))
        self._tooz.start(start_heart=False)
        self._join()
        self.refresh()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name='delfin-coordination', daemon=True)
        self._thread.start()
        LOG.info("Joined group %s as %s on %s", self.group, self.member_id,
                 _safe(self.url))

    def stop(self, timeout=None):
        """Leave the group at once (the others take over without waiting
        for the member timeout) and disconnect."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._tooz is None:
            return
        try:
            self._tooz.leave_group(_encode(self.group)).get()
        except Exception as e:
            LOG.warning("Could not leave group %s: %s", self.group, e)
        try:
            self._tooz.stop()
        except Exception as e:
            LOG.warning("Could not stop the coordination backend: %s", e)
        self._tooz = None
        with self._lock:
            self._members, self._ring = (), None
        LOG.info("Left group %s", self.group)

    def _join(self):
        group = _encode(self.group)
        try:
            self._tooz.create_group(group).get()
        except tooz_coordination.GroupAlreadyExist:
            pass
        try:
            self._tooz.join_group(
                group, capabilities={'weight': self.weight}).get()
        except tooz_coordination.MemberAlreadyExist:
            # Our previous life's entry, not yet expired: it is us.
            pass

    def _loop(self):
        while not self._stopping.wait(self.heartbeat_interval):
            try:
                self._tooz.heartbeat()
                self.refresh()
            except Exception as e:
                self._on_backend_error(e)
            else:
                self._outage.ok()

    def _on_backend_error(self, error):
        self._outage.failed(error)
        last = self._last_refresh
        if last is not None and time.monotonic() - last > self.member_timeout:
            # The others have dropped us by now and share our storages.
            with self._lock:
                dropped = self._ring is not None
                self._members, self._ring = (), None
            if dropped:
                LOG.error("Out of group %s for more than %s s: this node "
                          "owns no storage until the backend is back",
                          self.group, self.member_timeout)

    # -- membership -------------------------------------------------------

    def refresh(self):
        """Read the live members and rebuild the ring if they changed."""
        group = _encode(self.group)
        try:
            members = self._tooz.get_members(group).get()
        except tooz_coordination.GroupNotCreated:
            members = set()
        members = {_decode(m) for m in members}
        if self.member_id not in members:
            # Expired while the backend was away, or removed by a peer.
            self._join()
            members.add(self.member_id)
        members = tuple(sorted(members))
        changed = False
        with self._lock:
            if members != self._members or self._ring is None:
                self._ring = self._build_ring(members)
                self._members = members
                changed = True
            self._last_refresh = time.monotonic()
        if changed:
            LOG.info("Members of %s: %s", self.group, ', '.join(members))
            for callback in list(self._listeners):
                try:
                    callback(members)
                except Exception:
                    LOG.exception("Membership listener failed")
        return members

    def _build_ring(self, members):
        ring = hashring.HashRing([], partitions=self.partitions)
        for member in members:
            weight = self.weight
            if member != self.member_id:
                try:
                    caps = self._tooz.get_member_capabilities(
                        _encode(self.group), _encode(member)).get()
                    weight = int((caps or {}).get('weight', 1))
                except Exception:
                    weight = 1
            ring.add_node(_encode(member), weight)
        return ring

    def add_listener(self, callback):
        """Call ``callback(members)`` whenever the membership changes."""
        self._listeners.append(callback)

    def in_group(self):
        """True while this node reaches the backend and sees itself in
        the group."""
        with self._lock:
            return self._ring is not None and not self._outage.down

    @property
    def members(self):
        """The live members as last seen, sorted."""
        with self._lock:
            return list(self._members)

    # -- ownership --------------------------------------------------------

    def owner(self, storage_id):
        """The member that owns ``storage_id``, or None when this node is
        out of the group."""
        with self._lock:
            ring = self._ring
        if ring is None:
            return None
        nodes = ring.get_nodes(_encode(storage_id))
        return _decode(next(iter(nodes)))

    def owns(self, storage_id):
        """True when this node is the one to work on ``storage_id``."""
        return self.owner(storage_id) == self.member_id

    def get_lock(self, name):
        """A lock shared by every node (tooz lock ``delfin-<name>``)."""
        return self._tooz.get_lock(_encode('delfin-%s' % name))


def set_current(coordinator):
    """Make ``coordinator`` the one `owns` consults (None: single node)."""
    global _current
    with _current_lock:
        _current = coordinator


def get_current():
    """The started task-group coordinator of this process, or None."""
    return _current


def owns(storage_id):
    """True when this process should run ``storage_id``'s periodic work.

    Without a started coordinator the process is alone and owns all.
    """
    coordinator = _current
    return True if coordinator is None else coordinator.owns(storage_id)
