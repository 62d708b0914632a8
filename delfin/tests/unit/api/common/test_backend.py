"""Tests of backend calls bounded by a timeout."""
import threading
import time

import pytest

from delfin import exception
from delfin.api.common import backend


def test_answer_within_the_timeout_is_returned():
    assert backend.call(lambda a, b=0: a + b, 2, b=3, timeout=5) == 5


def test_errors_of_the_call_propagate():
    def fail():
        raise exception.StorageBackendNotFound()

    with pytest.raises(exception.StorageBackendNotFound):
        backend.call(fail, timeout=5)


def test_a_hanging_call_is_cut_off():
    release = threading.Event()
    start = time.monotonic()
    with pytest.raises(exception.StorageBackendException) as info:
        backend.call(release.wait, 30, timeout=0.2)
    assert time.monotonic() - start < 5
    assert '0.2 seconds' in info.value.msg
    release.set()
