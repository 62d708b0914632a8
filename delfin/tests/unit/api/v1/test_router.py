"""Tests of the route table: Delfin's v1 routes, unique names."""
import collections

from delfin.api.v1 import router
from delfin.resources import registry

# Delfin's v1 routes served by the storage, access-info, inventory and
# extension controllers (reference section 1.4).
DELFIN_ROUTES = {
    ('GET', '/v1/storages'), ('POST', '/v1/storages'),
    ('GET', '/v1/storages/{id}'), ('DELETE', '/v1/storages/{id}'),
    ('POST', '/v1/storages/{id}/sync'), ('POST', '/v1/storages/sync'),
    ('GET', '/v1/storages/{id}/capabilities'),
    ('GET', '/v1/storages/{id}/access-info'),
    ('PUT', '/v1/storages/{id}/access-info'),
    ('GET', '/v1/access-infos'),
    ('GET', '/v1/extensions'), ('GET', '/v1/extensions/{alias}'),
}
GLOBAL_PATHS = ('storage-pools', 'volumes', 'controllers', 'ports', 'disks',
                'filesystems', 'qtrees', 'quotas', 'shares')
PER_STORAGE_PATHS = ('storage-host-initiators', 'storage-hosts',
                     'storage-host-groups', 'port-groups', 'volume-groups',
                     'masking-views')


def _table():
    return {(r.method, r.path) for r in router.ROUTES}


def test_delfin_routes_are_served():
    assert DELFIN_ROUTES <= _table()


def test_inventory_routes_cover_delfin_paths():
    table = _table()
    for path in GLOBAL_PATHS:
        assert ('GET', '/v1/%s' % path) in table
        assert ('GET', '/v1/%s/{id}' % path) in table
    for path in PER_STORAGE_PATHS:
        assert ('GET', '/v1/storages/{storage_id}/%s' % path) in table


def test_every_routed_kind_of_the_registry_is_served():
    table = _table()
    for kind in registry.routed_kinds():
        if kind.scope == registry.GLOBAL:
            assert ('GET', '/v1/%s' % kind.path) in table
        else:
            assert ('GET', '/v1/storages/{storage_id}/%s'
                    % kind.path) in table


def test_job_routes():
    table = _table()
    assert ('GET', '/v1/storages/{storage_id}/jobs') in table
    assert ('GET', '/v1/storages/{storage_id}/jobs/{job_id}') in table


def test_route_names_and_endpoints_are_unique():
    names = collections.Counter(r.route_name for r in router.ROUTES)
    assert [n for n, c in names.items() if c > 1] == []
    endpoints = collections.Counter((r.method, r.path)
                                    for r in router.ROUTES)
    assert [e for e, c in endpoints.items() if c > 1] == []
