"""Alembic environment: runs against the connection `authserver db upgrade` hands in,
or, for `alembic revision --autogenerate`, the database the settings name."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from authserver.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from authserver.settings import load_settings

    engine = create_engine(load_settings().database_url)
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
