"""Options of the alert pipeline: the trap listener ([DEFAULT], [alerts])
and the alert exporters ([alert_exporter], [webhook_exporter],
[alertmanager_exporter], and Delfin's [PROMETHEUS_ALERT_MANAGER_EXPORTER])."""
from oslo_config import cfg

default_opts = [
    cfg.HostAddressOpt('trap_receiver_address', default='127.0.0.1',
                       help='Address the SNMP trap listener binds: this '
                            'machine only by default; 0.0.0.0 (or ::) '
                            'receives traps from other machines.'),
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


alerts_opts = [
    cfg.IntOpt('listener_processes', default=1, min=0,
               help='Worker processes that read and decode SNMP datagrams '
                    '(0: threads of the alert process). Decoding in a '
                    'separate process keeps it off the core that stores '
                    'alerts.'),
    cfg.IntOpt('receive_buffer', default=32 * 1024 * 1024, min=65536,
               help='SO_RCVBUF of the trap socket, in bytes; above '
                    'net.core.rmem_max it needs that sysctl raised (or '
                    'CAP_NET_ADMIN).'),
    cfg.IntOpt('queue_size', default=65536, min=1,
               help='Datagrams waiting for a decoder, per worker, before '
                    'new ones are dropped (counted as queue_full).'),
    cfg.IntOpt('batch_size', default=4096, min=1,
               help='Most traps decoded and stored as one batch. A batch '
                    'holds what is waiting, never waits to fill up; larger '
                    'batches cost less per trap under load.'),
    cfg.BoolOpt('parse_in_workers', default=False,
                help="Run the storage drivers' parse_alert, alert "
                     'normalisation and fingerprinting in the listener '
                     'worker processes, so the alert process only stores. '
                     'Pays off when traps come from many sources spread '
                     'over several listener_processes on spare cores; with '
                     'one busy worker it adds the cost of sending parsed '
                     'alerts between processes.'),
    cfg.FloatOpt('store_linger', default=0.05, min=0.0, max=5.0,
                 help='Seconds the alert writer waits for more traps to '
                      'store in one transaction. Longer means fewer, '
                      'larger transactions (more traps per second) and '
                      'alerts that appear that much later.'),
    cfg.FloatOpt('source_refresh_interval', default=2.0, min=0.1,
                 help='Seconds between checks of the alert sources table; '
                      'a change (snmp-config PUT or DELETE, a storage '
                      'removed) reaches the listener within this delay.'),
    cfg.FloatOpt('storage_refresh_interval', default=60.0, min=1.0,
                 help='Seconds after which the names, serial numbers and '
                      'controller addresses of storages used to label '
                      'traps are read again.'),
    cfg.FloatOpt('incomplete_trap_poll_delay', default=10.0, min=0.0,
                 help='Seconds to wait before polling a storage whose '
                      'driver could not make an alert of a trap; further '
                      'such traps within the delay share the poll.'),
    cfg.BoolOpt('check_time_window', default=True,
                help='Refuse SNMPv3 traps outside the USM time window '
                     '(replay protection). Disable for devices that reset '
                     'their engine boots counter.'),
    cfg.PortOpt('metrics_port', default=0,
                help='When not 0, the alert service also serves Prometheus '
                     'metrics on this port (for a delfin-alert process '
                     'without the API); delfin-all and delfin-api serve '
                     'GET /metrics on the API port.'),
    cfg.HostAddressOpt('metrics_address', default='127.0.0.1',
                       help='Address of the metrics_port listener.'),
]

exporter_opts = [
    cfg.IntOpt('queue_size', default=10000, min=1,
               help='Alerts waiting for one exporter; beyond that new '
                    'alerts are dropped for it (and counted).'),
    cfg.IntOpt('batch_size', default=500, min=1,
               help='Most alerts handed to an exporter at once.'),
    cfg.IntOpt('max_retries', default=5, min=0,
               help='Retries of a failed export before its alerts are '
                    'dropped (and counted).'),
    cfg.FloatOpt('retry_backoff', default=1.0, min=0.0,
                 help='Seconds before the first retry; doubled at each '
                      'retry up to retry_backoff_max.'),
    cfg.FloatOpt('retry_backoff_max', default=60.0, min=0.0,
                 help='Longest wait between two retries.'),
]

webhook_opts = [
    cfg.URIOpt('url', schemes=['http', 'https'],
               help='URL the webhook exporter POSTs alerts to, as '
                    '{"alerts": [...]}.'),
    cfg.FloatOpt('timeout', default=10.0, min=0.1,
                 help='Seconds to wait for the receiver.'),
    cfg.StrOpt('ca_file',
               help='CA bundle for an https receiver (default: the '
                    'system CAs).'),
]

alertmanager_opts = [
    cfg.URIOpt('url', schemes=['http', 'https'],
               help='Base URL of Prometheus Alertmanager, e.g. '
                    'http://127.0.0.1:9093. When unset, the Delfin options '
                    '[PROMETHEUS_ALERT_MANAGER_EXPORTER] alert_manager_host '
                    'and alert_manager_port are used.'),
    cfg.FloatOpt('timeout', default=10.0, min=0.1,
                 help='Seconds to wait for Alertmanager.'),
    cfg.FloatOpt('resend_interval', default=120.0, min=0.0,
                 help='Seconds between re-sends of the open alerts by the '
                      'alert service, which keeps them firing: each is '
                      'sent with an end time four intervals ahead. 0 sends '
                      'open alerts without an end time and never re-sends '
                      '(Alertmanager then resolves them after its '
                      'resolve_timeout).'),
    cfg.StrOpt('ca_file',
               help='CA bundle for an https Alertmanager (default: the '
                    'system CAs).'),
]

# Delfin's options, still read when [alertmanager_exporter] url is unset.
delfin_alertmanager_opts = [
    cfg.StrOpt('alert_manager_host', default='localhost',
               help='Alertmanager host (Delfin option; prefer '
                    '[alertmanager_exporter] url).'),
    cfg.StrOpt('alert_manager_port', default='9093',
               help='Alertmanager port (Delfin option).'),
]

_GROUPS = (('DEFAULT', default_opts), ('alerts', alerts_opts),
           ('alert_exporter', exporter_opts),
           ('webhook_exporter', webhook_opts),
           ('alertmanager_exporter', alertmanager_opts),
           ('PROMETHEUS_ALERT_MANAGER_EXPORTER', delfin_alertmanager_opts))


def register_opts(conf):
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=None if group == 'DEFAULT' else group)


def list_opts():
    return list(_GROUPS)
