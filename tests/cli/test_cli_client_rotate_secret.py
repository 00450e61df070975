"""`authserver client rotate-secret`: the new secret is printed once, the old one keeps
working for --overlap (24h by default) at the token endpoint, `--overlap 0` ends it at
once, and what cannot be rotated is refused in one line."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused
from tests.conftest import Clock
from tests.support.tokens import TOKEN

ROTATE = ("client", "rotate-secret", "--tenant", "acme")


@pytest.fixture
def service(cli: Cli) -> dict[str, Any]:
    ok(cli("tenant", "create", "acme"))
    created: dict[str, Any] = ok_json(cli(
        "client", "create", "--tenant", "acme", "--name", "Service", "--client-id", "svc",
        "--grant-type", "client_credentials", "--scope", "stores:read", "--json"))
    return created


@pytest.fixture(autouse=True)
def server_clock_after_the_cli(clock: Clock) -> None:
    # The CLI stamps keys and overlaps with the wall clock, after the test's clock began.
    clock.advance(seconds=30)


def token_status(http: FlaskClient, secret: str) -> int:
    auth = base64.b64encode(f"svc:{secret}".encode()).decode()
    return http.post(TOKEN, data={"grant_type": "client_credentials"},
                     headers={"Authorization": f"Basic {auth}"}).status_code


def test_the_new_secret_is_printed_once_and_both_work_for_the_default_overlap(
        cli: Cli, service: dict[str, Any], http: FlaskClient, clock: Clock) -> None:
    result = ok(cli(*ROTATE, "svc"))
    lines = dict(line.split(":", 1) for line in result.out.splitlines() if ": " in line)
    new = lines["client_secret"].strip()
    assert len(new) >= 43 and new != service["client_secret"], result.out
    assert "the old secret works until" in result.out
    assert "shown only now" in result.out
    old = service["client_secret"]
    # The server's own clock runs from the test's start; the CLI's overlap from wall time.
    assert (token_status(http, old), token_status(http, new)) == (200, 200), \
        "both secrets must work during the overlap"
    clock.advance(hours=24, minutes=5)
    assert (token_status(http, old), token_status(http, new)) == (401, 200), \
        "after the 24h default overlap only the new secret works"


def test_overlap_0_ends_the_old_secret_at_once(cli: Cli, service: dict[str, Any],
                                               http: FlaskClient) -> None:
    view = ok_json(cli(*ROTATE, "svc", "--overlap", "0", "--json"))
    assert view["previous_secret_expires_at"] is None
    assert set(view) == {"client_id", "client_secret", "client_secret_expires_at",
                         "previous_secret_expires_at"}
    assert (token_status(http, service["client_secret"]),
            token_status(http, view["client_secret"])) == (401, 200)
    assert "the old secret no longer works" in ok(cli(*ROTATE, "svc", "--overlap", "0s")).out


def test_json_names_the_overlap_end_and_the_expiry(cli: Cli, service: dict[str, Any]) -> None:
    before = dt.datetime.now(dt.UTC)
    view = ok_json(cli(*ROTATE, "svc", "--overlap", "2h", "--expires-in", "90d", "--json"))
    ends = dt.datetime.fromisoformat(view["previous_secret_expires_at"])
    expires = dt.datetime.fromisoformat(view["client_secret_expires_at"])
    assert dt.timedelta(hours=2) <= ends - before < dt.timedelta(hours=2, minutes=1)
    assert dt.timedelta(days=90) <= expires - before < dt.timedelta(days=90, minutes=1)
    shown = ok_json(cli("client", "show", "--tenant", "acme", "svc", "--json"))
    assert shown["client_secret_expires_at"] == view["client_secret_expires_at"]
    assert shown["previous_secret_expires_at"] == view["previous_secret_expires_at"]
    assert "client_secret" not in shown, "show never prints a secret"


def test_the_rotation_is_audited_and_only_digests_are_stored(
        cli: Cli, service: dict[str, Any], database: Database) -> None:
    view = ok_json(cli(*ROTATE, "svc", "--json"))
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT secret_digest, previous_secret_digest FROM clients"
                                )).one()
        details = conn.execute(text("SELECT details FROM audit_events WHERE action = "
                                    "'client.secret_rotated'")).scalar_one()
    stored = f"{row} {details}"
    for secret in (view["client_secret"], service["client_secret"]):
        assert secret not in stored, "a secret must never be stored or audited"
    details = json.loads(details) if isinstance(details, str) else details
    assert details["overlap_seconds"] == 86400
    assert details["after"] == {"client_secret": "[redacted]"}


@pytest.mark.parametrize(("args", "message"), [
    (("--overlap", "-1h"), "Invalid value for '--overlap'"),
    (("--overlap", "soon"), "Invalid value for '--overlap'"),
    (("--expires-in", "0"), "Invalid value for '--expires-in'"),
])
def test_bad_durations_are_usage_errors(cli: Cli, service: dict[str, Any],
                                        args: tuple[str, ...], message: str) -> None:
    refused(cli(*ROTATE, "svc", *args), message, status=2)


def test_an_overlap_longer_than_30_days_is_refused(cli: Cli, service: dict[str, Any]) -> None:
    refused(cli(*ROTATE, "svc", "--overlap", "31d"), "overlap: must be at most 30 days")


def test_an_unknown_client_is_refused(cli: Cli, service: dict[str, Any]) -> None:
    refused(cli(*ROTATE, "nope"), "no client 'nope' in tenant 'acme'")


def test_a_public_client_has_no_secret_to_rotate(cli: Cli, service: dict[str, Any]) -> None:
    ok(cli("client", "create", "--tenant", "acme", "--name", "SPA", "--client-id", "spa",
           "--public", "--redirect-uri", "https://spa.example/cb"))
    refused(cli(*ROTATE, "spa"), "client 'spa' authenticates with none, not a client secret")
