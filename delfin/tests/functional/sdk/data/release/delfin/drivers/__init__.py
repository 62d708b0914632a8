"""The release's driver framework (never adopted)."""
