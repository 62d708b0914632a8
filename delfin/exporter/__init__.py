"""Exporters: plugins that pass what the service learns to other systems.

`delfin.exporter.alert` holds the alert exporters (stevedore namespace
``delfin.alert.exporters``).
"""
