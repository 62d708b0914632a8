"""The sync engine: make a storage's inventory in the database match its
backend, writing only what changed.

One sync job (`delfin.task_manager.jobs`) covers one storage: the storage
row itself from the driver's ``get_storage``, then every inventory kind of
the resource registry in sync order.  For each kind the driver's items are
streamed in chunks of ``[sync] chunk_size``; each chunk is validated, looked
up in the database by identity (the native id, or the pair of native ids of
a membership row) and split into rows to insert, rows whose changed columns
need an update, and rows left alone.  After the last chunk the rows the
driver no longer reported are deleted.  Each chunk is written in one short
transaction with bulk statements (one INSERT for many rows, one UPDATE per
set of changed columns), so an unchanged backend costs reads only, and
neither memory nor lock time grows with the size of the inventory beyond
the set of identities seen so far.  A chunk identical to the one at its
position in the last complete sync (see "chunk digests" below) is not even
read back: an unchanged backend costs little more than its listing.

Driver items are checked against the registry before anything is written,
liberally (`tolerance`): keys that are not fields of the kind are dropped
(the driver facade logs each once per driver and kind); a value is read as
its field's type where it can be; a value outside the field's enumeration
is stored as given; of an identity reported twice in one listing the last
item is stored; an item that cannot be stored (a required field missing, a
value that cannot be read as its type or is longer than its column) is
skipped.  Each of these is counted per kind, with examples, in the job's
progress (``warnings``) and logged once per job.  ``storage_id`` always
comes from the job, never from the driver.  A kind fails only when its
driver raises (or its rows cannot be written); it keeps the rows already
written by earlier chunks and deletes nothing: deletions only follow a
complete listing.

Deleting a storage during a sync never brings its rows back: every inventory
row references its storage with a cascading foreign key, so an insert for a
deleted storage fails inside the database and updates find no rows; the job
is gone with its storage and the worker stops at its next checkpoint.

When the backend cannot be reached the storage is marked ``offline``, when
it refuses the credentials ``abnormal``; the inventory of the last good sync
is kept, and the job records the error.

The package holds one concern per module:

* `job`: a sync job, kind after kind, with its progress and outcome;
* `kind`: the sync of one kind (chunks, diff, writes, deletions);
* `validation`: driver items checked and converted to column values;
* `tolerance`: what the sync accepts from drivers, and how it reports it;
* `digests`: recognising chunks stored unchanged by the last sync;
* `statements`: the bulk statements, on the DB driver's own cursor;
* `writer`: the thread running a kind's writes beside its reading;
* `storage`: the storage row, and the status a backend failure implies;
* `errors`: what stops a kind or a job.
"""
from delfin.resources import registry  # noqa: F401
from delfin.task_manager.sync import digests  # noqa: F401
from delfin.task_manager.sync import job  # noqa: F401
from delfin.task_manager.sync import kind  # noqa: F401
from delfin.task_manager.sync import statements  # noqa: F401
from delfin.task_manager.sync import storage  # noqa: F401
from delfin.task_manager.sync import tolerance  # noqa: F401
from delfin.task_manager.sync import validation  # noqa: F401
from delfin.task_manager.sync import writer  # noqa: F401
from delfin.task_manager.sync.digests import DIGEST_VERSION  # noqa: F401
from delfin.task_manager.sync.digests import chunk_digest  # noqa: F401
from delfin.task_manager.sync.digests import kind_signature  # noqa: F401
from delfin.task_manager.sync.errors import InvalidItem  # noqa: F401
from delfin.task_manager.sync.errors import InvalidItems  # noqa: F401
from delfin.task_manager.sync.errors import JobStopped  # noqa: F401
from delfin.task_manager.sync.job import JobRunner  # noqa: F401
from delfin.task_manager.sync.job import PROGRESS_INTERVAL  # noqa: F401
from delfin.task_manager.sync.job import SKIPPED  # noqa: F401
from delfin.task_manager.sync.job import UNSUPPORTED  # noqa: F401
from delfin.task_manager.sync.job import run_sync_job  # noqa: F401
from delfin.task_manager.sync.kind import ANALYZE_MIN_ROWS  # noqa: F401
from delfin.task_manager.sync.kind import KindSync  # noqa: F401
from delfin.task_manager.sync.kind import sync_kind  # noqa: F401
from delfin.task_manager.sync.statements import CopyRows  # noqa: F401
from delfin.task_manager.sync.statements import bind_processors  # noqa: F401
from delfin.task_manager.sync.statements import bulk_insert  # noqa: F401
from delfin.task_manager.sync.statements import bulk_update  # noqa: F401
from delfin.task_manager.sync.statements import result_processors  # noqa
from delfin.task_manager.sync.storage import backend_status  # noqa: F401
from delfin.task_manager.sync.storage import set_storage_status  # noqa
from delfin.task_manager.sync.storage import update_storage  # noqa: F401
from delfin.task_manager.sync.validation import Validator  # noqa: F401
from delfin.task_manager.sync.validation import validator  # noqa: F401
