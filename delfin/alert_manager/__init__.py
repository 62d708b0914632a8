"""The alert pipeline: SNMP notifications in, alerts out.

``snmp`` holds the wire layer (BER codec, the SNMPv3 user-based security
model and the datagram-to-`Trap` decoder); ``listener`` is the UDP component
that receives datagrams, decodes them on spare cores and hands accepted traps
in batches to whoever stores them.

Behind it: ``sources`` turns the alert sources (snmp-config) into the
listener's credentials and keeps them current; ``processor`` maps each trap
to its storage and the storage driver's ``parse_alert``; ``store`` keeps
alerts in SQL with de-duplication and an open/cleared state; ``poller``
reconciles the store with a storage's own alert list; ``metrics`` reports
all of it to Prometheus; ``service`` assembles the pipeline as the
component of ``delfin-alert`` and ``delfin-all``.  Alert changes leave
through the exporters of `delfin.exporter.alert`.
"""
