"""Shared fixtures: a real database (SQLite file, or PostgreSQL when
AUTHSERVER_TEST_DATABASE_URL is set), migrated once per session by Alembic and emptied
after every test; a controllable clock; the Flask app; and an in-process CLI runner."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services import deferred
from authserver.settings import Settings
from authserver.storage import migrate
from authserver.storage.database import Database
from authserver.storage.models import Base
from tests.support.databases import fresh_database_url
from tests.support.runtimes import make_app, make_runtime

MASTER_KEY = secrets.token_bytes(32)


class Clock:
    """A clock tests move by hand, so key lifecycles are checked without sleeping."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database_url(tmp_path_factory.mktemp("db")) as url:
        database = Database(url)
        migrate.upgrade(database)
        database.dispose()
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    # Work a request left for after its answer (services/deferred.py) finishes first, or
    # it would write into the next test's empty tables.
    deferred.wait_idle()
    # Empty every table so each test starts from the migrated, empty schema.
    with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, instance_path=tmp_path / "instance",
                    master_key=MASTER_KEY)


@pytest.fixture
def runtime(settings: Settings, database: Database, clock: Clock) -> Runtime:
    return make_runtime(settings, database, clock)


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return make_app(runtime)


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class CliResult:
    status: int
    out: str
    err: str


@pytest.fixture
def cli(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., CliResult]:
    """Run ``authserver ARGS`` in-process against the test database."""
    from authserver import cli as cli_module

    monkeypatch.setenv("AUTHSERVER_DATABASE_URL", database.url.render_as_string(False))
    monkeypatch.setenv("AUTHSERVER_MASTER_KEY", MASTER_KEY.hex())
    monkeypatch.setenv("AUTHSERVER_INSTANCE_PATH", str(settings.instance_path))

    def run(*args: str, stdin: str = "") -> CliResult:
        cli_module._runtime.cache_clear()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            cli_module.main(list(args))
            status = 0
        except SystemExit as exc:
            status = int(exc.code or 0)
        finally:
            cli_module._runtime.cache_clear()
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run
