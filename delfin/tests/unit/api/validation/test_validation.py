"""Tests of request validation: schemas, Delfin's messages, no secrets."""
import pytest

from delfin import exception
from delfin.api import validation
from delfin.api.schemas import access_info
from delfin.api.schemas import storages

REST = {'host': '192.0.2.10', 'port': 8443, 'username': 'admin',
        'password': 'topsecret'}


def _register(**body):
    doc = {'vendor': 'fake_storage', 'model': 'fake_driver'}
    doc.update(body)
    return doc


def _error(schema, doc):
    with pytest.raises(exception.InvalidInput) as info:
        validation.validate(schema, doc)
    assert info.value.code == 400
    return info.value


def test_valid_registration_passes():
    doc = _register(rest=REST, storage_name='a',
                    extra_attributes={'k': 'v'})
    assert validation.validate(storages.create, doc) is doc


@pytest.mark.parametrize('section', [
    {'ssh': {'host': 'h', 'port': 22, 'username': 'u', 'password': 'p',
             'pub_key': 'AAAA', 'pub_key_type': 'ssh-rsa'}},
    {'cli': {'host': 'h', 'username': 'u', 'password': 'p'}},
    {'smis': {'host': 'h', 'username': 'u', 'password': 'p',
              'namespace': 'root/emc'}},
])
def test_each_section_alone_is_enough(section):
    validation.validate(storages.create, _register(**section))


def test_field_error_names_the_field():
    err = _error(storages.create,
                 _register(rest=dict(REST, port='abc')))
    assert err.msg == ("Invalid input received. Invalid input for "
                       "field/attribute port. 'abc' is not of type "
                       "'integer'")
    assert err.error_args == ("Invalid input for field/attribute port. "
                              "'abc' is not of type 'integer'",)


def test_missing_vendor():
    err = _error(storages.create, {'model': 'm', 'rest': REST})
    assert "'vendor' is a required property" in err.msg


def test_unknown_property_is_refused():
    err = _error(storages.create, _register(rest=REST, name='x'))
    assert 'Additional properties are not allowed' in err.msg


def test_no_access_section_is_refused_without_echoing_secrets():
    err = _error(storages.create, _register(
        extra_attributes={'password': 'hidden-value'}))
    assert 'hidden-value' not in err.msg


@pytest.mark.parametrize('bad', [12345, '', 'x' * 256])
def test_bad_password_is_not_echoed(bad):
    err = _error(storages.create, _register(rest=dict(REST, password=bad)))
    assert str(bad) not in err.msg or bad == ''
    assert 'password' in err.msg


def test_ssh_registration_requires_pub_key_but_update_does_not():
    ssh = {'host': 'h', 'port': 22, 'username': 'u', 'password': 'p'}
    err = _error(storages.create, _register(ssh=ssh))
    assert "'pub_key' is a required property" in err.msg
    validation.validate(access_info.update, {'ssh': {
        'host': 'h', 'port': 22, 'username': 'u'}})


@pytest.mark.parametrize('port', [-1, 65536])
def test_port_range(port):
    _error(storages.create, _register(rest=dict(REST, port=port)))


def test_host_characters():
    _error(storages.create, _register(rest=dict(REST, host='a b')))
    _error(storages.create, _register(rest=dict(REST, host='h;rm')))


@pytest.mark.parametrize('field', ['vendor', 'model', 'storage_name'])
def test_update_refuses_registration_fields(field):
    err = _error(access_info.update, {'rest': REST, field: 'x'})
    assert 'Additional properties are not allowed' in err.msg


def test_update_needs_a_section():
    _error(access_info.update, {})
    _error(access_info.update, {'extra_attributes': {}})


def test_body_must_be_an_object():
    _error(storages.create, ['vendor'])


def test_extra_attribute_values_are_short_strings():
    _error(storages.create, _register(rest=REST,
                                      extra_attributes={'k': 1}))
    validation.validate(storages.create, _register(
        rest=REST, extra_attributes={'k': 'v' * 255}))


def test_schema_decorator_validates_before_the_action():
    calls = []

    class C(object):
        @validation.schema(access_info.update)
        def update(self, req, id, body):
            calls.append(body)

    with pytest.raises(exception.InvalidInput):
        C().update(None, 'x', body={})
    C().update(None, 'x', body={'rest': REST})
    assert calls == [{'rest': REST}]


@pytest.mark.parametrize('value,ok', [
    (5, True), ('5', True), ('10', True), ('11', False), (11, False),
    ('0', False), ('x', None), (True, None)])
def test_bounds_also_apply_to_numeric_strings(value, ok):
    schema = {'type': ['integer', 'string', 'boolean'], 'minimum': 1,
              'maximum': 10}
    if ok is False:
        err = _error(schema, value)
        assert 'the m' in err.msg
    else:
        validation.validate(schema, value)


def test_exclusive_bounds():
    schema = {'type': 'integer', 'minimum': 1, 'exclusiveMinimum': True,
              'maximum': 3, 'exclusiveMaximum': True}
    validation.validate(schema, 2)
    _error(schema, 1)
    _error(schema, 3)
