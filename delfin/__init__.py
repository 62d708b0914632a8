"""Delfin: a storage infrastructure management service.

Operators register storage backends over a REST API; a plugin driver talks to
each backend; the service keeps the backend's inventory in SQL, collects
performance metrics and ingests alerts.
"""
