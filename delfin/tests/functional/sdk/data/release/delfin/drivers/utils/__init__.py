"""Shared helpers of the release (our core has its own)."""
