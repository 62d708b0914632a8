"""[DEFAULT] options of the REST API server."""
from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt('delfin_listen', default='127.0.0.1',
                       help='Address the REST API listens on: this machine '
                            'only by default; :: serves every IPv4 and IPv6 '
                            'address.'),
    cfg.PortOpt('delfin_listen_port', default=8190,
                help='Port the REST API listens on.'),
    cfg.IntOpt('delfin_workers', default=1, min=1,
               help='Number of delfin-api processes serving the REST API '
                    'on one port (the kernel spreads new connections over '
                    'them). One Python process runs on one core at a '
                    'time, so up to one per core adds throughput. '
                    'delfin-all always serves the API from its own '
                    'process.'),
    cfg.IntOpt('api_threads', default=0, min=0,
               help='Threads running the API\'s reads (GET and HEAD '
                    'requests answered from the database) in each API '
                    'process; 0 (the default) chooses by the database: '
                    '1 on SQLite, 2 on PostgreSQL and MariaDB. Reads of '
                    'a local SQLite file are Python work that holds one '
                    'core at a time: a second thread only contends for '
                    'the interpreter lock and makes them slower (about a '
                    'third fewer polls of the storages a second). Raise '
                    'it when the database is far away (each read then '
                    'waits on the network). Connections are accepted and '
                    'read by the server whatever this number.'),
    cfg.IntOpt('api_backend_threads', default=8, min=1,
               help='Threads running, in each API process, the API '
                    'requests that may wait on something else than the '
                    'database: those that change things (POST, PUT, '
                    'DELETE), which may call a storage backend or the '
                    'message broker, and the reads that ask a backend (a '
                    'storage\'s capabilities). It bounds how many of them '
                    'run at once; a slow backend never holds up a read.'),
    cfg.IntOpt('api_page_threads', default=1, min=1,
               help='Threads running, in each API process, the reads of '
                    'pages of collections that may be large (volumes, '
                    'ports, disks and the other inventory lists, alerts, '
                    'a storage\'s jobs): milliseconds of work each, on a '
                    'lane of their own so that the quick reads dashboards '
                    'poll (a storage, the storage list) never queue behind '
                    'them.'),
    cfg.FloatOpt('api_client_timeout', default=30.0, min=0.1,
                 help='Seconds a client that has started a request has to '
                      'send its headers, and as many more for its body; a '
                      'slower client is disconnected (a late body is '
                      'answered 408). Idle keep-alive connections are '
                      'closed after as long. A connection that never sends '
                      'a byte is left open (it costs no request thread).'),
    cfg.FloatOpt('api_switch_interval', default=1.0, min=0.1, max=100.0,
                 help='Milliseconds a thread of a process serving the API '
                      'may run Python before another thread that waits '
                      'gets its turn (Python\'s switch interval, 5 by '
                      'default). Below 5, API requests wait less behind a '
                      'sync running in the same process (delfin-all), '
                      'at the cost of slightly more switching.'),
    cfg.IntOpt('api_backlog', default=1024, min=16,
               help='Length of the queue of connections the kernel keeps '
                    'for the API before they are accepted.'),
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
