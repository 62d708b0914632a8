"""What stops the sync of a kind or a whole job, and what skips an item."""
from delfin import exception


class InvalidItems(exception.InvalidResults):
    """A driver's items could not be stored."""
    msg_fmt = "{0}"


class InvalidItem(InvalidItems):
    """One item of a driver cannot be stored: the sync skips it.

    ``native_id`` is its identity when it can be read (else None),
    ``field`` and ``value`` the offending field and value when one is to
    blame, ``reason`` the explanation.
    """

    def __init__(self, kind, native_id, reason, field=None, value=None):
        super().__init__('Invalid %s %r from the driver: %s'
                         % (kind, native_id, reason))
        self.kind = kind
        self.native_id = native_id
        self.reason = reason
        self.field = field
        self.value = value


class JobStopped(Exception):
    """The job was cancelled, given up, or deleted with its storage."""
