"""SNMP configuration (alert sources): how a storage sends its traps.

``PUT /v1/storages/{id}/snmp-config`` creates or replaces the storage's
alert source: the host(s) its traps come from (a comma-separated list is
accepted) and a v1/v2c community or an SNMPv3 user (``username``,
``security_level``, ``auth_protocol``/``auth_key``,
``privacy_protocol``/``privacy_key``, optional ``engine_id``).  Body and
checks are Delfin's: a v3 source needs a user name and security level and
the protocols and keys its level implies; a v1/v2c source needs a
community; fields the version or level does not use are cleared.  The
community and keys are encrypted before they are stored and are never
shown, not even the v2c community (Delfin returned it in clear).

The version, security level and protocols are shown as the client sent
them ("SNMPv2c" stays "SNMPv2c"), as Delfin does; they are matched without
regard to case.  In an SNMPv3 body, ``auth_protocol``, ``auth_key``,
``privacy_protocol``, ``privacy_key`` and ``engine_id`` sent as ``""`` mean
"none" (the SODA dashboard sends them so for noAuthnoPriv).
``/v1/storages/{id}/alert-source``, the route's name before Delfin renamed
it, is served as an alias with the same bodies and answers.

The running trap listener applies a change without a restart: at once in
this process, within ``[alerts] source_refresh_interval`` seconds in an
alert process elsewhere (see `delfin.alert_manager.sources`).  Deleting a
storage deletes its alert source with it.
"""
import re

from delfin import cryptor
from delfin import exception
from delfin.alert_manager import sources
from delfin.alert_manager.snmp import usm
from delfin.api.common import views
from delfin.api.common import wsgi
from delfin.api import openapi
from delfin.api import validation
from delfin.api.validation import parameter_types
from delfin.api.v1 import storages
from delfin.common import constants
from delfin.db import api as db
from delfin.db import engine
from delfin.db import schema as db_schema

_ENGINE_ID = re.compile(r'^(0x)?([0-9a-fA-F]{2})+$')
# RFC 3411: an engine id has 5 to 32 octets.
_ENGINE_ID_OCTETS = (5, 32)


def _or_empty(schema):
    """``schema``, or the empty string (which means "none")."""
    return {'anyOf': [{'type': 'string', 'maxLength': 0}, schema]}


# Fields that a v3 body may send as "" to mean that they are not set.
EMPTY_MEANS_NONE = ('auth_key', 'auth_protocol', 'privacy_protocol',
                    'privacy_key', 'engine_id')

put_schema = {
    'type': 'object',
    'properties': {
        # Delfin's host type, with commas for a list of hosts.
        'host': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                 'pattern': '^[a-zA-Z0-9_.:,-]*$'},
        'version': parameter_types.snmp_version,
        'community_string': parameter_types.string(1, 32),
        'username': parameter_types.string(1, 32),
        'security_level': parameter_types.snmp_security_level,
        'auth_key': _or_empty(parameter_types.string(8, 65535)),
        'auth_protocol': _or_empty(parameter_types.snmp_auth_protocol),
        'privacy_protocol': _or_empty(
            parameter_types.snmp_privacy_protocol),
        'privacy_key': _or_empty(parameter_types.string(8, 65535)),
        'engine_id': _or_empty(parameter_types.string(9, 64)),
        'context_name': parameter_types.string(0, 32),
        # Stored in 32-bit columns.
        'retry_num': {'type': 'integer', 'minimum': -2 ** 31,
                      'maximum': 2 ** 31 - 1},
        'expiration': {'type': 'integer', 'minimum': -2 ** 31,
                       'maximum': 2 ** 31 - 1},
        'port': parameter_types.tcp_udp_port,
    },
    'required': ['host', 'version'],
    'additionalProperties': False,
}

V3_FIELDS = ('username', 'security_level', 'auth_protocol',
             'privacy_protocol', 'engine_id', 'context_name')
VIEW_KEYS = ('storage_id', 'host', 'version', 'port', 'retry_num',
             'expiration', 'created_at', 'updated_at')


def view(row):
    """An alert source as shown: never a community or a key."""
    shown = views.project(row, VIEW_KEYS)
    if (row.get('version') or '').lower() == constants.SNMPVersion.V3:
        shown.update(views.project(row, V3_FIELDS))
    return shown


def _invalid(message):
    return exception.InvalidInput(message)


def _engine_id(value):
    if not _ENGINE_ID.match(value):
        raise _invalid('engine_id must be a hexadecimal string')
    hex_digits = value[2:] if value.lower().startswith('0x') else value
    octets = len(hex_digits) // 2
    if not _ENGINE_ID_OCTETS[0] <= octets <= _ENGINE_ID_OCTETS[1]:
        raise _invalid('engine_id must have %d to %d octets'
                       % _ENGINE_ID_OCTETS)
    return hex_digits.lower()


def _hosts(value):
    hosts = sources.split_hosts(value)
    if not hosts or len(hosts) != len(value.split(',')):
        raise _invalid('host must be a host name or IP address, or a '
                       'comma-separated list of them')
    return ','.join(hosts)


