"""The release's driver module (never adopted)."""
