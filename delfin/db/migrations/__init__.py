"""Alembic migrations of the service's database schema.

`delfin.db.migration` runs them; ``versions/`` holds one script per schema
revision, the first of which creates every table.
"""
