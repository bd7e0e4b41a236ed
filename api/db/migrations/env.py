"""Alembic environment, driven in code by :func:`api.db.session.upgrade`.

The caller passes an open connection in ``config.attributes["connection"]`` (or an engine in
``config.attributes["engine"]``); there is no ``alembic.ini``. SQLite gets batch mode so that later
revisions can alter tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from api.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection (or a connection of the given engine)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine")
    if engine is None:
        from api.db.session import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
