"""Disabling a user revokes what they were issued; enabling them again revives none of it.

SECURITY.md ("disabling a user ends their sessions and refresh tokens"), RFC 9700 §4.14.
Without this, `user enable` brought back every `offline_access` refresh token and every
unexpired access token issued before `user disable`, because the disabled flag was only
checked live. The operator's commands are run as an operator would run them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from authserver.protocol.ports import UserRecord
from authserver.runtime import Runtime
from authserver.services.consent import ConsentService
from authserver.storage.models import Grant
from authserver.storage.repositories import UserRepository
from tests.conftest import CliResult
from tests.support.oauth import World, build_world, exchange
from tests.support.tokens import (
    audit_events,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    is_active,
    refresh,
    tenant_id,
    user_code,
    user_tokens,
    userinfo,
)

OFFLINE = "openid profile email offline_access"
Cli = Callable[..., CliResult]


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def disable_then_enable(cli: Cli, email: str) -> None:
    for command in ("disable", "enable"):
        result = cli("user", command, "--tenant", "acme", "--email", email)
        assert result.status == 0, f"user {command}: {result.err}"


def test_an_offline_refresh_token_stays_dead_after_enable(
    cli: Cli, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope=OFFLINE)
    disable_then_enable(cli, world.user_email)
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "an offline_access refresh token issued before the disable")


def test_an_online_refresh_token_stays_dead_after_enable(
    cli: Cli, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    disable_then_enable(cli, world.user_email)
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "a session-bound refresh token issued before the disable")


def test_an_access_token_from_before_the_disable_stays_inactive_after_enable(
    cli: Cli, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope=OFFLINE)
    assert is_active(http, world, tokens.access_token), "the token works before the disable"
    disable_then_enable(cli, world.user_email)
    assert not is_active(http, world, tokens.access_token), (
        "introspection: an access token issued before `user disable` revived by `user enable`")
    response = userinfo(http, tokens.access_token)
    assert response.status_code == 401, f"userinfo after disable/enable: {describe(response)}"
    assert 'error="invalid_token"' in response.headers.get("WWW-Authenticate", ""), (
        response.headers.get("WWW-Authenticate"))
    assert not is_active(http, world, tokens.refresh_token), (
        "introspection of the old refresh token after disable/enable")


def test_a_code_issued_before_the_disable_cannot_be_redeemed_after_enable(
    cli: Cli, world: World, http: FlaskClient
) -> None:
    code, verifier, request = user_code(http, world)
    disable_then_enable(cli, world.user_email)
    expect_error(exchange(http, code, verifier, world.web_id, world.web_secret,
                          redirect_uri=request["redirect_uri"]), 400, "invalid_grant",
                 "an authorization code issued before the disable")


def test_signing_in_again_after_enable_works_and_consent_is_kept(
    cli: Cli, runtime: Runtime, world: World, http: FlaskClient
) -> None:
    old = user_tokens(http, world, scope=OFFLINE)
    disable_then_enable(cli, world.user_email)
    # The old session cookie is still in this browser: the flow must sign in afresh.
    new = user_tokens(http, world, scope=OFFLINE)
    assert new.body["id_token"] != old.body["id_token"]
    assert is_active(http, world, new.access_token), "a token issued after enable is active"
    assert userinfo(http, new.access_token).status_code == 200
    expect_tokens(refresh(http, new.refresh_token, world.web_id, world.web_secret),
                  "a refresh token issued after enable")
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        user = UserRepository(session, tid).by_email(world.user_email)
        assert user is not None
        user_id = user.id
    granted = ConsentService(runtime.database, tid).granted(user_id, world.web_id)
    assert set(OFFLINE.split()) <= granted, (
        "remembered consent is the person's decision and survives disable/enable")


def test_disabling_a_user_leaves_client_credentials_tokens_alone(
    cli: Cli, world: World, http: FlaskClient
) -> None:
    token = expect_tokens(client_credentials(http, world), "client credentials")["access_token"]
    user_tokens(http, world)
    disable_then_enable(cli, world.user_email)
    assert is_active(http, world, token), "a client-credentials token has no user to revoke"


def test_the_disable_is_audited_with_what_it_ended(
    cli: Cli, runtime: Runtime, world: World, http: FlaskClient
) -> None:
    user_tokens(http, world, scope=OFFLINE)
    result = cli("user", "disable", "--tenant", "acme", "--email", world.user_email)
    assert result.status == 0, result.err
    events = audit_events(runtime, "user.disabled")
    assert len(events) == 1, f"one user.disabled event, got {len(events)}"
    details = events[0].details
    assert details.get("grants_revoked") == 1 and details.get("sessions_ended") == 1, (
        f"the audit event says what the disable ended: {details}")


def test_a_disable_during_the_code_exchange_leaves_no_grant_to_revive(
    cli: Cli, world: World, http: FlaskClient, app: Flask, runtime: Runtime
) -> None:
    # The exchange checks that the user is enabled, then stores the new grant. A disable
    # landing between the two used to leave a live grant that `user enable` revived; now
    # the store re-checks the user under a row lock in the same transaction.
    code, pkce, _ = user_code(http, world, scope=OFFLINE)
    ctx = runtime.tenant_context(runtime.tenants.find("acme"))
    users = ctx.users
    checked = users.by_id

    def check_then_disable(user_id: int) -> UserRecord | None:
        record = checked(user_id)
        result = cli("user", "disable", "--tenant", "acme", "--email", world.user_email)
        assert result.status == 0, f"user disable: {result.err}"
        return record

    users.by_id = check_then_disable  # type: ignore[method-assign]
    try:
        response = exchange(http, code, pkce, secret=world.web_secret)
    finally:
        del users.by_id
    expect_error(response, 400, "invalid_grant", "a code redeemed while its user was disabled")
    with runtime.database.session() as session:
        grants = session.scalars(select(Grant).where(
            Grant.tenant_id == tenant_id(runtime), Grant.revoked_at.is_(None))).all()
    assert grants == [], "no live grant may be stored for a user disabled mid-exchange"
    result = cli("user", "enable", "--tenant", "acme", "--email", world.user_email)
    assert result.status == 0, f"user enable: {result.err}"
