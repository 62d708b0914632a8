"""Database fixtures of the task manager tests (delfin.tests.fixtures.db)."""
from delfin.tests.fixtures.db import *  # noqa: F401,F403
