"""Schemas of access information: how the service reaches a backend.

A storage is reached through one or more access sections (``rest``,
``ssh``, ``cli``, ``smis``); registration needs at least one, with its
credentials.  An update may change any section, or add one.
"""
import copy

from delfin.api.validation import parameter_types as types

SECTIONS = ('rest', 'ssh', 'cli', 'smis')


def _section(required, **extra):
    properties = {
        'host': types.hostname_or_ip_address,
        'port': types.tcp_udp_port,
        'username': types.username,
        'password': types.password,
    }
    properties.update(extra)
    return {'type': 'object', 'properties': properties,
            'required': list(required), 'additionalProperties': False}


def sections(for_update=False):
    """The access sections' schemas, for registration or update."""
    ssh_required = (['host', 'port', 'username'] if for_update
                    else ['host', 'port', 'username', 'password', 'pub_key'])
    return {
        'rest': _section(['host', 'port', 'username', 'password']),
        'ssh': _section(ssh_required,
                        pub_key=types.string(1, 4096),
                        pub_key_type=types.host_key_type),
        'cli': _section(['host', 'username', 'password']),
        'smis': _section(['host', 'username', 'password'],
                         namespace=types.string()),
    }


# At least one access section must be present.
ANY_SECTION = [{'required': [name]} for name in SECTIONS]

update = {
    'type': 'object',
    'properties': dict(sections(for_update=True),
                       extra_attributes=copy.deepcopy(
                           types.extra_attributes)),
    'anyOf': ANY_SECTION,
    'additionalProperties': False,
}
