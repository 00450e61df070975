"""`authserver consent revoke`: an unknown client is refused; nothing to revoke says so."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from authserver.services.consent import ConsentService
from authserver.storage.database import Database
from tests.cli.support import Cli, ok, refused

REVOKE = ("consent", "revoke", "--tenant", "acme", "--email", "ann@example.com")


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    ok(cli("client", "create", "--tenant", "acme", "--name", "Web", "--client-id", "web",
           "--redirect-uri", "https://app.example/cb"))
    ok(cli("user", "create", "--tenant", "acme", "--email", "ann@example.com"))


def ids(database: Database) -> tuple[int, int]:
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT tenant_id, id FROM users")).one()
    return int(row[0]), int(row[1])


def test_revoking_consent_for_an_unknown_client_is_refused(cli: Cli, acme: None) -> None:
    refused(cli(*REVOKE, "--client", "nope"), "no client 'nope' in tenant 'acme'")


def test_revoking_when_there_is_nothing_to_revoke_says_so_and_succeeds(
    cli: Cli, acme: None, database: Database
) -> None:
    # Exit 0: the state asked for holds, so a script making sure of it stays idempotent.
    assert ok(cli(*REVOKE, "--client", "web")).out == \
        "nothing to revoke: ann@example.com has no consent or grants for web\n"
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = "
                                 "'consent.revoked'")).scalar_one() == 0


def test_revoking_a_remembered_consent(cli: Cli, acme: None, database: Database,
                                       clock) -> None:  # type: ignore[no-untyped-def]
    tenant_id, user_id = ids(database)
    ConsentService(database, tenant_id).remember(user_id, "web", ["openid"], clock())
    assert ok(cli(*REVOKE, "--client", "web")).out == "consent withdrawn; 0 grant(s) revoked\n"
    assert ConsentService(database, tenant_id).granted(user_id, "web") == set()
    assert ok(cli(*REVOKE, "--client", "web")).out.startswith("nothing to revoke")
