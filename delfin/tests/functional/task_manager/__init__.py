"""Sync engine, sync job and scheduler tests on every database."""
