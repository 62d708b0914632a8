"""The per-storage collection record (table ``perf_collections``).

A row is made at a storage's first collection, or when its interval is
set over the API; it goes with its storage.  Every write is a single
statement, so collections of different storages never wait for each
other, and a write that finds the database away only delays the record:
``collected_until`` did not move, so the next window asks for the same
time again and the collector drops the samples it already passed on.
"""
import contextlib

import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.db import engine as db_engine
from delfin.db import schema

_t = schema.perf_collections

COUNTERS = ('windows_collected', 'windows_failed', 'windows_lost',
            'samples_collected')


def _ensure(conn, storage_id):
    exists = conn.execute(sa.select(_t.c.storage_id).where(
        _t.c.storage_id == storage_id)).first()
    if exists is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(_t).values(
                    storage_id=storage_id, enabled=True,
                    windows_collected=0, windows_failed=0, windows_lost=0,
                    samples_collected=0, created_at=db_api.utcnow()))
        except sa.exc.IntegrityError:
            pass    # made meanwhile by another node, or no such storage


def get(storage_id, conn=None):
    """The record of a storage as a dict, or None."""
    with db_engine.reader() if conn is None else \
            contextlib.nullcontext(conn) as c:
        row = c.execute(sa.select(_t).where(
            _t.c.storage_id == storage_id)).first()
    return dict(row._mapping) if row is not None else None


def all_records():
    """{storage_id: record} of every storage that has one."""
    with db_engine.reader() as conn:
        return {r.storage_id: dict(r._mapping)
                for r in conn.execute(sa.select(_t))}


def storages():
    """Every storage as ``{id, name, serial_number, vendor, model}``."""
    t = schema.storages
    with db_engine.reader() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(
            t.c.id, t.c.name, t.c.serial_number, t.c.vendor, t.c.model))]


def configure(storage_id, interval=None, enabled=None):
    """Set a storage's own interval (None: keep; 0: back to the default)
    and whether it is collected; returns the record."""
    values = {'updated_at': db_api.utcnow()}
    if interval is not None:
        values['interval'] = interval or None
    if enabled is not None:
        values['enabled'] = bool(enabled)
    with db_engine.writer() as conn:
        _ensure(conn, storage_id)
        conn.execute(sa.update(_t).where(
            _t.c.storage_id == storage_id).values(**values))
        return get(storage_id, conn=conn)


def record_success(storage_id, end, samples, lost=0):
    """A window up to ``end`` was collected with ``samples`` samples."""
    now = db_api.utcnow()
    with db_engine.writer() as conn:
        _ensure(conn, storage_id)
        conn.execute(sa.update(_t).where(
            _t.c.storage_id == storage_id).values(
            # Never backwards (NULL > end is not true: end).
            collected_until=sa.case(
                (_t.c.collected_until > end, _t.c.collected_until),
                else_=end),
            windows_collected=_t.c.windows_collected + 1,
            windows_lost=_t.c.windows_lost + lost,
            samples_collected=_t.c.samples_collected + samples,
            last_error=None, last_success_at=now, updated_at=now))


def record_failure(storage_id, error, lost=0):
    """A window could not be collected; it is asked for again later."""
    with db_engine.writer() as conn:
        _ensure(conn, storage_id)
        conn.execute(sa.update(_t).where(
            _t.c.storage_id == storage_id).values(
            windows_failed=_t.c.windows_failed + 1,
            windows_lost=_t.c.windows_lost + lost,
            last_error=str(error)[:2000], updated_at=db_api.utcnow()))
