"""Token introspection (RFC 7662): confidential clients learn whether a token is active
and, if so, what it carries; anything else is exactly ``{"active": false}`` (§2.2)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.conftest import Clock
from tests.support.oauth import ISSUER, World, basic, build_world
from tests.support.tokens import (
    INTROSPECT,
    ClientKey,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    introspect,
    own_client,
    revoke,
    unverified_parts,
    user_tokens,
)

INACTIVE = {"active": False}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def described(http: FlaskClient, world: World, token: str, client_id: str | None = None,
              secret: str | None = None) -> dict[str, object]:
    # By default an access token is introspected by its own client (RFC 7662 §4: nobody
    # else learns about it), anything else by service.
    if client_id is None:
        client_id, secret = (own_client(world, token) if token.count(".") == 2
                             else (world.service_id, world.service_secret))
    response = introspect(http, token, client_id, secret or "")
    assert response.status_code == 200, f"introspection: {describe(response)}"
    assert response.headers.get("Cache-Control") == "no-store", "introspection must be no-store"
    body: dict[str, object] = response.get_json()
    return body


def test_a_client_credentials_token_is_described(world: World, http: FlaskClient) -> None:
    response = client_credentials(http, world, scope="stores:read")
    token = expect_tokens(response, "cc")["access_token"]
    body = described(http, world, token)
    claims = unverified_parts(token)[1]
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    for name in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti"):
        assert body[name] == claims[name], f"introspection {name} must match the token"
    assert body["sub"] == world.service_id and body["iss"] == ISSUER
    assert "auth_time" not in body, "a cc token has no user authentication"


def test_a_user_token_is_described(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    body = described(http, world, tokens.access_token)
    assert body["active"] is True
    assert body["sub"] == world.user_sub
    assert body["client_id"] == world.web_id
    assert body["scope"] == "openid profile email"
    assert isinstance(body["auth_time"], int) and body["acr"] == "1"


def test_a_refresh_token_is_described_only_to_its_own_client(
    world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    body = described(http, world, tokens.refresh_token, world.web_id, world.web_secret)
    assert body["active"] is True and body["token_type"] == "refresh_token", body
    assert body["client_id"] == world.web_id and body["sub"] == world.user_sub
    assert body["scope"] == "openid profile email"
    idle = world.runtime.settings.refresh_token_idle_ttl
    assert body["exp"] == int(world.runtime.clock().timestamp()) + idle, (
        "exp must be when the refresh token itself stops working (its idle limit)")
    assert described(http, world, tokens.refresh_token) == INACTIVE, (
        "another client must not learn anything about web's refresh token")


def test_introspecting_a_refresh_token_does_not_spend_it(
    world: World, http: FlaskClient
) -> None:
    from tests.support.tokens import refresh

    tokens = user_tokens(http, world)
    described(http, world, tokens.refresh_token, world.web_id, world.web_secret)
    expect_tokens(refresh(http, tokens.refresh_token, world.web_id, world.web_secret),
                  "refresh after introspection")
    assert described(http, world, tokens.refresh_token, world.web_id,
                     world.web_secret) == INACTIVE, "a rotated-out refresh token is inactive"


def test_an_expired_token_is_inactive(world: World, http: FlaskClient, clock: Clock) -> None:
    token = expect_tokens(client_credentials(http, world), "cc")["access_token"]
    lifetime = unverified_parts(token)[1]["exp"] - unverified_parts(token)[1]["iat"]
    clock.advance(seconds=lifetime - 1)
    assert described(http, world, token)["active"] is True, "one second before exp: active"
    clock.advance(seconds=1)
    assert described(http, world, token) == INACTIVE, "at exp the token is inactive"


def test_a_revoked_token_is_inactive(world: World, http: FlaskClient) -> None:
    token = expect_tokens(client_credentials(http, world), "cc")["access_token"]
    assert revoke(http, token, world.service_id, world.service_secret).status_code == 200
    assert described(http, world, token) == INACTIVE


@pytest.mark.parametrize("token", [
    "garbage", "a.b.c", "x" * 20_000, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
])
def test_garbage_is_inactive(world: World, http: FlaskClient, token: str) -> None:
    response = introspect(http, token, world.service_id, world.service_secret)
    if response.status_code == 400:  # the 16 KiB value limit may refuse it first
        expect_error(response, 400, "invalid_request", "oversized token")
        return
    assert response.status_code == 200 and response.get_json() == INACTIVE, (
        f"introspecting {token[:20]!r}: {describe(response)}")


def test_an_id_token_or_forged_token_is_inactive(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    assert described(http, world, tokens.id_token) == INACTIVE, (
        "an ID token is not an access token (typ JWT, not at+jwt)")
    forged_claims = dict(unverified_parts(tokens.access_token)[1])
    forger = ClientKey("ES256")
    forged = forger.sign_raw({"alg": "ES256", "typ": "at+jwt",
                              "kid": unverified_parts(tokens.access_token)[0]["kid"]},
                             forged_claims)
    assert described(http, world, forged) == INACTIVE, "a token signed by a foreign key"


def test_public_clients_may_not_introspect(world: World, http: FlaskClient) -> None:
    token = expect_tokens(client_credentials(http, world), "cc")["access_token"]
    response = http.post(INTROSPECT, data={"token": token, "client_id": world.spa_id})
    # RFC 6749 §5.2: 401 is required only when the client tried the Authorization header.
    expect_error(response, 400, "invalid_client", "spa (public) introspecting")
    assert "active" not in response.get_json(), "a public client learned about a token"


def test_client_authentication_is_required(world: World, http: FlaskClient) -> None:
    token = expect_tokens(client_credentials(http, world), "cc")["access_token"]
    expect_error(http.post(INTROSPECT, data={"token": token}), 401, "invalid_client",
                 "introspection without client authentication")
    expect_error(introspect(http, token, world.service_id, "wrong"), 401, "invalid_client",
                 "introspection with a wrong secret")


def test_a_missing_token_is_invalid_request(world: World, http: FlaskClient) -> None:
    response = http.post(INTROSPECT, data={"token_type_hint": "access_token"},
                         headers=basic(world.service_id, world.service_secret))
    expect_error(response, 400, "invalid_request", "introspection without a token")


def test_a_disabled_users_tokens_become_inactive(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    from tests.support.tokens import set_user_disabled

    tokens = user_tokens(http, world)
    set_user_disabled(runtime, world.user_email)
    assert described(http, world, tokens.access_token) == INACTIVE
    assert described(http, world, tokens.refresh_token, world.web_id,
                     world.web_secret) == INACTIVE


def test_a_user_token_whose_grant_record_is_gone_is_inactive(
    world: World, http: FlaskClient
) -> None:
    # After `db purge` removes a long-dead grant, its access tokens must not turn into
    # "client credentials" tokens that look active.
    from sqlalchemy import text

    tokens = user_tokens(http, world)
    with world.runtime.database.session() as session:
        session.execute(text("DELETE FROM issued_access_tokens"))
    assert described(http, world, tokens.access_token) == INACTIVE
