"""[DEFAULT] options of the REST API server."""
from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt('delfin_listen', default='127.0.0.1',
                       help='Address the REST API listens on: this machine '
                            'only by default; :: serves every IPv4 and IPv6 '
                            'address.'),
    cfg.PortOpt('delfin_listen_port', default=8190,
                help='Port the REST API listens on.'),
    cfg.IntOpt('delfin_workers', default=8, min=1,
               help='Number of threads serving API requests.'),
    cfg.IntOpt('api_max_limit', default=1000, min=1,
               help='Default and maximum number of items a list request '
                    'returns.'),
    cfg.IntOpt('api_max_body_size', default=1024 * 1024, min=1024,
               help='Largest request body the API accepts, in bytes.'),
    cfg.IntOpt('api_backend_timeout', default=60, min=1,
               help='Seconds an API request waits for a storage backend '
                    '(registration, access-info update, capabilities) '
                    'before it fails.'),
]


def register_opts(conf):
    conf.register_opts(api_opts)


def list_opts():
    return [('DEFAULT', api_opts)]
