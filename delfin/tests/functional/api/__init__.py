"""Tests of the REST API against the real application."""
