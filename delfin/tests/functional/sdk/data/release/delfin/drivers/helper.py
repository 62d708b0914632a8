"""The release's helper module (never adopted)."""
