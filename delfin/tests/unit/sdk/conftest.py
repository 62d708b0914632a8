"""Fixtures of the SDK tests: the sample drivers published by a real,
temporary distribution, and stevedore's cache kept out of the user's
cache folder."""
import pytest

from delfin.tests.unit.sdk import sample_drivers
from delfin.tests.unit.sdk.distributions import make_distribution
from delfin.tests.unit.sdk.distributions import on_sys_path


@pytest.fixture(autouse=True)
def _private_stevedore_cache(tmp_path_factory, monkeypatch):
    # Each new sys.path makes stevedore write a cache file; keep those out
    # of the user's cache folder.
    from stevedore import _cache
    cache = getattr(_cache, '_c', None)
    if cache is not None and hasattr(cache, '_dir'):
        monkeypatch.setattr(cache, '_dir',
                            str(tmp_path_factory.getbasetemp() / 'stevedore'))


@pytest.fixture(scope='module')
def sample_dist(tmp_path_factory):
    """Every sample driver published as ``sdktest <model>`` by a temporary
    distribution on sys.path."""
    folder = tmp_path_factory.mktemp('sample-dist')
    make_distribution(str(folder), 'sdk-sample-drivers', '2.5',
                      sample_drivers.entry_points())
    with on_sys_path(folder):
        yield folder
