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
]


def register_opts(conf):
    conf.register_opts(fake_driver_opts, group='fake_driver')


def list_opts():
    return [('fake_driver', fake_driver_opts)]
