"""Outages of the components a process depends on, logged once each.

A loop that reaches the database, the broker or the coordination backend
reports every attempt to an `Outage`: the first failure is logged as the
component lost (with the error, and that it is retried), the following
ones only at debug level, and the first success after them as the
component back, with how long it was away and how many attempts failed.
Listeners (`on_back`) learn of each return, so that work waiting for the
component starts at once instead of at its next round.
"""
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_listeners = []
_listeners_lock = threading.Lock()


def on_back(callback):
    """Call ``callback(component)`` whenever a component comes back."""
    with _listeners_lock:
        _listeners.append(callback)


def remove_listener(callback):
    with _listeners_lock:
        if callback in _listeners:
            _listeners.remove(callback)


class Outage(object):
    """The state of one component as seen by one user of it.

    :param component: what is reached ('database', 'broker', ...).
    :param user: who reaches it, for the log ('job recovery', ...).
    """

    def __init__(self, component, user, clock=time.monotonic):
        self.component = component
        self.user = user
        self.clock = clock
        self._lock = threading.Lock()
        self.since = None
        self.failures = 0
        self.outages = 0

    @property
    def down(self):
        return self.since is not None

    def failed(self, error):
        """An attempt failed; logged when it starts an outage."""
        with self._lock:
            first = self.since is None
            if first:
                self.since = self.clock()
                self.outages += 1
            self.failures += 1
        if first:
            LOG.warning("%s: %s lost (%s); retrying until it is back",
                        self.user, self.component, error)
        else:
            LOG.debug("%s: %s still away (%s)", self.user, self.component,
                      error)

    def ok(self):
        """An attempt succeeded; logged when it ends an outage."""
        with self._lock:
            since, self.since = self.since, None
            failures, self.failures = self.failures, 0
        if since is None:
            return
        LOG.warning("%s: %s back after %.1f s (%d failed attempts)",
                    self.user, self.component, self.clock() - since,
                    failures)
        with _listeners_lock:
            listeners = list(_listeners)
        for callback in listeners:
            try:
                callback(self.component)
            except Exception:
                LOG.exception("Listener of %s's return failed",
                              self.component)
