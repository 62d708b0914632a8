"""Which window of time a storage's next collection asks for.

All times are epoch milliseconds.  ``collected_until`` is the end of the
last window collected (None before the first one); it only moves when a
window was collected, so whatever failed or was missed (the node was down)
is part of the next window, as long as the backend still keeps it:

* the first window of a storage is the last ``interval`` before now;
* a later window starts ``overlap`` before ``collected_until`` (the
  backend's clock may be behind ours: samples it stamped late are still
  found; samples seen twice are dropped by the collector) and ends now;
* a window never starts before what the backend keeps (``plan.history``
  back from now, plus the overlap): the part before is lost, and counted
  in whole intervals.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Window:
    start: int
    end: int
    lost: int = 0       # intervals of history given up before ``start``


def due(now, collected_until, interval):
    """Whether a collection of a storage collected every ``interval``
    seconds is due at ``now``."""
    return (collected_until is None
            or now >= collected_until + interval * 1000)


def next_window(now, collected_until, plan, overlap):
    """The window to collect at ``now``.

    :param overlap: seconds of overlap with the previous window.
    """
    interval = plan.interval * 1000
    if collected_until is None:
        return Window(now - interval, now)
    start = collected_until - overlap * 1000
    earliest = now - plan.history * 1000 - overlap * 1000
    if start >= earliest:
        return Window(start, now)
    missed = earliest - collected_until
    return Window(earliest, now, max(0, -(-missed // interval)))
