"""Fixtures of the telemetry tests: the databases of the shared fixtures."""
from delfin.tests.fixtures.db import *  # noqa: F401,F403
