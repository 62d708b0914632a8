"""[fake_driver] options of the fake storage driver."""
from oslo_config import cfg

fake_driver_opts = [
    cfg.StrOpt('fake_pool_range', default='1-100',
               help='Range of the number of storage pools, "min-max".'),
    cfg.StrOpt('fake_volume_range', default='1-2000',
               help='Range of the number of volumes, "min-max". '
                    '"100000-100000" gives exactly 100,000 volumes.'),
    cfg.StrOpt('fake_api_time_range', default='0-0',
               help='Simulated device latency of each driver call, in '
                    'seconds, "min-max".'),
    cfg.StrOpt('fake_page_query_limit', default='500',
               help='Volumes returned per simulated device page.'),
    cfg.StrOpt('fake_controller_range', default='2-2',
               help='Range of the number of controllers, "min-max".'),
    cfg.StrOpt('fake_port_range', default='1-10',
               help='Range of the number of ports, "min-max".'),
    cfg.StrOpt('fake_disk_range', default='1-100',
               help='Range of the number of disks, "min-max".'),
    cfg.StrOpt('fake_filesystem_range', default='1-10',
               help='Range of the number of file systems, "min-max".'),
    cfg.StrOpt('fake_qtree_range', default='1-100',
               help='Range of the number of qtrees, "min-max".'),
    cfg.StrOpt('fake_quota_range', default='1-100',
               help='Range of the number of quotas, "min-max".'),
    cfg.StrOpt('fake_share_range', default='1-100',
               help='Range of the number of shares, "min-max".'),
    cfg.StrOpt('fake_host_range', default='1-5',
               help='Range of the number of hosts, "min-max".'),
    cfg.StrOpt('fake_initiator_range', default='1-3',
               help='Range of the number of initiators of each host, '
                    '"min-max".'),
    cfg.StrOpt('fake_host_group_range', default='1-5',
               help='Range of the number of host groups, "min-max".'),
    cfg.StrOpt('fake_port_group_range', default='1-5',
               help='Range of the number of port groups, "min-max".'),
    cfg.StrOpt('fake_volume_group_range', default='1-5',
               help='Range of the number of volume groups, "min-max".'),
    cfg.StrOpt('fake_masking_view_range', default='1-5',
               help='Range of the number of masking views, "min-max".'),
    cfg.StrOpt('fake_alert_range', default='4-4',
               help='Range of the number of alerts held by the storage, '
                    '"min-max".'),
    cfg.IntOpt('fake_perf_resource_limit', default=100, min=1,
               help='Most resources of each type sampled by '
                    'collect_perf_metrics.'),
    cfg.FloatOpt('churn', default=0.0, min=0.0, max=1.0,
                 help='Share of the inventory that changes between syncs. '
                      '0 returns the same data on every sync; above 0, '
                      'each get_storage call starts a new generation in '
                      'which that share of every kind is replaced by new '
                      'objects and that share of the rest is updated.'),
    cfg.ListOpt('fail_on', default=[],
                help='Driver methods that fail with '
                     'StorageBackendException, e.g. "list_ports,'
                     'get_storage".'),
    cfg.ListOpt('not_implemented', default=[],
                help='Driver listers that raise NotImplementedError, as a '
                     'driver without that feature does, e.g. '
                     '"list_qtrees,list_shares".'),
]


def register_opts(conf):
    conf.register_opts(fake_driver_opts, group='fake_driver')


def list_opts():
    return [('fake_driver', fake_driver_opts)]
