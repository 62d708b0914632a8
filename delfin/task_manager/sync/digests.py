"""Chunk digests: how a sync recognises a chunk of a listing that the last
complete sync stored exactly as it is.

Most syncs find what the last one stored.  Each chunk of a kind's listing
is digested as the driver returned it, and the digests of a complete sync
are stored per position (``sync_digests``).  A later chunk with the digest
stored at its position holds exactly the items that sync checked and
stored, so it is neither checked nor looked up again: only its identities
are taken, for the duplicate check and the deletion of what the backend
no longer reports.  The stored digests of a kind stay true because every
write of its rows drops them first, in the write's own transaction (the
sync's first write of the kind, and the generic writes of
`delfin.db.api`), and a sync stores new ones only once the kind has synced
completely.

Beside each digest is the chunk's warning record: what the sync tolerated
in it (`delfin.task_manager.sync.tolerance`) and where its skipped items
are, so that an unchecked chunk still counts in the job's warnings and its
skipped items' identities still keep their rows.
"""
import hashlib
import io
import pickle

import sqlalchemy as sa

from delfin.db import api as db_api
from delfin.db import schema

# Bump when the way driver items become rows changes without a change of
# the registry, so that digests taken under the old rules are never trusted.
DIGEST_VERSION = 1


def kind_signature(kind):
    """32 bytes naming how items of ``kind`` become rows: its fields
    (names, types, lengths, enumerations, requirements), its identity and
    `DIGEST_VERSION`."""
    parts = ['%d' % DIGEST_VERSION, kind.name, repr(kind.identity)]
    parts += [repr((f.name, f.type, f.length, f.enum, f.required))
              for f in kind.fields]
    return hashlib.sha256('\n'.join(parts).encode('utf-8')).digest()


class _ExactPickler(pickle.Pickler):
    """Pickles the built-in values alone, each in full: no memo (so equal
    values give equal bytes whichever objects they share), and no object
    whose pickle its own class decides."""

    def reducer_override(self, obj):
        # Not called for exact instances of the built-in types.
        raise TypeError('%s has no exact form' % type(obj).__name__)


def chunk_digest(signature, chunk):
    """The digest (hex) of a list of driver items, keyed by the kind's
    signature; None when an item holds a value without an exact
    serialisation (anything but dicts, lists, tuples, sets, strings, bytes,
    numbers, booleans and None: a datetime, a str or int subclass...) or
    a cycle."""
    buffer = io.BytesIO()
    pickler = _ExactPickler(buffer, 5)
    pickler.fast = True
    try:
        pickler.dump(chunk)
    except (TypeError, ValueError, pickle.PicklingError, RecursionError):
        return None
    digest = hashlib.sha256(signature)
    digest.update(buffer.getbuffer())
    return digest.hexdigest()[:32]


def load(conn, storage_id, kind_name):
    """{position: (digest, warning record or None)} of the chunks of the
    last complete sync of a kind of a storage."""
    d = schema.sync_digests.c
    return {row.chunk: (row.digest, row.warnings or None)
            for row in conn.execute(sa.select(
                d.chunk, d.digest, d.warnings).where(
                d.storage_id == storage_id, d.kind == kind_name))}


def store(conn, storage_id, kind_name, chunks):
    """Replace the stored chunks of a kind of a storage with ``chunks``,
    {position: (digest, warning record or None)}."""
    db_api.forget_digests(conn, kind_name, storage_id)
    if chunks:
        conn.execute(sa.insert(schema.sync_digests), [
            {'storage_id': storage_id, 'kind': kind_name, 'chunk': i,
             'digest': digest, 'warnings': record}
            for i, (digest, record) in sorted(chunks.items())])
