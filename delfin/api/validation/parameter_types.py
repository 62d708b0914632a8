"""JSON-schema fragments shared by the request schemas."""
from delfin.common import constants

hostname_or_ip_address = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': '^[a-zA-Z0-9_.:-]*$',
}

tcp_udp_port = {'type': 'integer', 'minimum': 0, 'maximum': 65535}


def string(min_length=1, max_length=255):
    return {'type': 'string', 'minLength': min_length,
            'maxLength': max_length}


name = string()
username = string()
password = string()

host_key_type = {
    'type': 'string',
    'enum': ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384',
             'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'],
}

snmp_version = {
    'type': 'string',
    'enum': ['SNMPv1', 'SNMPv2c', 'SNMPv3', 'snmpv1', 'snmpv2c', 'snmpv3'],
}

snmp_auth_protocol = {'type': 'string',
                      'enum': list(constants.SNMP_AUTH_PROTOCOLS)}

snmp_privacy_protocol = {'type': 'string',
                         'enum': list(constants.SNMP_PRIVACY_PROTOCOLS)}

snmp_security_level = {'type': 'string',
                       'enum': list(constants.SecurityLevel.ALL)}

# Free-form attributes; well-formed keys carry short strings.
extra_attributes = {
    'type': 'object',
    'patternProperties': {
        '^[a-zA-Z0-9-_:. ]{1,255}$': {'type': 'string', 'maxLength': 255},
    },
}
