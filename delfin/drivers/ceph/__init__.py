"""Storage driver for ceph ceph backends.

`driver` maps the backend onto the service's driver contract, `client`
talks to the backend's REST API (or replays recorded answers from
`fixtures/`), and `mapping` translates the backend's words into the
service's constants.
"""
