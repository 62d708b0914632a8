"""The storage row of a sync: its update from ``get_storage``, and the
status a failure of its backend implies."""
import socket

import sqlalchemy as sa

from delfin import exception
from delfin.common import constants
from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.resources import registry
from delfin.task_manager.sync import tolerance
from delfin.task_manager.sync.errors import InvalidItem
from delfin.task_manager.sync.errors import JobStopped
from delfin.task_manager.sync.validation import validator

# Backend failures that say the backend is unreachable, or that it refuses
# the credentials.  Matched by class, or by class name for libraries the
# core does not import.
_OFFLINE = (exception.ConnectTimeout, exception.SSHConnectTimeout,
            exception.HTTPConnectionTimeout, exception.InvalidIpOrPort,
            exception.SSLHandshakeFailed, exception.SSLCertificateFailed,
            exception.StorageBackendNotFound, ConnectionError, TimeoutError,
            socket.timeout, socket.gaierror)
_ABNORMAL = (exception.InvalidUsernameOrPassword, exception.InvalidCredential,
             exception.InvalidPrivateKey, exception.NotAuthorized)
_ABNORMAL_NAMES = ('AuthenticationException', 'BadAuthenticationType',
                   'PasswordRequiredException')


def backend_status(error):
    """The storage status an error of its backend implies, or None."""
    if isinstance(error, _ABNORMAL) or \
            type(error).__name__ in _ABNORMAL_NAMES:
        return constants.StorageStatus.ABNORMAL
    if isinstance(error, _OFFLINE) or (
            isinstance(error, OSError)
            and not isinstance(error, FileNotFoundError)):
        return constants.StorageStatus.OFFLINE
    return None


def update_storage(storage_id, reported, warnings=None):
    """Update the storage row from ``get_storage``'s dict, writing only the
    columns that changed; returns the names of those columns.

    As for inventory items (`delfin.task_manager.sync.tolerance`), a value
    outside its field's vocabulary is stored as given, and a dict that
    cannot be stored leaves the row as it is; each is added to
    ``warnings`` (a `tolerance.Warnings`) when given.

    :raises StorageSerialNumberMismatch: another device answered.
    :raises JobStopped: the storage is gone.
    """
    kind = registry.STORAGE
    if warnings is None:
        warnings = tolerance.Warnings()
    try:
        values, unknown = validator(kind).check(reported)
    except InvalidItem as e:
        warnings.add(tolerance.SKIPPED, e.native_id, e.field, e.value,
                     e.reason)
        if not _storage_exists(storage_id):
            raise JobStopped('storage %s was deleted' % storage_id)
        return []
    values = dict(zip(kind.field_names, values))
    for name, value in unknown or ():
        warnings.add(tolerance.UNKNOWN_VALUE, values['serial_number'], name,
                     value)
    t = schema.storages
    with db_engine.reader() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == storage_id)).first()
    if row is None:
        raise JobStopped('storage %s was deleted' % storage_id)
    row = row._mapping
    if row['serial_number'] and values['serial_number'] and \
            values['serial_number'] != row['serial_number']:
        raise exception.StorageSerialNumberMismatch(
            'The backend reports serial number %s, not %s.'
            % (values['serial_number'], row['serial_number']))
    changed = {k: v for k, v in values.items()
               if k in reported and v != row[k]}
    if changed:
        with db_engine.writer() as conn:
            count = conn.execute(t.update().where(t.c.id == storage_id).values(
                updated_at=db_api.utcnow(), **changed)).rowcount
        if not count:
            raise JobStopped('storage %s was deleted' % storage_id)
    return sorted(changed)


def set_storage_status(storage_id, status):
    """Set the storage's status when it differs; True when written."""
    t = schema.storages
    with db_engine.writer() as conn:
        return bool(conn.execute(t.update().where(
            t.c.id == storage_id,
            sa.or_(t.c.status.is_(None), t.c.status != status)).values(
            status=status, updated_at=db_api.utcnow())).rowcount)


def _storage_exists(storage_id):
    t = schema.storages
    with db_engine.reader() as conn:
        return conn.execute(sa.select(t.c.id).where(
            t.c.id == storage_id)).first() is not None
