"""The release's own core (never adopted)."""
