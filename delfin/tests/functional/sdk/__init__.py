"""End-to-end tests of the driver SDK tools."""
