"""UserInfo endpoint (OIDC Core §5.3, §5.4, §5.5) with Bearer tokens (RFC 6750 §2, §3)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.oauth import ISSUER, World, build_world
from tests.support.tokens import (
    USERINFO,
    client_credentials,
    describe,
    expect_tokens,
    set_user_disabled,
    user_tokens,
    userinfo,
)

PROFILE = {"name", "given_name", "family_name", "preferred_username", "updated_at"}
EMAIL = {"email", "email_verified"}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def claims_for(http: FlaskClient, world: World, **params: str) -> dict[str, object]:
    tokens = user_tokens(http, world, **params)
    response = userinfo(http, tokens.access_token)
    assert response.status_code == 200, f"userinfo: {describe(response)}"
    assert response.headers.get("Cache-Control") == "no-store", "userinfo must be no-store"
    body: dict[str, object] = response.get_json()
    assert body["sub"] == world.user_sub, "sub must be the ID token's sub"
    return body


def challenge(response: object) -> str:
    return str(response.headers.get("WWW-Authenticate", ""))  # type: ignore[attr-defined]


def test_claims_follow_the_profile_and_email_scopes(world: World, http: FlaskClient) -> None:
    body = claims_for(http, world)
    assert set(body) == {"sub"} | PROFILE | EMAIL, f"openid profile email: {sorted(body)}"
    assert body["email"] == world.user_email and body["email_verified"] is True
    assert body["name"] == "Ann Lee" and body["preferred_username"] == "ann"


def test_profile_without_email(world: World, http: FlaskClient) -> None:
    body = claims_for(http, world, scope="openid profile")
    assert set(body) == {"sub"} | PROFILE, f"openid profile: {sorted(body)}"


def test_openid_alone_gives_only_sub(world: World, http: FlaskClient) -> None:
    assert set(claims_for(http, world, scope="openid")) == {"sub"}


def test_the_claims_parameter_cannot_add_claims_beyond_the_granted_scopes(
    world: World, http: FlaskClient
) -> None:
    body = claims_for(http, world, scope="openid",
                      claims=json.dumps({"userinfo": {"email": None}}))
    assert set(body) == {"sub"}, (
        f"claims.userinfo.email with only openid granted was never consented to "
        f"(tests/flows/test_oidc_claims_parameter.py): {sorted(body)}")


NO_TOKEN_BODY = {"error_description":
                 "This endpoint needs an access token: send Authorization: Bearer <token>."}


def test_no_token_is_401_with_a_bare_bearer_challenge(world: World, http: FlaskClient) -> None:
    response = http.get(USERINFO)
    assert response.status_code == 401, describe(response)
    assert challenge(response) == f'Bearer realm="{ISSUER}"', (
        "RFC 6750 §3.1: a request without authentication gets no error code or other "
        f"error information in the challenge: {challenge(response)}")


def test_no_token_gets_a_json_body_saying_what_to_send(world: World, http: FlaskClient) -> None:
    for response in (http.get(USERINFO), http.post(USERINFO, data={})):
        assert response.status_code == 401, describe(response)
        assert response.mimetype == "application/json", (
            f"JSON like every other error: {describe(response)}")
        assert response.get_json() == NO_TOKEN_BODY, (
            f"an empty {{}} tells an integrator nothing; no error code (RFC 6750 §3.1): "
            f"{describe(response)}")
        assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_a_bad_token_is_401_invalid_token(world: World, http: FlaskClient, token: str) -> None:
    response = userinfo(http, token)
    assert response.status_code == 401, describe(response)
    assert 'error="invalid_token"' in challenge(response), challenge(response)
    assert response.get_json()["error"] == "invalid_token"


def test_an_id_token_is_not_an_access_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    response = userinfo(http, tokens.id_token)
    assert response.status_code == 401 and 'error="invalid_token"' in challenge(response), (
        f"an ID token used as a Bearer token: {describe(response)}")


def test_a_token_without_openid_is_403_insufficient_scope(
    world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope="stores:read")
    response = userinfo(http, tokens.access_token)
    assert response.status_code == 403, describe(response)
    assert 'error="insufficient_scope"' in challenge(response), challenge(response)
    assert 'scope="openid"' in challenge(response), "RFC 6750 §3: say which scope is needed"


def test_a_token_for_another_audience_is_refused(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world, resource="https://api.example/stores")
    response = userinfo(http, tokens.access_token)
    assert response.status_code == 401 and 'error="invalid_token"' in challenge(response), (
        f"a token whose aud is a resource server, not the issuer: {describe(response)}")


def test_a_client_credentials_token_is_refused(world: World, http: FlaskClient) -> None:
    token = expect_tokens(client_credentials(http, world), "cc")["access_token"]
    response = userinfo(http, token)
    assert response.status_code == 401 and 'error="invalid_token"' in challenge(response), (
        f"a token with no user behind it: {describe(response)}")


def test_a_disabled_users_token_is_refused(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    set_user_disabled(runtime, world.user_email)
    assert userinfo(http, tokens.access_token).status_code == 401


def test_header_and_form_token_together_are_invalid_request(
    world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    response = http.post(USERINFO, data={"access_token": tokens.access_token},
                         headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert response.status_code == 400, describe(response)
    assert 'error="invalid_request"' in challenge(response), challenge(response)


def test_a_form_posted_token_works(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    response = http.post(USERINFO, data={"access_token": tokens.access_token})
    assert response.status_code == 200, f"RFC 6750 §2.2 form token: {describe(response)}"
    assert response.get_json()["sub"] == world.user_sub


def test_a_query_string_token_is_not_accepted(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    response = http.get(f"{USERINFO}?access_token={tokens.access_token}")
    assert response.status_code == 401, (
        f"tokens in URLs leak into logs (RFC 9700 §2.5): {describe(response)}")


def test_a_non_bearer_scheme_is_refused(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    response = http.get(USERINFO, headers={"Authorization": f"Basic {tokens.access_token}"})
    assert response.status_code == 401, describe(response)
    assert challenge(response) == f'Bearer realm="{ISSUER}"', (
        "RFC 6750 §3.1: no Bearer credentials means a bare challenge, without an error code")
    assert response.get_json() == NO_TOKEN_BODY, describe(response)
