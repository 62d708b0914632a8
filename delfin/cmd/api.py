"""``delfin-api``: the REST API alone.

It hands work to task nodes over the RPC transport, so it needs a shared
``transport_url`` (RabbitMQ) and database; with the in-process default it
can only answer from the database, which is what ``delfin-all`` is for.

With ``delfin_workers`` above 1 this process only supervises: it runs that
many API processes on the one port (`delfin.service.ApiWorkers`), each
``delfin-api`` again with the same arguments.
"""
import os
import sys

from oslo_config import cfg
from oslo_log import log as logging

from delfin import cmd
from delfin import rpc
from delfin import service

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def worker_command(argv):
    """The command line of one API worker."""
    return [sys.executable, '-m', 'delfin.cmd.api'] + list(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    cmd.prepare(argv, prog='delfin-api')
    worker = os.environ.get(service.ApiWorkers.WORKER_ENV)
    if worker is not None:
        cmd.exit_with(cmd.serve('delfin-api worker %s' % worker,
                                service.api_worker_components))
    if rpc.is_in_process():
        LOG.warning("transport_url is in-process (fake://): syncs requested "
                    "here reach no task node. Configure a RabbitMQ "
                    "transport_url, or run delfin-all")
    if CONF.delfin_workers > 1:
        cmd.exit_with(cmd.serve('delfin-api', lambda: [
            service.ApiWorkers(worker_command(argv))]))
    cmd.exit_with(cmd.serve('delfin-api', service.api_components))


if __name__ == '__main__':
    main()
