"""The writer thread of a kind's sync: chunk writes run beside the reading
and checking of the next chunk."""
import queue
import threading
import time

from delfin.db import engine as db_engine

# How long a sync's writer keeps one transaction open while chunks keep
# coming (other writers of the database wait meanwhile on SQLite).
TRANSACTION_SECONDS = 1.0


class Writer(object):
    """Runs a kind's chunk writes in a thread of their own, one chunk
    behind the reading and checking of the next.

    The database does most of a write (index maintenance, the server's
    work) without holding Python's global lock, so the next chunk's driver
    items, validation and lookups proceed meanwhile.  At most one chunk
    waits, so memory stays at a few chunks.  The first error of a write
    stops the writes and is raised to the caller at its next `put` or at
    `close`.  The writes share one connection (see
    `db_engine.bulk_writer`).
    """

    def __init__(self, write):
        self._write = write
        self._queue = queue.Queue(maxsize=1)
        self.error = None
        self._thread = threading.Thread(target=self._run,
                                        name='sync-writer', daemon=True)
        self._thread.start()

    def _run(self):
        done = False
        try:
            with db_engine.bulk_writer() as conn:
                done = self._loop(conn)
        except BaseException as e:
            if self.error is None:
                self.error = e
        # Take what is still queued so that `put` and `close` never block.
        while not done:
            done = self._queue.get() is None

    def _loop(self, conn):
        # While the next chunk is already waiting, its write joins the open
        # transaction (as a savepoint, so that a failed chunk leaves the
        # ones before it), for up to TRANSACTION_SECONDS: fewer commits
        # write each index page that many chunks touch fewer times.
        transaction = None
        opened = 0.0
        try:
            while True:
                item = self._queue.get()
                if item is not None and self.error is None:
                    if transaction is None:
                        transaction = conn.begin()
                        opened = time.monotonic()
                    try:
                        self._write(*item, conn=conn)
                    except BaseException as e:
                        self.error = e
                if transaction is not None and (
                        item is None or self.error is not None
                        or self._queue.empty()
                        or time.monotonic() - opened >= TRANSACTION_SECONDS):
                    transaction, done = None, transaction
                    done.commit()
                if item is None:
                    return True
        except BaseException:
            if transaction is not None:
                transaction.rollback()
            raise

    def put(self, *args):
        if self.error is not None:
            raise self.error
        self._queue.put(args)

    def close(self, raise_error=True):
        """Wait for the queued writes; raise the first error of a write."""
        self._queue.put(None)
        self._thread.join()
        if raise_error and self.error is not None:
            raise self.error
