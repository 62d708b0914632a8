"""Fixtures of the alert pipeline tests: the database fixtures on every
backend (see delfin.tests.fixtures.db)."""
from delfin.tests.fixtures.db import *  # noqa: F401,F403
