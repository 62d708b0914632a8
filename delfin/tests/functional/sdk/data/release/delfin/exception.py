"""The release's exceptions (never adopted)."""


class DelfinException(Exception):
    pass
