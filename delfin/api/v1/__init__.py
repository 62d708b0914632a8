"""Version 1 of the REST API, wire-compatible with Delfin's v1."""
