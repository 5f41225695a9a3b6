"""Alembic environment: run on the connection the hub hands over (``config.attributes["connection"]``).

Developers generating a new revision without a connection get the hub's configured database instead.
"""

from __future__ import annotations

from alembic import context

from mailhub.store.models import Base

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables when a later migration needs it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from mailhub.settings import load_settings
    from mailhub.store.engine import create_store_engine

    engine = create_store_engine(load_settings().db_url())
    with engine.connect() as own_connection:
        _run(own_connection)
        own_connection.commit()
