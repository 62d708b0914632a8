"""``delfin-task``: a task node (RPC endpoint, coordination membership and
periodic sync).

Several task nodes share the storages: give each a distinct ``[DEFAULT]
host``, a RabbitMQ ``transport_url`` and a Redis ``[coordination]
backend_url``.
"""
from oslo_log import log as logging

from delfin import cmd
from delfin import rpc
from delfin import service

LOG = logging.getLogger(__name__)


def main(argv=None):
    cmd.prepare(argv, prog='delfin-task')
    if rpc.is_in_process():
        LOG.warning("transport_url is in-process (fake://): this task node "
                    "receives nothing from other processes. Configure a "
                    "RabbitMQ transport_url, or run delfin-all")
    cmd.exit_with(cmd.serve('delfin-task', service.task_components))


if __name__ == '__main__':
    main()
