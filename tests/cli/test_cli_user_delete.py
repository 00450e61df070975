"""`authserver user delete`, `user reset-factors` and `user list --search/--status/
--after`: deleting takes everything of the user's with it (sessions ended and audited,
refresh and access tokens dead, consents and factors gone); a factor reset is the lost
device action; the list pages and filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from authserver.runtime import Runtime
from authserver.services import recovery_codes
from authserver.storage.models import (
    Consent,
    Grant,
    LoginSession,
    RecoveryCode,
    TotpCredential,
    User,
    WebAuthnCredential,
)
from tests.cli.support import Cli, ok, ok_json, refused
from tests.conftest import Clock
from tests.support.factors import Person, app_code, enrolment
from tests.support.oauth import World, build_world
from tests.support.tokens import (
    audit_events,
    expect_error,
    is_active,
    refresh,
    tenant_id,
    user_tokens,
)

T = ("--tenant", "acme")
OFFLINE = "openid profile email offline_access"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def user_id(runtime: Runtime, email: str = "ann@example.com") -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(User.id).where(User.email == email)) or 0)


def give_factors(runtime: Runtime, clock: Clock) -> int:
    """Ann gets an authenticator app, ten recovery codes, a passkey and a verified phone."""
    uid, tid = user_id(runtime), tenant_id(runtime)
    person = Person(None, tid, uid)  # type: ignore[arg-type]  # enrolment reads the ids only
    setup = enrolment(runtime, person).begin(uid, "test", clock())
    enrolment(runtime, person).confirm(uid, app_code(setup.secret, clock()), "test", clock())
    with runtime.database.unit_of_work() as uow:
        recovery_codes.generate(uow, tid, uid, "test", clock())
        uow.webauthn(tid).add(WebAuthnCredential(tenant_id=tid, user_id=uid,
                                                 credential_id=b"cred-1", public_key=b"k",
                                                 name="Phone"))
        user = uow.users(tid).by_id(uid)
        assert user is not None
        user.phone, user.phone_verified = "+15551234567", True
    return uid


def test_delete_removes_the_user_and_everything_of_theirs(
        cli: Cli, world: World, http: FlaskClient, runtime: Runtime, clock: Clock) -> None:
    tokens = user_tokens(http, world, scope=OFFLINE)
    uid = give_factors(runtime, clock)
    assert is_active(http, world, tokens.access_token)
    out = ok_json(cli("user", "delete", *T, "ann@example.com", "--json"))
    assert (out["sub"], out["email"]) == (world.user_sub, "ann@example.com")
    removed = out["removed"]
    assert removed["sessions_ended"] == 1 and removed["grants"] == 1, removed
    assert (removed["refresh_tokens"], removed["consents"], removed["totp"],
            removed["passkeys"], removed["recovery_codes"]) == (1, 1, 1, 1, 10), removed
    for model in (User, LoginSession, Grant, Consent, TotpCredential, WebAuthnCredential,
                  RecoveryCode):
        where = model.id == uid if model is User else model.user_id == uid
        assert count(runtime, model, where) == 0, f"{model.__name__} rows outlived the user"
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "the deleted user's refresh token")
    assert not is_active(http, world, tokens.access_token), \
        "the deleted user's access token must introspect inactive"
    (deleted,) = audit_events(runtime, "user.deleted")
    assert (deleted.actor, deleted.target) == ("cli", world.user_sub)
    ended = [e for e in audit_events(runtime, "session.ended")
             if (e.details or {}).get("reason") == "user_deleted"]
    assert len(ended) == 1, "the session must end through end_sessions, audited"
    refused(cli("user", "show", *T, "--sub", world.user_sub), "in this tenant")


def test_delete_by_sub_and_its_refusals(cli: Cli, world: World) -> None:
    refused(cli("user", "delete", *T), "name the user by EMAIL or --sub (exactly one)", 2)
    refused(cli("user", "delete", *T, "ann@example.com", "--sub", world.user_sub),
            "exactly one", 2)
    refused(cli("user", "delete", *T, "nobody@example.com"),
            "no user 'nobody@example.com' in this tenant")
    refused(cli("user", "delete", "--tenant", "nope", "--sub", world.user_sub), "nope")
    out = ok(cli("user", "delete", *T, "--sub", world.user_sub)).out
    assert out.startswith("deleted user ann@example.com (sub "), out
    refused(cli("user", "delete", *T, "--sub", world.user_sub), "in this tenant")


def test_reset_factors_removes_them_and_ends_what_a_lost_device_holds(
        cli: Cli, world: World, http: FlaskClient, runtime: Runtime, clock: Clock) -> None:
    tokens = user_tokens(http, world, scope=OFFLINE)
    uid = give_factors(runtime, clock)
    out = ok_json(cli("user", "reset-factors", *T, "ann@example.com", "--json"))
    assert {k: out["removed"][k] for k in ("totp", "passkeys", "recovery_codes",
                                           "phone_verification")} == {
        "totp": 1, "passkeys": 1, "recovery_codes": 10, "phone_verification": 1}
    assert out["removed"]["sessions_ended"] == 1 and out["removed"]["grants_revoked"] == 1
    for model in (TotpCredential, WebAuthnCredential, RecoveryCode):
        assert count(runtime, model, model.user_id == uid) == 0, model.__name__
    shown = ok_json(cli("user", "show", *T, "--email", "ann@example.com", "--json"))
    assert (shown["phone"], shown["phone_verified"], shown["password_set"]) == (
        "+15551234567", False, True), "the number and the password stay"
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "an offline refresh token held by the lost device")
    (event,) = audit_events(runtime, "user.factors_reset")
    assert event.target == world.user_sub and event.details["totp"] == 1
    again = ok_json(cli("user", "reset-factors", *T, "--sub", world.user_sub, "--json"))
    assert set(again["removed"].values()) == {0}, "a second reset finds nothing to remove"
    refused(cli("user", "reset-factors", *T), "exactly one", 2)
    refused(cli("user", "reset-factors", *T, "nobody@example.com"), "no user")


def test_disable_and_enable_by_sub(cli: Cli, world: World) -> None:
    assert ok(cli("user", "disable", *T, "--sub", world.user_sub)).out == \
        "disabled ann@example.com\n"
    assert ok_json(cli("user", "show", *T, "--sub", world.user_sub, "--json"))["disabled"]
    ok(cli("user", "enable", *T, "--sub", world.user_sub))
    refused(cli("user", "disable", *T), "exactly one", 2)


def test_list_searches_filters_and_pages(cli: Cli, world: World, tmp_path: Path) -> None:
    for email, name in (("bob@example.com", "Bob"), ("carol@other.test", "Carol"),
                        ("dan%x@example.com", "Dan")):
        ok(cli("user", "create", *T, "--email", email, "--given-name", name))
    (tmp_path / "ivy.csv").write_text("email\nivy@example.com\n")
    ok(cli("user", "import", *T, str(tmp_path / "ivy.csv")))  # invited (no sender: pending)
    ok(cli("user", "disable", *T, "--email", "bob@example.com"))

    def emails(*args: str) -> list[str]:
        return [v["email"] for v in ok_json(cli("user", "list", *T, "--json", *args))]

    assert emails("--search", "OTHER") == ["carol@other.test"]
    assert emails("--search", "car") == ["carol@other.test"], "names match too"
    assert emails("--search", "%") == ["dan%x@example.com"], "LIKE wildcards are literal"
    assert emails("--status", "disabled") == ["bob@example.com"]
    assert emails("--status", "invited") == ["ivy@example.com"]
    assert emails("--status", "active") == ["ann@example.com", "carol@other.test",
                                            "dan%x@example.com"]
    first = ok_json(cli("user", "list", *T, "--json", "--limit", "2"))
    assert [v["email"] for v in first] == ["ann@example.com", "bob@example.com"]
    assert emails("--limit", "2", "--after", first[-1]["sub"]) == [
        "carol@other.test", "dan%x@example.com"]
    refused(cli("user", "list", *T, "--after", "no-such-sub"), "no user")
    refused(cli("user", "list", *T, "--status", "gone"), "Invalid value", 2)
