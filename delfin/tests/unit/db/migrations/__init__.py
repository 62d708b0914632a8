"""Tests of the schema migrations."""
