"""``delfin-api``: the REST API alone.

It hands work to task nodes over the RPC transport, so it needs a shared
``transport_url`` (RabbitMQ) and database; with the in-process default it
can only answer from the database, which is what ``delfin-all`` is for.
"""
from oslo_log import log as logging

from delfin import cmd
from delfin import rpc
from delfin import service

LOG = logging.getLogger(__name__)


def main(argv=None):
    cmd.prepare(argv, prog='delfin-api')
    if rpc.is_in_process():
        LOG.warning("transport_url is in-process (fake://): syncs requested "
                    "here reach no task node. Configure a RabbitMQ "
                    "transport_url, or run delfin-all")
    cmd.exit_with(cmd.serve('delfin-api', service.api_components))


if __name__ == '__main__':
    main()
