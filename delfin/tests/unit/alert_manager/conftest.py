"""Fixtures of the alert pipeline unit tests (database fixtures, see
delfin.tests.fixtures.db)."""
from delfin.tests.fixtures.db import *  # noqa: F401,F403
