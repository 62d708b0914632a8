"""Walking a Swordfish service: its storage systems and their collections.

A storage system is a member of ``/redfish/v1/Storage`` (the current model)
or of ``/redfish/v1/StorageServices`` (the older one).  Each system links
its pools (``StoragePools``), volumes (``Volumes``), drives (a ``Drives``
array of links, or a ``Drives`` collection) and controllers (the
``Controllers`` collection, or the older inline ``StorageControllers``
array); file services their file systems (``FileSystems``) and these
their shares (``ExportedShares``).

Every resource is identified by its URI (``@odata.id``): ids and names
repeat across a service, URIs do not.  The walk is defensive, as services
differ:

* a member listed twice, or by two systems, is one resource;
* a member that is itself a collection (it has ``Members``) is expanded;
* ``Members@odata.nextLink`` pages are followed;
* a member the service does not have (404) is skipped with a warning
  instead of failing the sync.

A `Walk` reads one consistent view: it asks the client for each URI once.
"""
import concurrent.futures
import threading

from oslo_log import log as logging

from delfin import exception

LOG = logging.getLogger(__name__)

SYSTEM_COLLECTIONS = ('Storage', 'StorageServices')
# Requests in flight at once while fetching collection members.
PARALLEL_READS = 4


def link(resource, *keys):
    """The ``@odata.id`` at ``resource[k1][k2]...``, or None."""
    value = resource
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, dict):
        return value.get('@odata.id')
    return None


def norm(uri):
    """A URI as an identity: no trailing slash (a fragment is kept)."""
    path, sep, fragment = uri.partition('#')
    return path.rstrip('/') + sep + fragment


def name_of(resource, default=None):
    """``Name``, else ``Id``, else ``default``."""
    return resource.get('Name') or resource.get('Id') or default


def is_collection(resource):
    return isinstance(resource.get('Members'), list)


class Walk(object):
    """One read of a service's systems, for one driver call.

    :param client: a `delfin.drivers.swordfish.client.SwordfishClient`.
    :param system: ``None`` for every system of the service, or the URI,
        ``Id`` or ``Name`` of the one system to read.
    """

    def __init__(self, client, system=None, executor=None):
        self.client = client
        self.wanted = system
        self._executor = executor
        self._systems = None
        self._lock = threading.Lock()

    # -- reading ------------------------------------------------------------

    def _fetch_all(self, uris):
        """[(uri, resource or None)] for ``uris``, in order."""
        if self._executor is None or len(uris) < 2:
            return [(u, self.client.get(u)) for u in uris]
        return list(zip(uris, self._executor.map(self.client.get, uris)))

    def members(self, collection_uri, seen=None):
        """``[(uri, resource)]`` of a collection, each URI once.

        :param seen: a set of URIs already produced (shared across calls
            to merge several collections); updated.
        """
        seen = set() if seen is None else seen
        out = []
        pending = [collection_uri]
        visited = set()
        while pending:
            uri = norm(pending.pop(0))
            if uri in visited:
                continue
            visited.add(uri)
            collection = self.client.get(uri)
            if collection is None:
                continue
            refs = []
            for member in collection.get('Members') or ():
                ref = member.get('@odata.id') if isinstance(member, dict) \
                    else None
                if not ref:
                    continue
                ref = norm(ref)
                if ref in seen or ref in visited:
                    LOG.debug("%s lists %s more than once", uri, ref)
                    continue
                seen.add(ref)
                refs.append(ref)
            next_link = collection.get('Members@odata.nextLink')
            if next_link:
                pending.append(next_link)
            for ref, resource in self._fetch_all(refs):
                if resource is None:
                    continue
                if is_collection(resource):
                    # A collection listed as a member: its members count.
                    seen.discard(ref)
                    pending.append(ref)
                    continue
                out.append((ref, resource))
        return out

    def resources(self, uris, seen):
        """``[(uri, resource)]`` of links, each URI once (see `members`)."""
        refs = []
        for ref in uris:
            ref = norm(ref)
            if ref in seen:
                continue
            seen.add(ref)
            refs.append(ref)
        out = []
        for ref, resource in self._fetch_all(refs):
            if resource is None:
                continue
            if is_collection(resource):
                out.extend(self.members(ref, seen))
            else:
                out.append((ref, resource))
        return out

    # -- systems --------------------------------------------------------------

    def systems(self):
        """``[(uri, resource)]`` of the storage systems read."""
        with self._lock:
            if self._systems is None:
                self._systems = self._read_systems()
            return self._systems

    def _read_systems(self):
        root = self.client.root()
        seen = set()
        found = []
        for key in SYSTEM_COLLECTIONS:
            uri = link(root, key)
            if uri:
                found.extend(self.members(uri, seen))
        if self.wanted is None:
            return found
        wanted = str(self.wanted)
        picked = [(u, r) for u, r in found if norm(wanted) == u]
        if not picked:
            picked = [(u, r) for u, r in found
                      if wanted in (r.get('Id'), r.get('Name'))]
        if len(picked) != 1:
            raise exception.StorageBackendNotFound(message=(
                "%s storage system %r at %s; the systems are: %s" % (
                    'No' if not picked else 'More than one', wanted,
                    self.client.where,
                    ', '.join(u for u, _ in found) or 'none')))
        return picked

    # -- collections of the systems ---------------------------------------

    def _linked(self, key):
        seen = set()
        out = []
        for _, system in self.systems():
            uri = link(system, key)
            if uri:
                out.extend(self.members(uri, seen))
        return out

    def pools(self):
        return self._linked('StoragePools')

    def volumes(self):
        return self._linked('Volumes')

    def filesystems(self):
        return self._linked('FileSystems')

    def shares(self):
        """``[(uri, share, file system uri)]``: the members of each file
        system's ``ExportedShares`` collection."""
        seen = set()
        out = []
        for fs_uri, filesystem in self.filesystems():
            uri = link(filesystem, 'ExportedShares') or \
                link(filesystem, 'ExportedFileShares')
            if uri:
                out.extend((u, r, fs_uri) for u, r in self.members(uri, seen))
        return out

    def drives(self):
        seen = set()
        out = []
        for _, system in self.systems():
            drives = system.get('Drives')
            if isinstance(drives, list):
                out.extend(self.resources(
                    [d.get('@odata.id') for d in drives
                     if isinstance(d, dict) and d.get('@odata.id')], seen))
            elif isinstance(drives, dict) and drives.get('@odata.id'):
                out.extend(self.members(drives['@odata.id'], seen))
        return out

    def controllers(self):
        """``[(uri, resource, system resource)]``.

        The ``Controllers`` collection wins over the inline
        ``StorageControllers`` array, which newer services keep beside it
        for older clients.
        """
        seen = set()
        out = []
        for system_uri, system in self.systems():
            collection = link(system, 'Controllers')
            if collection:
                out.extend((u, r, system)
                           for u, r in self.members(collection, seen))
                continue
            for index, item in enumerate(system.get('StorageControllers')
                                         or ()):
                if not isinstance(item, dict):
                    continue
                uri = norm(item.get('@odata.id') or '%s#/StorageControllers/%d'
                           % (system_uri, index))
                if uri in seen:
                    continue
                seen.add(uri)
                if set(item) <= {'@odata.id'}:
                    # Only a link: read the controller itself.
                    item = self.client.get(uri)
                    if item is None:
                        continue
                out.append((uri, item, system))
        return out


def executor():
    """A thread pool for member reads (shared by a driver's walks)."""
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=PARALLEL_READS, thread_name_prefix='swordfish-read')
