"""Tests of the release (never adopted)."""
