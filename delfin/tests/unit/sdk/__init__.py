"""Tests of the driver SDK."""