def source_values(body):
    """The row of an alert source from a valid PUT body (Delfin's checks;
    secrets encrypted)."""
    body = {k: v for k, v in body.items()
            if not (k in EMPTY_MEANS_NONE and v == '')}
    values = dict(body)
    values['host'] = _hosts(body['host'])
    # Stored and shown as sent; compared in lower case.
    version = body['version'].lower()
    values.setdefault('port', constants.DEFAULT_SNMP_CONNECT_PORT)
    values.setdefault('retry_num', constants.DEFAULT_SNMP_RETRY_NUM)
    values.setdefault('expiration', constants.DEFAULT_SNMP_EXPIRATION_TIME)
    values.setdefault('context_name', None)
    if version == constants.SNMPVersion.V3:
        level = _level(body.get('security_level'))
        if not body.get('username'):
            raise _invalid('username is required for SNMPv3')
        if not level:
            raise _invalid('security_level is required for SNMPv3')
        values['community_string'] = None
        if level in (constants.SecurityLevel.AUTHNOPRIV,
                     constants.SecurityLevel.AUTHPRIV):
            if not body.get('auth_protocol') or not body.get('auth_key'):
                raise _invalid('auth_protocol and auth_key are required '
                               'for security level %s' % level)
            values['auth_key'] = cryptor.encode(body['auth_key'])
        else:
            values.update(auth_protocol=None, auth_key=None)
        if level == constants.SecurityLevel.AUTHPRIV:
            if not body.get('privacy_protocol') or \
                    not body.get('privacy_key'):
                raise _invalid('privacy_protocol and privacy_key are '
                               'required for security level authPriv')
            values['privacy_key'] = cryptor.encode(body['privacy_key'])
        else:
            values.update(privacy_protocol=None, privacy_key=None)
        if body.get('engine_id'):
            values['engine_id'] = _engine_id(body['engine_id'])
        else:
            values['engine_id'] = None
        _check_user(values, body)
    else:
        if not body.get('community_string'):
            raise _invalid('community_string is required for %s'
                           % body['version'])
        values['community_string'] = cryptor.encode(body['community_string'])
        for name in ('username', 'auth_key', 'security_level',
                     'auth_protocol', 'privacy_protocol', 'privacy_key',
                     'engine_id'):
            values[name] = None
    return values


def _level(value):
    """The `constants.SecurityLevel` value named by ``value`` in any
    case (None when empty)."""
    for level in constants.SecurityLevel.ALL:
        if value and value.lower() == level.lower():
            return level
    return value


def _check_user(values, body):
    """The listener must be able to use the user (protocol names)."""
    try:
        usm.UsmUser(
            name=body['username'],
            auth_protocol=(values['auth_protocol'] or '').lower() or None,
            auth_password=body.get('auth_key') if values['auth_protocol']
            else None,
            priv_protocol=(values['privacy_protocol'] or '').lower() or None,
            priv_password=body.get('privacy_key')
            if values['privacy_protocol'] else None)
    except ValueError as exc:
        # The message names protocols and lengths, never a key.
        raise exception.InvalidSNMPConfig(str(exc))


class SnmpConfigController(wsgi.Controller):
    """``/v1/storages/{id}/snmp-config`` and ``/v1/snmp-configs``."""

    def describe(self, action):
        item = openapi.table_schema(db_schema.alert_sources,
                                    VIEW_KEYS + V3_FIELDS)
        return {
            'show_all': {'response': openapi.collection(
                'snmp_configs', item, total=False)},
            'delete': {'response': None},
        }.get(action, {'response': item})

    @validation.schema(put_schema)
    def put(self, req, id, body):
        values = source_values(body)
        with engine.writer() as conn:
            storages.get_storage(id, conn=conn)
            existing = db.find('alert_source', conn=conn, storage_id=id)
            if existing is None:
                values['storage_id'] = id
                row = db.create('alert_source', values, conn=conn)
            else:
                row = db.update('alert_source', id, values, conn=conn)
        sources.notify_changed()
        return view(row)

    def show(self, req, id):
        return view(db.get('alert_source', id))

    def delete(self, req, id):
        db.delete('alert_source', id)
        sources.notify_changed()

    def show_all(self, req):
        rows = db.list_rows('alert_source', sort=[('created_at', db.ASC)])
        return views.collection('snmp_configs', [view(r) for r in rows],
                                len(rows))


ROUTES = [
    wsgi.Route('PUT', '/v1/storages/{id}/snmp-config', SnmpConfigController,
               'put', name='snmp_config_put'),
    wsgi.Route('GET', '/v1/storages/{id}/snmp-config', SnmpConfigController,
               'show', name='snmp_config_show'),
    wsgi.Route('DELETE', '/v1/storages/{id}/snmp-config',
               SnmpConfigController, 'delete', name='snmp_config_delete'),
    wsgi.Route('GET', '/v1/snmp-configs', SnmpConfigController, 'show_all',
               name='snmp_config_index'),
    # Delfin's name of the route before 2021, which the SODA dashboard
    # still calls.
    wsgi.Route('PUT', '/v1/storages/{id}/alert-source', SnmpConfigController,
               'put', name='alert_source_put'),
    wsgi.Route('GET', '/v1/storages/{id}/alert-source', SnmpConfigController,
               'show', name='alert_source_show'),
    wsgi.Route('DELETE', '/v1/storages/{id}/alert-source',
               SnmpConfigController, 'delete', name='alert_source_delete'),
]
