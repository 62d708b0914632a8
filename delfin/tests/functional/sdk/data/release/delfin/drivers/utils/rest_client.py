"""The release's REST client (our core has its own)."""
