"""[DEFAULT] and [alerts] options of the alert pipeline."""
from oslo_config import cfg

default_opts = [
    cfg.HostAddressOpt('trap_receiver_address', default='0.0.0.0',
                       help='Address the SNMP trap listener binds.'),
    cfg.PortOpt('trap_receiver_port', default=162,
                help='UDP port of the SNMP trap listener. Ports below 1024 '
                     'need root or CAP_NET_BIND_SERVICE.'),
    cfg.BoolOpt('snmp_validation_enabled', default=True,
                help='Accepted for compatibility with Delfin configuration '
                     'files.'),
    cfg.ListOpt('alert_exporters', default=['log'],
                help='Alert exporter plugins (entry points in '
                     'delfin.alert.exporters) that receive new, changed and '
                     'cleared alerts.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return [('DEFAULT', default_opts)]
