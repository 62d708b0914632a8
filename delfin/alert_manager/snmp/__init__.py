"""SNMP on the wire: what a trap datagram is and who may send it.

* ``ber``: the BER codec for SNMP messages (v1, v2c and v3 framing).
* ``usm``: the SNMPv3 user-based security model (RFC 3414, 3826, 7860):
  localized keys, message authentication and privacy.
* ``decoder``: one datagram and its source address in, one `Trap` (or a
  rejection reason) out, checked against the configured `Credentials`.
"""
