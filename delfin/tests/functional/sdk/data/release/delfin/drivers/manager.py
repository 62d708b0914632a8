"""The release's manager module (never adopted)."""
