"""The SNIA Swordfish storage driver: entry point ``"snia swordfish"``."""
from delfin.drivers.swordfish.driver import SwordfishDriver  # noqa: F401
