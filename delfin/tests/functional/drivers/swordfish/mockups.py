"""SNIA's Swordfish mockup sets, read straight from their files.

What a service serving a mockup set holds, computed from the JSON files
(one ``index.json`` per resource) without the driver: the tests compare
what the service lists after a sync with this.  The rules are those of the
Swordfish model: systems are the members of ``Storage`` and
``StorageServices``; a system's pools, volumes, drives and controllers are
the members of its collections (or the entries of its arrays); each
resource is one URI, whoever lists it and however often.
"""
import json
import os

SETS = ('midrange-replication-mockups', 'service-based-mockups',
        'filesystem-with-backend-storage-mockups',
        'direct-attach-with-telemetry')
_HERE = os.path.dirname(os.path.abspath(__file__))
# The repository's folder sits beside ``shared``.
DEFAULT_ROOT = os.path.normpath(os.path.join(
    _HERE, '..', '..', '..', '..', '..', '..', 'shared', 'fixtures',
    'swordfish'))


def root_folder():
    return os.environ.get('DELFIN_SWORDFISH_MOCKUPS', DEFAULT_ROOT)


class MockupSet(object):
    """The resources of one mockup set folder."""

    def __init__(self, folder):
        self.folder = folder

    def load(self, uri):
        """The resource at ``uri`` or None (as sushy-static answers)."""
        path = uri.split('#')[0].rstrip('/')
        relative = path[len('/redfish/v1'):].lstrip('/')
        file_path = os.path.join(self.folder, relative, 'index.json')
        if not os.path.exists(file_path):
            return None
        with open(file_path, encoding='utf-8') as f:
            return json.load(f)

    def _members(self, uri, out):
        collection = self.load(uri) or {}
        for member in collection.get('Members', []):
            member_uri = member['@odata.id'].rstrip('/')
            resource = self.load(member_uri)
            if resource is None:
                continue
            if 'Members' in resource:
                self._members(member_uri, out)
            else:
                out.setdefault(member_uri, resource)
        return out

    def systems(self):
        root = self.load('/redfish/v1')
        out = {}
        for key in ('Storage', 'StorageServices'):
            if key in root:
                self._members(root[key]['@odata.id'], out)
        return out

    def _collected(self, key):
        out = {}
        for system in self.systems().values():
            if isinstance(system.get(key), dict):
                self._members(system[key]['@odata.id'], out)
        return out

    def pools(self):
        return self._collected('StoragePools')

    def volumes(self):
        return self._collected('Volumes')

    def filesystems(self):
        return self._collected('FileSystems')

    def shares(self):
        """{share uri: (share, file system uri)}."""
        out = {}
        for uri, filesystem in self.filesystems().items():
            link = filesystem.get('ExportedShares') or \
                filesystem.get('ExportedFileShares')
            if isinstance(link, dict):
                for share_uri, share in self._members(link['@odata.id'],
                                                      {}).items():
                    out.setdefault(share_uri, (share, uri))
        return out

    def drives(self):
        out = {}
        for system in self.systems().values():
            drives = system.get('Drives')
            if isinstance(drives, dict):
                self._members(drives['@odata.id'], out)
                continue
            for ref in drives or []:
                uri = ref['@odata.id'].rstrip('/')
                resource = self.load(uri)
                if resource is None:
                    continue
                if 'Members' in resource:
                    self._members(uri, out)
                else:
                    out.setdefault(uri, resource)
        return out

    def controllers(self):
        out = {}
        for uri, system in self.systems().items():
            if isinstance(system.get('Controllers'), dict):
                self._members(system['Controllers']['@odata.id'], out)
                continue
            for index, item in enumerate(system.get('StorageControllers',
                                                    [])):
                key = item.get('@odata.id') or \
                    '%s#/StorageControllers/%d' % (uri, index)
                out.setdefault(key, item)
        return out


def expected_size(volume):
    """CapacityBytes, else provisioned, else allocated bytes."""
    data = (volume.get('Capacity') or {}).get('Data') or {}
    for value in (volume.get('CapacityBytes'), data.get('ProvisionedBytes'),
                  data.get('AllocatedBytes')):
        if value is not None:
            return value
    return 0


def expected_name(resource):
    return resource.get('Name') or resource.get('Id')
