"""Refresh tokens (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2):
one use each, a replay revokes the whole family, bound to client and granted scope, idle
and absolute lifetimes, and every refusal stored in the database, so it outlives the
process."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from authserver.runtime import Runtime, build_runtime
from authserver.services.clients import ClientSpec
from authserver.settings import Settings
from tests.conftest import Clock
from tests.support.oauth import REDIRECT, World, build_world
from tests.support.runtimes import make_app
from tests.support.tokens import (
    add_client,
    audit_events,
    end_login_session,
    expect_error,
    expect_tokens,
    refresh,
    set_user_disabled,
    unverified_parts,
    user_tokens,
    verify_jwt,
)

PARALLEL = 10
DAY = 86400
OFFLINE = "openid profile email offline_access"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def use(http: FlaskClient, world: World, token: str, **extra: str) -> Any:
    return refresh(http, token, world.web_id, world.web_secret, **extra)


def rotate(http: FlaskClient, world: World, token: str, what: str, **extra: str
           ) -> dict[str, Any]:
    body = expect_tokens(use(http, world, token, **extra), what)
    assert body.get("refresh_token") and body["refresh_token"] != token, (
        f"{what}: a refresh must return a new refresh token (rotation)")
    return body


def refused(response: Any, what: str) -> None:
    expect_error(response, 400, "invalid_grant", what)


# --- rotation and reuse ----------------------------------------------------------------------


def test_each_refresh_rotates_and_the_old_token_stops_working(
    world: World, http: FlaskClient
) -> None:
    first = user_tokens(http, world).refresh_token
    second = rotate(http, world, first, "first refresh")["refresh_token"]
    third = rotate(http, world, second, "second refresh")["refresh_token"]
    assert len({first, second, third}) == 3
    body = rotate(http, world, third, "third refresh")
    _, claims = verify_jwt(http, body["access_token"])
    assert claims["sub"] == world.user_sub and claims["client_id"] == world.web_id


def test_reuse_revokes_the_whole_family_and_is_audited(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    first = tokens.refresh_token
    newer = rotate(http, world, first, "legitimate refresh")
    refused(use(http, world, first), "reuse of a spent refresh token")
    refused(use(http, world, newer["refresh_token"]),
            "the newest refresh token after reuse was detected (family revocation)")
    from tests.support.tokens import is_active

    assert not is_active(http, world, newer["access_token"]), (
        "access tokens of a revoked family must be inactive")
    events = audit_events(runtime, "grant.revoked")
    assert any(e.details.get("reason") == "refresh_token_reuse" for e in events), (
        f"refresh token reuse must be audited: {[e.details for e in events]}")


def test_parallel_refreshes_of_one_token_yield_exactly_one_success(
    app: Flask, world: World, http: FlaskClient
) -> None:
    token = user_tokens(http, world).refresh_token
    barrier = threading.Barrier(PARALLEL)

    def attempt(_: int) -> tuple[int, str | None]:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = use(client, world, token)
        return response.status_code, (response.get_json() or {}).get("error")

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = sorted(pool.map(attempt, range(PARALLEL)))
    assert [s for s, _ in outcomes].count(200) == 1, f"{PARALLEL} parallel refreshes: {outcomes}"
    assert all(o == (400, "invalid_grant") for o in outcomes if o[0] != 200), (
        f"the losers must get invalid_grant, never a 500: {outcomes}")


def test_an_unknown_refresh_token_is_invalid_grant(world: World, http: FlaskClient) -> None:
    refused(use(http, world, "not-a-refresh-token"), "made-up refresh token")


def test_a_missing_refresh_token_is_invalid_request(world: World, http: FlaskClient) -> None:
    from tests.support.oauth import basic
    from tests.support.tokens import TOKEN

    response = http.post(TOKEN, data={"grant_type": "refresh_token"},
                         headers=basic(world.web_id, world.web_secret))
    expect_error(response, 400, "invalid_request", "no refresh_token parameter")


def test_an_access_token_is_not_a_refresh_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    refused(use(http, world, tokens.access_token), "an access token sent as refresh_token")
    refused(use(http, world, tokens.id_token), "an ID token sent as refresh_token")


# --- binding ---------------------------------------------------------------------------------


def test_a_refresh_token_is_bound_to_its_client(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    other_secret = add_client(runtime, ClientSpec(
        name="Other", client_id="other", redirect_uris=(REDIRECT,), scopes=("openid",)))
    assert other_secret
    token = user_tokens(http, world).refresh_token
    refused(refresh(http, token, "other", other_secret), "web's refresh token used by other")
    refused(refresh(http, token, world.spa_id), "web's refresh token used by the public spa")


def test_narrower_scope_narrows_only_the_access_token(world: World, http: FlaskClient) -> None:
    token = user_tokens(http, world).refresh_token
    narrowed = rotate(http, world, token, "refresh with scope=openid", scope="openid")
    assert narrowed["scope"] == "openid"
    assert verify_jwt(http, narrowed["access_token"])[1]["scope"] == "openid"
    full = rotate(http, world, narrowed["refresh_token"], "refresh without scope")
    assert set(full["scope"].split()) == {"openid", "profile", "email"}, (
        "RFC 6749 §6: the new refresh token keeps the originally granted scope")


def test_wider_scope_is_invalid_scope_and_does_not_spend_the_token(
    world: World, http: FlaskClient
) -> None:
    token = user_tokens(http, world).refresh_token
    for scope in ("openid stores:read", "openid offline_access", "openid admin"):
        expect_error(use(http, world, token, scope=scope), 400, "invalid_scope",
                     f"refresh asking for more than granted: {scope!r}")
    rotate(http, world, token, "the same token after the refused widening")


# --- lifetimes -------------------------------------------------------------------------------


def test_idle_expiry(world: World, http: FlaskClient, clock: Clock) -> None:
    token = user_tokens(http, world, scope=OFFLINE).refresh_token
    clock.advance(seconds=7 * DAY + 1)
    refused(use(http, world, token), "a refresh token unused for 7 days and 1 second")


def test_use_just_inside_the_idle_window_works(
    world: World, http: FlaskClient, clock: Clock
) -> None:
    token = user_tokens(http, world, scope=OFFLINE).refresh_token
    clock.advance(seconds=7 * DAY - 60)
    rotate(http, world, token, "a refresh token used a minute before its idle limit")


def test_absolute_expiry_even_when_kept_busy(
    world: World, http: FlaskClient, clock: Clock
) -> None:
    token = user_tokens(http, world, scope=OFFLINE).refresh_token
    for day in (6, 12, 18, 24):
        clock.advance(days=6)
        token = rotate(http, world, token, f"refresh on day {day}")["refresh_token"]
    clock.advance(days=6, seconds=1)
    refused(use(http, world, token), "a refresh on day 30 + 1 s (absolute lifetime)")


# --- the user and the session ----------------------------------------------------------------


def test_a_disabled_users_refresh_tokens_stop(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    token = user_tokens(http, world, scope=OFFLINE).refresh_token
    set_user_disabled(runtime, world.user_email)
    refused(use(http, world, token), "refresh for a disabled user")


def test_ending_the_session_ends_online_refresh_tokens(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    end_login_session(runtime, unverified_parts(tokens.id_token)[1]["sid"])
    refused(use(http, world, tokens.refresh_token),
            "refresh without offline_access after the login session ended")


def test_offline_access_survives_the_end_of_the_session(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope=OFFLINE)
    end_login_session(runtime, unverified_parts(tokens.id_token)[1]["sid"])
    rotate(http, world, tokens.refresh_token, "offline_access refresh after logout")


# --- persistence -----------------------------------------------------------------------------


def test_rejections_survive_a_restart(
    runtime: Runtime, settings: Settings, world: World, http: FlaskClient, clock: Clock
) -> None:
    first = user_tokens(http, world).refresh_token
    newest = rotate(http, world, first, "legitimate refresh")["refresh_token"]
    refused(use(http, world, first), "reuse (revokes the family)")

    # A new process: fresh runtime, caches, database connections and app, on the same
    # database and clock.
    fresh = build_runtime(settings, clock=clock)
    client = make_app(fresh).test_client()
    try:
        refused(use(client, world, newest), "the revoked family's newest token after restart")
        refused(use(client, world, first), "the reused token after restart")
    finally:
        fresh.database.dispose()


def test_a_timed_out_session_ends_online_refresh_tokens(
    runtime: Runtime, world: World, http: FlaskClient, clock: Clock
) -> None:
    token = user_tokens(http, world).refresh_token
    clock.advance(seconds=runtime.settings.session_absolute_ttl + 60)
    refused(use(http, world, token),
            "refresh without offline_access after the login session's absolute limit")
