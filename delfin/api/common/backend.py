"""Calls to storage backends made while an API request waits.

Registration, an access-info update and capabilities need the backend's
answer before the API can reply.  Such a call runs in a small pool of
threads and the request waits at most ``[DEFAULT] api_backend_timeout``
seconds: a backend that hangs costs one pool thread, never the API's
request threads.
"""
import concurrent.futures
import threading

from oslo_config import cfg
from oslo_log import log as logging

from delfin import exception

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

_POOL_SIZE = 16
_lock = threading.Lock()
_pool = None


def _executor():
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=_POOL_SIZE,
                    thread_name_prefix='delfin-api-backend')
    return _pool


def call(fn, *args, timeout=None, **kwargs):
    """``fn(*args, **kwargs)`` bounded by ``timeout`` seconds.

    :raises StorageBackendException: no answer in time (the call goes on
        in the background and its result is dropped).
    :raises: whatever ``fn`` raises.
    """
    timeout = CONF.api_backend_timeout if timeout is None else timeout
    future = _executor().submit(fn, *args, **kwargs)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        LOG.warning("%s gave no answer within %s s",
                    getattr(fn, '__qualname__', fn), timeout)
        raise exception.StorageBackendException(
            'the storage gave no answer within %s seconds' % timeout)
