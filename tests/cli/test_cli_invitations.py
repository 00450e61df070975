"""`authserver user create --invite` and `user invite`: the invitation goes out by the
configured SMTP sender (a real aiosmtpd sink here) with a link to the tenant's invitation
page, `--json` says whether it was delivered, and re-inviting replaces the link; plus
`client create|update --explicit-errors`."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authserver.runtime import Runtime
from authserver.services.account_policy import PasswordRules
from authserver.services.invitations import Invitations
from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused
from tests.cli.test_cli_users import audited, stored
from tests.support.mail_sink import MailSink

T = ("--tenant", "acme")
IVY = "ivy@example.com"
LINK = re.compile(r"(https?://\S+/t/acme/invitation\?token=([\w\-]+))")


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        for name, value in running.environ().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def token_of(sink: MailSink) -> str:
    text = str(sink.wait_for(IVY).message.get_content())
    found = LINK.search(text)
    assert found, f"the invitation must carry a link to the invitation page: {text!r}"
    return found.group(2)


def works(runtime: Runtime, token: str) -> bool:
    """Whether the accept page would show its form for ``token``."""
    tenant = runtime.tenants.find("acme")
    assert tenant is not None
    invitations = Invitations(runtime.database, runtime.passwords, tenant.id, PasswordRules())
    return invitations.invitee(token, runtime.clock()) is not None


def test_create_invite_mails_a_link_and_says_so_in_json(cli: Cli, acme: None, sink: MailSink,
                                                        database: Database,
                                                        runtime: Runtime) -> None:
    out = ok_json(cli("user", "create", *T, "--email", IVY, "--given-name", "Ivy", "--invite",
                      "--json"))
    assert set(out) == {"sub", "email", "password_set", "invitation"}
    assert (out["email"], out["password_set"]) == (IVY, False)
    assert out["invitation"]["sent"] is True and out["invitation"]["problem"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*\+00:00", out["invitation"]["expires_at"])
    received = sink.wait_for(IVY)
    text = str(received.message.get_content())
    assert "http://127.0.0.1:8000/t/acme/invitation?token=" in text, text
    shown = cli("user", "show", *T, "--email", IVY, "--json").out
    assert "token" not in shown and json.loads(shown)["invitation_pending"] is True
    assert works(runtime, token_of(sink))
    assert (stored(database, "password_hash", out["sub"]),
            stored(database, "verification_required", out["sub"])) == (None, True)
    assert audited(database, "user.invited") == 1


def test_create_invite_human_output(cli: Cli, acme: None, sink: MailSink) -> None:
    out = ok(cli("user", "create", *T, "--email", IVY, "--invite")).out
    assert re.fullmatch(rf"invited {IVY} \(sub [\w\-]+\): the link works until "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00\n", out), out


def test_user_invite_sends_a_fresh_link_and_the_old_one_stops_working(
        cli: Cli, acme: None, sink: MailSink, runtime: Runtime) -> None:
    ok(cli("user", "create", *T, "--email", IVY, "--invite"))
    first = token_of(sink)
    sink.clear()
    again = ok_json(cli("user", "invite", *T, "--email", IVY, "--json"))
    assert again["invitation"]["sent"] is True
    second = token_of(sink)
    assert first != second
    assert (works(runtime, first), works(runtime, second)) == (False, True), \
        "only the newest invitation link works"
    # A user created earlier without a password can be invited the same way.
    ok(cli("user", "create", *T, "--email", "old@example.com"))
    ok(cli("user", "invite", *T, "--email", "old@example.com"))
    assert sink.wait_for("old@example.com")


def test_refusals(cli: Cli, acme: None, sink: MailSink) -> None:
    refused(cli("user", "create", *T, "--email", IVY, "--invite", "--password-stdin",
                stdin="a long passphrase 42\n"), "--invite: the invited person chooses", 2)
    refused(cli("user", "create", *T, "--email", IVY, "--invite", "--email-verified"),
            "leave out --password-stdin and --email-verified", 2)
    ok(cli("user", "create", *T, "--email", "pw@example.com", "--password-stdin",
           stdin="correct horse battery staple\n"))
    refused(cli("user", "invite", *T, "--email", "pw@example.com"),
            "pw@example.com already has a password")
    refused(cli("user", "invite", *T, "--email", "nobody@example.com"),
            "no user 'nobody@example.com' in this tenant")
    refused(cli("user", "invite", *T), "name the user with --email or --sub (exactly one)", 2)
    ok(cli("user", "create", *T, "--email", IVY, "--invite"))
    refused(cli("user", "create", *T, "--email", IVY, "--invite"),
            f"a user with email {IVY} already exists in this tenant")
    ok(cli("user", "disable", *T, "--email", IVY))
    refused(cli("user", "invite", *T, "--email", IVY), f"{IVY} is disabled")


def test_an_undelivered_invitation_exits_1_and_says_how_to_resend(
        cli: Cli, acme: None, monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AUTHSERVER_EMAIL_SENDER", "smtp")
    monkeypatch.setenv("AUTHSERVER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("AUTHSERVER_EMAIL_FROM", "id@example.com")
    result = cli("user", "create", *T, "--email", IVY, "--invite", "--json")
    assert result.status == 1, result
    out: dict[str, Any] = json.loads(result.out)
    assert out["invitation"]["sent"] is False and out["invitation"]["problem"], out
    assert "the invitation mail was not delivered" in result.err
    assert f"authserver user invite --tenant acme --email {IVY}" in result.err
    assert audited(database, "notification.send_failed") == 1
    assert ok_json(cli("user", "show", *T, "--email", IVY, "--json"))["password_set"] is False


# --- client --explicit-errors ---------------------------------------------------------------


def test_client_explicit_errors_on_create_and_update(cli: Cli, acme: None,
                                                     database: Database) -> None:
    base = ("client", "create", *T, "--name", "App", "--redirect-uri", "https://app.example/cb")
    plain = ok_json(cli(*base, "--json"))
    shown = ok_json(cli("client", "show", *T, plain["client_id"], "--json"))
    assert shown["explicit_errors"] is False, "explicit errors are off by default"
    granted = ok_json(cli(*base, "--explicit-errors", "--json"))
    assert ok_json(cli("client", "show", *T, granted["client_id"],
                       "--json"))["explicit_errors"] is True
    on = ok_json(cli("client", "update", *T, plain["client_id"], "--explicit-errors", "on",
                     "--json"))
    assert (on["explicit_errors"], on["changed"]) == (True, ["explicit_errors"])
    again = ok_json(cli("client", "update", *T, plain["client_id"], "--explicit-errors", "on",
                        "--json"))
    assert again["changed"] == [], "setting the same value changes nothing"
    off = ok_json(cli("client", "update", *T, plain["client_id"], "--explicit-errors", "off",
                      "--json"))
    assert (off["explicit_errors"], off["changed"]) == (False, ["explicit_errors"])
    assert audited(database, "client.updated") == 2


def test_client_explicit_errors_refusals(cli: Cli, acme: None) -> None:
    spa = ok_json(cli("client", "create", *T, "--name", "SPA", "--public", "--redirect-uri",
                      "https://spa.example/cb", "--json"))
    refused(cli("client", "update", *T, spa["client_id"], "--explicit-errors", "on"),
            "explicit_errors: only a confidential client with a client secret")
    refused(cli("client", "create", *T, "--name", "SPA2", "--public", "--redirect-uri",
                "https://spa.example/cb", "--explicit-errors"),
            "explicit_errors: only a confidential client with a client secret")
    refused(cli("client", "update", *T, spa["client_id"], "--explicit-errors", "yes"),
            "Invalid value for '--explicit-errors'", 2)


def test_the_sign_up_api_honours_the_grant_the_cli_gives_and_takes_back(
        cli: Cli, acme: None, http: Any) -> None:
    ok(cli("tenant", "update", "acme", "--signup", "on"))
    ok(cli("user", "create", *T, "--email", "taken@example.com"))
    app = ok_json(cli("client", "create", *T, "--name", "App", "--redirect-uri",
                      "https://app.example/cb", "--explicit-errors", "--json"))
    body = {"email": "taken@example.com", "password": "a long and unusual passphrase 42"}
    auth = (app["client_id"], app["client_secret"])
    told = http.post("/t/acme/api/v1/signup", json=body, auth=auth)
    assert (told.status_code, told.get_json()) == (
        409, {"error": "email_taken", "error_code": "AUTH-2006"}), \
        "a client granted explicit errors must hear the precise reason"
    ok(cli("client", "update", *T, app["client_id"], "--explicit-errors", "off"))
    public = http.post("/t/acme/api/v1/signup", json=body, auth=auth)
    assert (public.status_code, public.get_json()) == (202, {"status": "verification_sent"}), \
        "once withdrawn, the client gets the public answer at once"
