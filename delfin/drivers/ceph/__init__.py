"""Storage driver for Ceph clusters, through the manager's REST API.

`driver` maps the cluster onto the service's driver contract, `client`
talks to the manager's dashboard REST API (or replays answers recorded
from a cluster in `fixtures/`), and `mapping` translates Ceph's words into
the service's constants.  `README.md` says what maps to what.
"""
