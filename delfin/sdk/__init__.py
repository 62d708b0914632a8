"""The driver SDK: tools that take a driver author from nothing to a
conformant driver with a test report.

`validation` holds the rules a driver's results must follow (all derived
from the resource registry and the constants), `conformance` runs a driver
through every interface and applies those rules, `report` renders the
outcome as Markdown and JSON, `scaffold` creates a new driver package,
`doctor` explains which drivers stevedore can see, `release` and `adopt`
repackage the vendor drivers of a Delfin release as a plugin, and `cli` is
the ``delfin-driver`` command that ties them together.
"""
