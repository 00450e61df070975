"""`authserver session list|end` for operators and `user update --single-session`:
sessions listed with device, address and times but never a token digest; ended by sid
or by user (reason ``admin``, actor ``cli``, audited); clear refusals for unknown
names, ambiguous requests and hostile input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from authserver.services.sessions import Browser, SessionService
from authserver.storage.database import Database
from authserver.storage.models import AuditEvent, LoginSession, Tenant, User
from tests.cli.support import Cli, ok, ok_json, refused

T = ("--tenant", "acme")
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/130.0.0.0 Safari/537.36")


@pytest.fixture
def people(cli: Cli) -> dict[str, Any]:
    ok(cli("tenant", "create", "acme"))
    ok(cli("tenant", "create", "other"))
    return {email: ok_json(cli("user", "create", *T, "--email", email, "--json"))
            for email in ("ann@example.com", "bob@example.com")}


def start(database: Database, email: str, user_agent: str | None = CHROME,
          ip: str = "203.0.113.7", slug: str = "acme") -> str:
    """A session started the way the sign-in pages start one; returns its sid."""
    with database.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        user = session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                 User.email == email))
        tenant_id, user_id = tenant.id, user.id
    service = SessionService(database, tenant_id, 1800, 12 * 3600)
    return service.start(user_id, ["pwd"], "1", dt.datetime.now(dt.UTC),
                         browser=Browser(user_agent, ip))[1]


def row(database: Database, sid: str) -> LoginSession:
    with database.session() as session:
        return session.scalar(select(LoginSession).where(LoginSession.sid == sid))


def test_session_list_shows_device_address_and_times_never_a_digest(
        cli: Cli, database: Database, people: dict[str, Any]) -> None:
    ann = start(database, "ann@example.com")
    bob = start(database, "bob@example.com", user_agent="\x1b[31mevil\x07", ip="192.0.2.1")
    listed = ok_json(cli("session", "list", *T, "--json"))
    assert [v["sid"] for v in listed] == [bob, ann], "most recently seen first"
    first = next(v for v in listed if v["sid"] == ann)
    assert first["email"] == "ann@example.com" and first["sub"] == people[
        "ann@example.com"]["sub"]
    assert first["device"] == "Chrome 130 on Linux" and first["ip"] == "203.0.113.7"
    assert first["signed_in_at"] and first["last_seen_at"] and first["amr"] == ["pwd"]
    human = ok(cli("session", "list", *T, "--email", "ann@example.com")).out
    assert ann in human and bob not in human and "Chrome 130 on Linux" in human
    everything = ok(cli("session", "list", *T)).out + ok(cli("session", "list", *T,
                                                             "--json")).out
    for sid in (ann, bob):
        assert row(database, sid).token_digest not in everything, "never a token digest"
    assert "\x1b" not in everything and "\x07" not in everything, \
        "control characters a client sent never reach the operator's terminal"
    by_sub = ok_json(cli("session", "list", *T, "--sub", people["bob@example.com"]["sub"],
                         "--json"))
    assert [v["sid"] for v in by_sub] == [bob]


def test_session_list_of_a_user_without_sessions_says_so(cli: Cli,
                                                         people: dict[str, Any]) -> None:
    assert ok(cli("session", "list", *T, "--email", "ann@example.com")).out.strip() == \
        "no live sessions"
    assert ok_json(cli("session", "list", *T, "--json")) == []


def test_session_end_by_sid_ends_it_as_admin_and_audits_it(
        cli: Cli, database: Database, people: dict[str, Any]) -> None:
    sid = start(database, "ann@example.com")
    other = start(database, "ann@example.com")
    out = ok_json(cli("session", "end", *T, "--sid", sid, "--json"))
    assert out == {"email": "ann@example.com", "ended": [sid]}
    ended = row(database, sid)
    assert ended.ended_at is not None and ended.ended_reason == "admin"
    assert row(database, other).ended_at is None
    with database.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "session.ended", AuditEvent.target == sid))
        assert event.actor == "cli" and event.details.get("reason") == "admin"
    refused(cli("session", "end", *T, "--sid", sid), "no open session")


def test_session_end_by_email_needs_all_when_there_is_more_than_one(
        cli: Cli, database: Database, people: dict[str, Any]) -> None:
    one, two = start(database, "ann@example.com"), start(database, "ann@example.com")
    bob = start(database, "bob@example.com")
    refused(cli("session", "end", *T, "--email", "ann@example.com"),
            "ann@example.com has 2 open sessions: name one with --sid, or end them all "
            "with --all")
    assert row(database, one).ended_at is None, "a refusal ends nothing"
    out = ok(cli("session", "end", *T, "--email", "ann@example.com", "--all")).out
    assert out.strip() == "ended 2 sessions of ann@example.com"
    assert row(database, one).ended_reason == row(database, two).ended_reason == "admin"
    assert row(database, bob).ended_at is None
    assert ok(cli("session", "end", *T, "--email", "ann@example.com")).out.strip() == \
        "ann@example.com had no open session"
    single = ok_json(cli("session", "end", *T, "--sub", people["bob@example.com"]["sub"],
                         "--json"))
    assert single == {"email": "bob@example.com", "ended": [bob]}


def test_a_session_of_another_tenant_cannot_be_ended_from_this_one(
        cli: Cli, database: Database, people: dict[str, Any]) -> None:
    ok(cli("user", "create", "--tenant", "other", "--email", "ann@example.com"))
    theirs = start(database, "ann@example.com", slug="other")
    refused(cli("session", "end", *T, "--sid", theirs), "no open session")
    assert row(database, theirs).ended_at is None


@pytest.mark.parametrize(("args", "fragment", "status"), [
    ((), "name the session with --sid, or the user with --email or --sub", 2),
    (("--sid", "x", "--email", "ann@example.com"), "exactly one", 2),
    (("--sid", "x", "--all"), "--all goes with --email or --sub", 2),
    (("--sid", "x" * 10_000), "sid: a session id is 1-64 characters", 1),
    (("--sid", "' OR 1=1 --"), "no open session", 1),
    (("--email", "nobody@example.com"), "no user", 1),
])
def test_session_end_refuses_clearly(cli: Cli, people: dict[str, Any], args: tuple[str, ...],
                                     fragment: str, status: int) -> None:
    refused(cli("session", "end", *T, *args), fragment, status)


def test_session_commands_refuse_an_unknown_tenant_or_user(cli: Cli,
                                                           people: dict[str, Any]) -> None:
    refused(cli("session", "list", "--tenant", "nope"), "no tenant 'nope'")
    refused(cli("session", "list", *T, "--email", "nobody@example.com"), "no user")
    refused(cli("session", "list", *T, "--email", "a@b.c", "--sub", "x"), "not both", 2)


def test_user_update_single_session_on_off_default(cli: Cli, database: Database,
                                                   people: dict[str, Any]) -> None:
    def setting() -> bool | None:
        with database.session() as session:
            return session.scalar(select(User.single_session).where(
                User.email == "ann@example.com"))

    for value, stored in (("on", True), ("off", False), ("default", None)):
        view = ok_json(cli("user", "update", *T, "--email", "ann@example.com",
                           "--single-session", value, "--json"))
        assert setting() is stored and view["single_session"] is stored, value
        assert view["changed"] == ["single_session"], view
    again = ok(cli("user", "update", *T, "--email", "ann@example.com",
                   "--single-session", "default")).out
    assert "nothing changed" in again
    refused(cli("user", "update", *T, "--email", "ann@example.com", "--single-session",
                "maybe"), "'maybe' is not one of 'on', 'off', 'default'", 2)
    shown = ok_json(cli("user", "show", *T, "--email", "ann@example.com", "--json"))
    assert shown["single_session"] is None
