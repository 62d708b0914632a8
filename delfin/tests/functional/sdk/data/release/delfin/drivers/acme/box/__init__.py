"""Acme Box arrays."""
