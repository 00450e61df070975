"""Alembic migrations are the only source of the schema, and they agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from authserver.runtime import Runtime
from authserver.services.tenants import DEFAULT_TENANT
from authserver.storage import migrate
from authserver.storage.database import Database
from authserver.storage.models import Base
from authserver.storage.repositories import TenantRepository
from tests.support.databases import backend, fresh_database_url


def test_migration_head_matches_the_models(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database)
            with database.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree on {backend()}: {diff}"
            assert migrate.current_revision(database) == migrate.head_revision()
        finally:
            database.dispose()


def test_migrations_downgrade_to_nothing_and_back(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database)
            from alembic import command

            config = migrate.alembic_config()
            with database.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "base")
            tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
            assert tables == set(), f"downgrade left tables behind: {tables}"
            migrate.upgrade(database)
            assert set(Base.metadata.tables) <= set(inspect(database.engine).get_table_names())
        finally:
            database.dispose()


def test_concurrent_upgrades_of_a_fresh_database_take_turns(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from sqlalchemy import text

    from tests.conftest import MASTER_KEY

    with fresh_database_url(tmp_path) as url:
        env = {**os.environ, "AUTHSERVER_DATABASE_URL": url,
               "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(), "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
        runs = [subprocess.Popen([sys.executable, "-m", "authserver.cli", "db", "upgrade"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(4)]
        results = [(run.wait(timeout=120), run.stderr.read().decode()) for run in runs]
        for run in runs:
            run.stdout.close()
            run.stderr.close()
        assert all(status == 0 for status, _ in results), \
            f"every concurrent db upgrade must succeed: {results}"
        database = Database(url)
        try:
            with database.engine.connect() as conn:
                count = conn.execute(text("SELECT count(*) FROM tenants")).scalar_one()
            assert count == 1, "exactly one default tenant"
            assert migrate.current_revision(database) == migrate.head_revision()
        finally:
            database.dispose()


def test_the_default_tenant_made_by_another_upgrade_in_between_is_not_an_error(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deterministic form of the race the concurrent test above hits now and then on
    # PostgreSQL: another `db upgrade` commits the default tenant after this one looked
    # it up and before create_tenant's own existence check.
    from authserver import runtime as runtime_module
    from authserver.services import tenants as tenants_module

    real_create = tenants_module.create_tenant
    calls = []

    def another_upgrade_commits_first(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        with runtime.database.session() as other:
            real_create(other, *args, **kwargs)
        return real_create(session, *args, **kwargs)

    monkeypatch.setattr(tenants_module, "create_tenant", another_upgrade_commits_first)
    assert runtime_module.ensure_default_tenant(runtime, "test") is False, \
        "a default tenant created by someone else meanwhile means this run created none"
    assert calls, "the race was not reached: the default tenant existed before the test"
    with runtime.database.session() as session:
        assert TenantRepository(session).by_slug(DEFAULT_TENANT) is not None


def test_upgrading_keeps_every_row_of_an_existing_database(tmp_path: Path) -> None:
    """Later migrations rebuild tables on SQLite (batch mode); with foreign keys on, the
    rebuild of ``tenants`` would cascade-delete every user, client and session. An
    operator's upgrade must keep them all."""
    import datetime as dt

    from sqlalchemy import text

    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database, "0011")
            now = dt.datetime(2026, 12, 1)
            with database.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO tenants (slug, display_name, wrapped_data_key, "
                    "master_key_id, created_at) VALUES ('old', 'Old', :k, 'm', :n)"),
                    {"k": b"wrapped", "n": now})
                tenant = conn.execute(text("SELECT id FROM tenants")).scalar_one()
                conn.execute(text(
                    "INSERT INTO users (tenant_id, sub, email, email_verified, "
                    "phone_verified, disabled, created_at, updated_at) VALUES "
                    "(:t, 'sub-1', 'ann@example.com', true, false, false, :n, :n)"),
                    {"t": tenant, "n": now})
                conn.execute(text(
                    "INSERT INTO clients (tenant_id, client_id, name, is_public, "
                    "token_endpoint_auth_method, grant_types, redirect_uris, "
                    "post_logout_redirect_uris, allowed_scopes, first_party, require_pkce, "
                    "require_state, id_token_signed_response_alg, created_at, updated_at) "
                    "VALUES (:t, 'web', 'Web', false, 'client_secret_basic', '[]', '[]', "
                    "'[]', '[]', false, true, true, 'RS256', :n, :n)"), {"t": tenant, "n": now})
            migrate.upgrade(database)
            with database.engine.connect() as conn:
                counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                          for table in ("tenants", "users", "clients")}
                enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar() \
                    if database.dialect == "sqlite" else 1
            assert counts == {"tenants": 1, "users": 1, "clients": 1}, \
                f"the upgrade lost rows on {backend()}: {counts}"
            assert enforced == 1, "foreign keys must be enforced again after the upgrade"
        finally:
            database.dispose()
