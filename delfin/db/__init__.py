"""The database layer: engine, schema, migrations and the repository.

``delfin.db`` also offers the Delfin-compatible functions some drivers call
(``db.storage_get(context, storage_id)`` and friends), see `delfin.db.api`.
"""
from delfin.db.api import *  # noqa: F401,F403
