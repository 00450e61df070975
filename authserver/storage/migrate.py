"""Schema migrations: Alembic, driven from Python so operators only run `authserver db upgrade`."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from authserver.storage.database import Database

# migrations/ sits beside the package in the source tree (installs are editable).
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise RuntimeError(f"migrations not found at {MIGRATIONS_DIR}; install authserver with -e")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration; the scripts do not change while the process runs."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    # Alembic logs every context it configures at INFO; readiness probes would flood logs.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
