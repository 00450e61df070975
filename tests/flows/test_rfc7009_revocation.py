"""Token revocation (RFC 7009): clients revoke their own access and refresh tokens; the
answer is 200 whether or not the token existed (§2.2), and nobody revokes another
client's tokens."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.oauth import REDIRECT, World, basic, build_world
from tests.support.tokens import (
    REVOKE,
    add_client,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    is_active,
    refresh,
    revoke,
    user_tokens,
    userinfo,
)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def revoked_ok(response: object, what: str) -> None:
    assert response.status_code == 200, f"{what}: RFC 7009 §2.2 wants 200, got {describe(response)}"  # type: ignore[attr-defined]
    assert response.headers.get("Cache-Control") == "no-store"  # type: ignore[attr-defined]


def test_revoking_a_user_access_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    assert userinfo(http, tokens.access_token).status_code == 200
    revoked_ok(revoke(http, tokens.access_token, world.web_id, world.web_secret),
               "revoke own access token")
    assert not is_active(http, world, tokens.access_token), "revoked token still active"
    assert userinfo(http, tokens.access_token).status_code == 401, (
        "userinfo must refuse a revoked access token")


def test_revoking_a_client_credentials_token(world: World, http: FlaskClient) -> None:
    token = expect_tokens(client_credentials(http, world), "cc token")["access_token"]
    assert is_active(http, world, token)
    revoked_ok(revoke(http, token, world.service_id, world.service_secret,
                      token_type_hint="access_token"), "revoke own cc token")
    assert not is_active(http, world, token), "revoked cc token still active"


def test_revoking_a_refresh_token_revokes_its_grant(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    revoked_ok(revoke(http, tokens.refresh_token, world.web_id, world.web_secret,
                      token_type_hint="refresh_token"), "revoke own refresh token")
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "refresh with a revoked refresh token")
    assert not is_active(http, world, tokens.access_token), (
        "RFC 7009 §2.1: revoking a refresh token should revoke the access tokens of its grant")


def test_a_wrong_type_hint_is_only_a_hint(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    revoked_ok(revoke(http, tokens.access_token, world.web_id, world.web_secret,
                      token_type_hint="refresh_token"), "access token with a refresh hint")
    assert not is_active(http, world, tokens.access_token), "the hint must not stop revocation"
    revoked_ok(revoke(http, tokens.refresh_token, world.web_id, world.web_secret,
                      token_type_hint="access_token"), "refresh token with an access hint")
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "refresh token revoked under a wrong hint")


@pytest.mark.parametrize("token", ["no-such-token", "a.b.c", "x" * 5000,
                                   "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."])
def test_unknown_or_garbage_tokens_answer_200(
    world: World, http: FlaskClient, token: str
) -> None:
    revoked_ok(revoke(http, token, world.web_id, world.web_secret), f"revoke {token[:20]!r}")


def test_a_client_cannot_revoke_another_clients_tokens(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    other_secret = add_client(runtime, ClientSpec(
        name="Other", client_id="other", redirect_uris=(REDIRECT,), scopes=("openid",)))
    assert other_secret
    tokens = user_tokens(http, world)
    cc_token = expect_tokens(client_credentials(http, world), "cc token")["access_token"]
    revoked_ok(revoke(http, tokens.access_token, "other", other_secret), "other → web's AT")
    revoked_ok(revoke(http, tokens.refresh_token, "other", other_secret), "other → web's RT")
    revoked_ok(revoke(http, cc_token, world.web_id, world.web_secret), "web → service's AT")
    assert is_active(http, world, tokens.access_token), "another client revoked web's AT"
    assert is_active(http, world, cc_token), "web revoked service's token"
    expect_tokens(refresh(http, tokens.refresh_token, world.web_id, world.web_secret),
                  "web's refresh token after another client tried to revoke it")


def test_client_authentication_is_required(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    response = http.post(REVOKE, data={"token": tokens.access_token})
    expect_error(response, 401, "invalid_client", "revocation without client authentication")
    expect_error(revoke(http, tokens.access_token, world.web_id, world.web_secret + "x"), 401,
                 "invalid_client", "revocation with a wrong secret")
    response = http.post(REVOKE, data={"token": tokens.access_token, "client_id": world.web_id})
    expect_error(response, 401, "invalid_client", "confidential client with only client_id")
    assert is_active(http, world, tokens.access_token), "a refused request revoked the token"


def test_a_public_client_revokes_its_own_refresh_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world, client_id=world.spa_id, redirect_uri="https://spa.example/cb")
    response = http.post(REVOKE, data={"token": tokens.refresh_token, "client_id": world.spa_id})
    revoked_ok(response, "spa (public) revoking its refresh token")
    expect_error(refresh(http, tokens.refresh_token, world.spa_id), 400, "invalid_grant",
                 "spa's refresh token after revocation")


def test_a_missing_token_is_invalid_request(world: World, http: FlaskClient) -> None:
    response = http.post(REVOKE, data={"token_type_hint": "access_token"},
                         headers=basic(world.web_id, world.web_secret))
    expect_error(response, 400, "invalid_request", "revocation without a token")


def test_revocation_is_post_only_and_form_encoded(world: World, http: FlaskClient) -> None:
    response = http.get(f"{REVOKE}?token=x", headers=basic(world.web_id, world.web_secret))
    assert response.status_code == 405, f"GET on revocation: {describe(response)}"
    response = http.post(REVOKE, json={"token": "x"}, headers=basic(world.web_id, world.web_secret))
    expect_error(response, 400, "invalid_request", "JSON body at the revocation endpoint")
