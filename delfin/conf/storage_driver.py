"""[storage_driver] options shared by drivers."""
from oslo_config import cfg

storage_driver_opts = [
    cfg.StrOpt('ca_path', default='',
               help='CA certificate file or directory used to verify '
                    'backends\' TLS certificates. Empty disables '
                    'verification.'),
]


def register_opts(conf):
    conf.register_opts(storage_driver_opts, group='storage_driver')


def list_opts():
    return [('storage_driver', storage_driver_opts)]
