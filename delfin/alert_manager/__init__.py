"""The alert pipeline: SNMP notifications in, alerts out.

``snmp`` holds the wire layer (BER codec, the SNMPv3 user-based security
model and the datagram-to-`Trap` decoder); ``listener`` is the UDP component
that receives datagrams, decodes them on spare cores and hands accepted traps
in batches to whoever stores them.
"""
