"""Recent performance samples in the database, for
``GET /v1/storages/{id}/metrics``.

Samples are kept ``[telemetry] performance_sample_retention`` seconds
(counted back from the newest window of the storage); a sample seen again
(windows overlap) is stored once.
"""
import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from delfin.db import engine as db_engine
from delfin.db import schema
from delfin.telemetry import exporters

CONF = cfg.CONF
_t = schema.perf_samples
# Rows of one INSERT statement.
CHUNK = 500


def _insert_ignoring_duplicates(dialect):
    if dialect == 'postgresql':
        return postgresql.insert(_t).on_conflict_do_nothing()
    if dialect == 'sqlite':
        return sqlite.insert(_t).on_conflict_do_nothing()
    if dialect in ('mysql', 'mariadb'):
        return mysql.insert(_t).prefix_with('IGNORE')
    return sa.insert(_t)


def rows(batch):
    """The batch's samples as rows of the table."""
    sid = batch.storage['id']
    rtype_of = batch.getter('resource_type')
    rid_of = batch.getter('resource_id')
    names = [str(n)[:64] for n in batch.metric_names]
    stamps = batch.timestamps
    numbers = batch.values
    last = None
    start = 0
    for r, m, end in zip(batch.series_resource, batch.series_metric,
                         batch.series_end):
        if r != last:
            rtype = str(rtype_of(r))[:32]
            rid = str(rid_of(r))[:255]
            last = r
        metric = names[m]
        for j in range(start, end):
            yield {'storage_id': sid, 'resource_type': rtype,
                   'resource_id': rid, 'metric': metric,
                   'timestamp': stamps[j], 'value': numbers[j]}
        start = end


class SqlExporter(exporters.PerformanceExporter):
    name = 'sql'

    def export(self, batch):
        retention = CONF.telemetry.performance_sample_retention
        if not retention:
            return
        sid = batch.storage['id']
        chunk = []
        with db_engine.writer() as conn:
            stmt = _insert_ignoring_duplicates(conn.dialect.name)
            for row in rows(batch):
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    conn.execute(stmt, chunk)
                    chunk = []
            if chunk:
                conn.execute(stmt, chunk)
            conn.execute(sa.delete(_t).where(
                _t.c.storage_id == sid,
                _t.c.timestamp < batch.end - retention * 1000))


def query(storage_id, resource_type=None, resource_id=None, metric=None,
          begin_time=None, end_time=None, limit=None):
    """Stored samples of a storage, oldest first, as dicts."""
    where = [_t.c.storage_id == storage_id]
    for column, value in (('resource_type', resource_type),
                          ('resource_id', resource_id),
                          ('metric', metric)):
        if value is not None:
            where.append(_t.c[column] == value)
    if begin_time is not None:
        where.append(_t.c.timestamp >= begin_time)
    if end_time is not None:
        where.append(_t.c.timestamp <= end_time)
    stmt = sa.select(_t.c.resource_type, _t.c.resource_id, _t.c.metric,
                     _t.c.timestamp, _t.c.value).where(*where).order_by(
        _t.c.timestamp, _t.c.resource_type, _t.c.resource_id, _t.c.metric)
    if limit is not None:
        stmt = stmt.limit(limit)
    with db_engine.reader() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
