"""The resource registry describes every kind consistently."""
import pytest

from delfin import exception
from delfin.common import constants
from delfin.drivers import driver as driver_contract
from delfin.resources import registry


def test_sixteen_delfin_resource_kinds_plus_relations():
    names = {k.name for k in registry.ALL_KINDS}
    assert {'storage', 'storage_pool', 'volume', 'controller', 'port',
            'disk', 'filesystem', 'qtree', 'quota', 'share',
            'storage_host_initiator', 'storage_host', 'storage_host_group',
            'port_group', 'volume_group', 'masking_view'} <= names
    assert {'storage_host_grp_host_rel', 'port_grp_port_rel',
            'vol_grp_vol_rel'} <= names


@pytest.mark.parametrize('kind', registry.inventory_kinds(),
                         ids=lambda k: k.name)
def test_inventory_kind_is_complete(kind):
    assert kind.identity, 'every inventory kind has an identity'
    for name in kind.identity:
        assert kind.field(name).required
    assert len(set(kind.field_names)) == len(kind.field_names)
    assert 'storage_id' not in kind.field_names
    assert 'id' not in kind.field_names
    assert issubclass(getattr(exception, kind.not_found), exception.NotFound)
    assert callable(getattr(driver_contract.StorageDriver,
                            kind.driver_method))


@pytest.mark.parametrize('kind', registry.ALL_KINDS, ids=lambda k: k.name)
def test_references_point_at_kinds_with_a_native_id(kind):
    # A reference holds the native id of an object of the target kind.
    for field_name, target_name in kind.references:
        assert field_name in kind.field_names
        target = registry.by_name(target_name)
        assert target.native_id and target.identity == (target.native_id,)


@pytest.mark.parametrize('kind', registry.ALL_KINDS, ids=lambda k: k.name)
def test_enums_come_from_the_vocabulary(kind):
    known = set()
    for value in vars(constants).values():
        if isinstance(value, type) and isinstance(
                getattr(value, 'ALL', None), tuple):
            known.update(value.ALL)
    for f in kind.fields:
        if f.enum:
            assert set(f.enum) - {'normal'} <= known, f.name


def test_sync_order_puts_referenced_kinds_first():
    order = [k.name for k in registry.ALL_KINDS]
    for kind in registry.ALL_KINDS:
        for _, target in kind.references:
            if target == 'port' or target == 'volume':
                assert order.index(target) < order.index(kind.name)


def test_routes_match_delfin_paths():
    global_paths = {k.path for k in registry.routed_kinds(registry.GLOBAL)}
    assert global_paths == {'storage-pools', 'volumes', 'controllers',
                            'ports', 'disks', 'filesystems', 'qtrees',
                            'quotas', 'shares'}
    storage_paths = {k.path
                     for k in registry.routed_kinds(registry.PER_STORAGE)}
    assert storage_paths == {'storage-host-initiators', 'storage-hosts',
                             'storage-host-groups', 'port-groups',
                             'volume-groups', 'masking-views'}


def test_group_kinds_name_their_relation():
    for name, rel, member in (
            ('storage_host_group', 'storage_host_grp_host_rel',
             'native_storage_host_id'),
            ('port_group', 'port_grp_port_rel', 'native_port_id'),
            ('volume_group', 'vol_grp_vol_rel', 'native_volume_id')):
        kind = registry.by_name(name)
        assert kind.relation.kind == rel
        assert kind.relation.member_field == member
        assert registry.by_name(rel).driver_method == kind.driver_method


def test_filters_are_real_fields():
    for kind in registry.ALL_KINDS:
        for name in kind.filters:
            assert name in ('id', 'storage_id') or name in kind.field_names


def test_lookup_helpers():
    assert registry.by_path('storage-pools').name == 'storage_pool'
    with pytest.raises(KeyError):
        registry.by_name('nothing')
