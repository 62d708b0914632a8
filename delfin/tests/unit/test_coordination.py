"""Storage ownership among task nodes on the file backend: the ring splits
storages, a leaving or silent node's storages move to the others."""
import os

import pytest
from oslo_config import cfg

from delfin import coordination
from delfin.tests import conftest

CONF = cfg.CONF
STORAGES = ['storage-%03d' % i for i in range(60)]


@pytest.fixture
def nodes(tmp_path):
    with conftest.coordinator_nodes('file://%s' % tmp_path) as make:
        yield make


def _owned(node):
    return {s for s in STORAGES if node.owns(s)}


def test_every_storage_has_exactly_one_owner(nodes):
    a, b, c = nodes('a'), nodes('b'), nodes('c')
    for node in (a, b, c):
        conftest.wait_for(lambda: len(node.refresh()) == 3, 5,
                          what='three members')
    owned = [_owned(a), _owned(b), _owned(c)]
    assert set().union(*owned) == set(STORAGES)
    assert sum(len(o) for o in owned) == len(STORAGES)
    assert all(owned), 'each node owns some of 60 storages'
    # Every node computes the same owner for a storage.
    assert {a.owner('storage-007'), b.owner('storage-007'),
            c.owner('storage-007')} == {a.owner('storage-007')}


def test_a_leaving_node_hands_its_storages_to_the_others(nodes):
    a, b = nodes('a'), nodes('b')
    conftest.wait_for(lambda: a.members == ['a', 'b'], 5, what='two members')
    kept = _owned(a)
    b.stop(5)
    conftest.wait_for(lambda: a.members == ['a'], 5, what='b gone')
    assert _owned(a) == set(STORAGES)
    assert kept <= _owned(a)


def test_a_silent_node_loses_its_storages_after_the_timeout(nodes):
    a, b = nodes('a'), nodes('b')
    conftest.wait_for(lambda: a.members == ['a', 'b'], 5, what='two members')
    before = _owned(a)
    assert before != set(STORAGES)
    # b stops heartbeating without leaving, as a killed process would.
    b._stopping.set()
    b._thread.join(5)
    conftest.wait_for(lambda: a.members == ['a'], 10, what='b expired')
    assert _owned(a) == set(STORAGES)
    changes = []
    a.add_listener(changes.append)
    c = nodes('c')
    conftest.wait_for(lambda: changes and changes[-1] == ('a', 'c'), 5,
                      what='c seen by a')
    assert _owned(a) | _owned(c) == set(STORAGES)
    assert not _owned(a) & _owned(c)


def test_a_relative_file_url_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = coordination.backend_url('file://state/coordination', 7)
    assert url == 'file://%s?timeout=7' % os.path.join(
        str(tmp_path), 'state', 'coordination')


def test_redis_urls_get_the_member_timeout():
    assert coordination.backend_url('redis://h:6379', 9) == \
        'redis://h:6379?membership_timeout=9'
    assert coordination.backend_url(
        'redis://h:6379?membership_timeout=4', 9) == \
        'redis://h:6379?membership_timeout=4'


def test_default_backend_lives_under_state_path():
    url = coordination.backend_url()
    assert url.startswith('file://%s' % os.path.abspath(CONF.state_path))
