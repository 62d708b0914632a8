"""Storage ownership shared through a real Redis: two task nodes split the
storages; when one leaves or goes silent the other takes its storages."""
import uuid

import pytest

from delfin.tests import conftest

STORAGES = ['storage-%03d' % i for i in range(100)]


@pytest.fixture
def nodes():
    url = conftest.require_service('redis')
    # A namespace of its own so that runs never see each other's members.
    url += '?namespace=delfin-test-%s' % uuid.uuid4().hex[:8]
    with conftest.coordinator_nodes(url) as make:
        yield make


def _owned(node):
    return {s for s in STORAGES if node.owns(s)}


def test_two_nodes_split_the_storages_and_one_takes_over(nodes):
    a, b = nodes('node-a'), nodes('node-b')
    for node in (a, b):
        conftest.wait_for(lambda: node.refresh() == ('node-a', 'node-b'), 5,
                          what='both members')
    owned_a, owned_b = _owned(a), _owned(b)
    assert owned_a and owned_b
    assert owned_a | owned_b == set(STORAGES)
    assert not owned_a & owned_b
    assert all(a.owner(s) == b.owner(s) for s in STORAGES)

    b.stop(5)
    conftest.wait_for(lambda: a.members == ['node-a'], 5, what='b left')
    assert _owned(a) == set(STORAGES)


def test_a_silent_node_expires_and_its_storages_move(nodes):
    a, b = nodes('node-a'), nodes('node-b')
    conftest.wait_for(lambda: a.members == ['node-a', 'node-b'], 5,
                      what='both members')
    owned_b = _owned(b)
    assert owned_b
    # b's process dies: no heartbeat, no goodbye.
    b._stopping.set()
    b._thread.join(5)
    conftest.wait_for(lambda: a.members == ['node-a'], 15, what='b expired')
    assert owned_b <= _owned(a) == set(STORAGES)
    b._tooz = None  # its connection is gone with it
