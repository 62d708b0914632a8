"""``delfin-alert``: the SNMP trap listener and the alert pipeline.

Listening on the standard trap port 162 needs root or the
CAP_NET_BIND_SERVICE capability (see installer/systemd), or set
``trap_receiver_port`` above 1023.
"""
from delfin import cmd
from delfin import service


def main(argv=None):
    cmd.prepare(argv, prog='delfin-alert')
    cmd.exit_with(cmd.serve('delfin-alert', service.alert_components))


if __name__ == '__main__':
    main()
