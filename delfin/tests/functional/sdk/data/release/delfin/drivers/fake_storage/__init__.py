"""The release's fake driver (our core has its own)."""
