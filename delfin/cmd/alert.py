"""``delfin-alert``: the SNMP trap listener and the alert pipeline.

Listening on the standard trap port 162 needs root or the
CAP_NET_BIND_SERVICE capability (see installer/systemd), or set
``trap_receiver_port`` above 1023.
"""
from oslo_log import log as logging

from delfin import cmd
from delfin import rpc
from delfin import service

LOG = logging.getLogger(__name__)


def main(argv=None):
    cmd.prepare(argv, prog='delfin-alert')
    if rpc.is_in_process():
        LOG.warning("transport_url is in-process (fake://): alert polls "
                    "asked for here reach no task node. Configure a "
                    "RabbitMQ transport_url, or run delfin-all")
    cmd.exit_with(cmd.serve('delfin-alert', service.alert_components))


if __name__ == '__main__':
    main()
