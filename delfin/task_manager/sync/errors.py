"""What stops the sync of a kind or a whole job."""
from delfin import exception


class InvalidItems(exception.InvalidResults):
    """A driver reported items that cannot be stored."""
    msg_fmt = "{0}"


class JobStopped(Exception):
    """The job was cancelled, given up, or deleted with its storage."""
