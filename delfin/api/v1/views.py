"""Views of storages, access information and sync jobs.

Each is a whitelist of keys; a password, community string or key is never
among them.
"""
import threading

from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.resources import registry

SYNCED = 'SYNCED'
SYNCING = 'SYNCING'

STORAGE_KEYS = (('id',) + registry.STORAGE.field_names +
                ('sync_status', 'deleted_at', 'deleted', 'created_at',
                 'updated_at'))

ACCESS_INFO_KEYS = ('storage_id', 'storage_name', 'vendor', 'model', 'rest',
                    'ssh', 'cli', 'smis', 'extra_attributes', 'created_at',
                    'updated_at')

# What each access section shows: everything but the password.
SECTION_KEYS = {
    'rest': ('host', 'port', 'username'),
    'ssh': ('host', 'port', 'username', 'pub_key', 'pub_key_type'),
    'cli': ('host', 'port', 'username'),
    'smis': ('host', 'port', 'username', 'namespace'),
}


_STORAGE_DATETIMES = ('deleted_at', 'created_at', 'updated_at') + tuple(
    f.name for f in registry.STORAGE.fields if f.type == registry.DATETIME)
_project_storage = views.Projection(STORAGE_KEYS, _STORAGE_DATETIMES)


def storage(row, sync_status=None):
    """A storage; ``sync_status`` is SYNCED or SYNCING (from its jobs)."""
    view = _project_storage(row)
    if sync_status is not None:
        view['sync_status'] = sync_status
    elif not isinstance(view['sync_status'], str):
        view['sync_status'] = SYNCING if view['sync_status'] else SYNCED
    view['deleted'] = bool(view['deleted'])
    return views.fill_text(view)


class StorageTexts(object):
    """The JSON texts of storage views, kept by what they were made of.

    A storage's view is a function of its database row (as the driver
    returns it) and its sync status alone, and dashboards ask for the same
    few storages over and over: the text rendered for a row is kept and
    served again until the row changes (any change of any column makes a
    new key).  At most `LIMIT` texts are kept; the oldest half goes when it
    is full.
    """

    LIMIT = 4096

    def __init__(self, limit=LIMIT):
        self.limit = limit
        self._texts = {}
        self._lock = threading.Lock()

    def text(self, key, columns, values, decoders, sync_status):
        """The text of the storage whose row is ``values`` (the driver's
        tuple of ``columns``, decoded by ``decoders``); ``key`` names the
        row and its status (the values, the status and the database
        kind)."""
        try:
            text = self._texts.get(key)
        except TypeError:       # a driver value that cannot be a key
            return self._render(columns, values, decoders, sync_status)
        if text is None:
            text = self._render(columns, values, decoders, sync_status)
            with self._lock:
                if len(self._texts) >= self.limit:
                    for old in list(self._texts)[:self.limit // 2]:
                        del self._texts[old]
                self._texts[key] = text
        return text

    @staticmethod
    def _render(columns, values, decoders, sync_status):
        row = {c: v if d is None or v is None else d(v)
               for c, v, d in zip(columns, values, decoders)}
        return wsgi.dumps(storage(row, sync_status))


def _section(name, value):
    if not value:
        return None
    return {k: value[k] for k in SECTION_KEYS[name] if k in value}


def _extra_attributes(value):
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if not views.is_secret(k)}


def access_info(row, storage_name=None):
    """An access info; ``storage_name`` (the storage's name) fills in
    ``storage_name`` when the row has none."""
    view = views.project(row, ACCESS_INFO_KEYS)
    if not view['storage_name'] and storage_name:
        view['storage_name'] = storage_name
    for name in SECTION_KEYS:
        view[name] = _section(name, row.get(name))
    view['extra_attributes'] = _extra_attributes(row.get('extra_attributes'))
    return view
