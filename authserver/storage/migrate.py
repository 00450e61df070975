"""Schema migrations: Alembic, driven from Python so operators only run `authserver db upgrade`."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from authserver.storage.database import Database

# migrations/ sits beside the package in the source tree (installs are editable).
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise RuntimeError(f"migrations not found at {MIGRATIONS_DIR}; install authserver with -e")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


# Any constant: serialises concurrent `db upgrade` runs against one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x61757468


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate; concurrent runs (several replicas starting) take turns, so the later ones
    find the schema at head and do nothing."""
    config = alembic_config()
    with _sqlite_lock(database), database.engine.connect() as connection:
        if database.dialect == "sqlite":
            # Batch mode rebuilds a table by dropping it; with foreign keys on, SQLite's
            # implicit DELETE of the old table would cascade to every row referencing it
            # (rebuilding tenants would empty users, clients, sessions ...). The pragma
            # only takes effect outside a transaction, hence before begin().
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if database.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                       {"k": _PG_MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if database.dialect == "sqlite":
                    _check_foreign_keys(connection)
        finally:
            if database.dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    """With the checks off during the migration, make sure it left no dangling reference
    (the transaction is rolled back if it did)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise RuntimeError(f"the migration left rows referencing missing rows in {tables}")


@contextmanager
def _sqlite_lock(database: Database) -> Iterator[None]:
    """SQLite has no advisory locks: an exclusive lock on a file beside the database."""
    path = database.url.database
    if database.dialect != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration; the scripts do not change while the process runs."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    # Alembic logs every context it configures at INFO; readiness probes would flood logs.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
