"""Vendor Acme."""
