"""Fresh, empty databases for a test session: an SQLite file, or a new PostgreSQL
database created on the server AUTHSERVER_TEST_DATABASE_URL names and dropped after."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "AUTHSERVER_TEST_DATABASE_URL"


def backend() -> str:
    return "postgresql" if os.environ.get(PG_ENV) else "sqlite"


@contextmanager
def fresh_database_url(folder: Path) -> Iterator[str]:
    server_url = os.environ.get(PG_ENV)
    if not server_url:
        yield f"sqlite:///{folder / 'authserver-test.db'}"
        return
    server = make_url(server_url)
    name = f"authserver_test_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
