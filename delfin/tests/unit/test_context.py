"""The request context and its trip through RPC."""
import datetime
import json

import pytest

from delfin import context


def test_storage_id_is_writable():
    ctx = context.get_admin_context()
    assert ctx.storage_id is None
    ctx.storage_id = 'storage-1'
    assert ctx.storage_id == 'storage-1'


def test_admin_context():
    ctx = context.get_admin_context()
    assert ctx.is_admin is True
    assert ctx.read_deleted == 'no'
    assert context.get_admin_context(read_deleted='yes').read_deleted \
        == 'yes'


@pytest.mark.parametrize('value', ['no', 'yes', 'only'])
def test_read_deleted_accepts_known_values(value):
    assert context.RequestContext(read_deleted=value).read_deleted == value


def test_read_deleted_rejects_other_values():
    with pytest.raises(ValueError):
        context.RequestContext(read_deleted='maybe')
    ctx = context.RequestContext()
    with pytest.raises(ValueError):
        ctx.read_deleted = 'all'


def test_round_trip_through_json():
    ctx = context.RequestContext(user_id='u1', project_id='p1',
                                 storage_id='s1', read_deleted='only',
                                 remote_address='10.0.0.9',
                                 roles=['member'])
    wire = json.loads(json.dumps(ctx.to_dict()))
    copy = context.RequestContext.from_dict(wire)
    assert isinstance(copy, context.RequestContext)
    assert (copy.user_id, copy.project_id, copy.storage_id) \
        == ('u1', 'p1', 's1')
    assert copy.read_deleted == 'only'
    assert copy.remote_address == '10.0.0.9'
    assert copy.roles == ['member']
    assert copy.request_id == ctx.request_id
    assert copy.timestamp == ctx.timestamp
    assert isinstance(copy.timestamp, datetime.datetime)


def test_elevated_copy_has_admin_rights_and_leaves_original():
    ctx = context.RequestContext(user_id='u', roles=['member'])
    admin = ctx.elevated(read_deleted='yes')
    assert admin.is_admin and 'admin' in admin.roles
    assert admin.read_deleted == 'yes'
    assert not ctx.is_admin and ctx.roles == ['member']
    assert ctx.read_deleted == 'no'
