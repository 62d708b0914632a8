"""[coordination] options: membership and partitioning among task nodes."""
from oslo_config import cfg

coordination_opts = [
    cfg.StrOpt('backend_url', default='file://$state_path/coordination',
               secret=True,
               help='tooz backend URL, e.g. redis://127.0.0.1:6379. The '
                    'default needs no server and suits a single node.'),
    cfg.IntOpt('heartbeat_interval', default=1, min=1,
               help='Seconds between two heartbeats to the backend.'),
    cfg.IntOpt('member_timeout', default=10, min=2,
               help='Seconds without a heartbeat after which a task node '
                    'is considered gone, its storages move to the other '
                    'nodes and its running sync jobs are taken over.'),
]


def register_opts(conf):
    conf.register_opts(coordination_opts, group='coordination')


def list_opts():
    return [('coordination', coordination_opts)]
