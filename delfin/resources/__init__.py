"""The resource registry: every kind of inventory object, described once."""
from delfin.resources.registry import (  # noqa: F401
    ALL_KINDS, Field, Kind, Relation, STORAGE, by_name, by_path,
    inventory_kinds, routed_kinds)
