"""The release's api module (never adopted)."""
