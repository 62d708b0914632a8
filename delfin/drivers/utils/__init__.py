"""Helpers shared by drivers: REST and SSH clients to backends and the
text, time and capacity conversions of ``tools.Tools``."""
