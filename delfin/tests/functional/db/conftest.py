"""Database fixtures for the database tests (see delfin.tests.fixtures.db)."""
from delfin.tests.fixtures.db import *  # noqa: F401,F403
