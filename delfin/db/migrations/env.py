"""The Alembic environment: which database and which metadata.

The connection comes from `delfin.db.migration` (``config.attributes``),
from ``-x url=...`` on the alembic command line, or else from the service's
engine (``[database] connection``).  Autogenerate compares against
`delfin.db.schema.metadata`.
"""
from alembic import context

from delfin.db import engine as db_engine
from delfin.db import schema

config = context.config
target_metadata = schema.metadata


def _configure(**kwargs):
    context.configure(target_metadata=target_metadata, compare_type=True,
                      **kwargs)


def _run_offline():
    url = context.get_x_argument(as_dictionary=True).get('url')
    _configure(url=url or str(db_engine.get_engine().url),
               literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection):
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _run_online():
    connection = config.attributes.get('connection')
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get('url')
    engine = db_engine.create_engine(url) if url else db_engine.get_engine()
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        if url:
            engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
