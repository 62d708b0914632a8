"""The request context: who asks, on which storage, with which view of
soft-deleted rows.

It travels with every API request, RPC message and driver call.  The
driver layer writes ``storage_id`` before each call (drivers such as
Dell EMC VMAX read it back), and RPC carries it as a dict through
``to_dict`` / ``from_dict``.
"""
import copy
import datetime

from oslo_context import context

from delfin import utils

_READ_DELETED_VALUES = ('no', 'yes', 'only')


class RequestContext(context.RequestContext):
    """Security and scope of one request inside Delfin."""

    FROM_DICT_EXTRA_KEYS = ['read_deleted', 'remote_address', 'timestamp',
                            'storage_id', 'quota_class', 'service_catalog']

    def __init__(self, user_id=None, project_id=None, is_admin=False,
                 read_deleted='no', remote_address=None, timestamp=None,
                 storage_id=None, quota_class=None, service_catalog=None,
                 **kwargs):
        super().__init__(user_id=user_id, project_id=project_id,
                         is_admin=bool(is_admin), **kwargs)
        self.read_deleted = read_deleted
        self.remote_address = remote_address
        if timestamp is None:
            timestamp = utils.utcnow()
        elif isinstance(timestamp, str):
            timestamp = datetime.datetime.fromisoformat(timestamp)
        self.timestamp = timestamp
        self.storage_id = storage_id
        self.quota_class = quota_class
        self.service_catalog = service_catalog or []

    @property
    def read_deleted(self):
        return self._read_deleted

    @read_deleted.setter
    def read_deleted(self, value):
        if value not in _READ_DELETED_VALUES:
            raise ValueError("read_deleted can only be one of %s, not %r"
                             % (', '.join(_READ_DELETED_VALUES), value))
        self._read_deleted = value

    def to_dict(self):
        values = super().to_dict()
        values.update({
            'user_id': self.user_id,
            'read_deleted': self.read_deleted,
            'remote_address': self.remote_address,
            'timestamp': self.timestamp.isoformat(),
            'storage_id': self.storage_id,
            'quota_class': self.quota_class,
            'service_catalog': self.service_catalog,
        })
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        values = dict(values)
        # oslo.context names the user 'user'; accept Delfin's 'user_id'.
        if values.get('user') is None and values.get('user_id') is not None:
            values['user'] = values['user_id']
        return super().from_dict(values, **kwargs)

    def elevated(self, read_deleted=None):
        """A copy with admin rights (and the 'admin' role)."""
        ctx = copy.deepcopy(self)
        ctx.is_admin = True
        if 'admin' not in ctx.roles:
            ctx.roles.append('admin')
        if read_deleted is not None:
            ctx.read_deleted = read_deleted
        return ctx


def get_admin_context(read_deleted='no'):
    """A context with admin rights for the service's own work."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          read_deleted=read_deleted, overwrite=False)
