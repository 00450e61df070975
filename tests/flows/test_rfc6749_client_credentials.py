"""Client credentials grant (RFC 6749 §4.4) and the token endpoint's request hygiene
(§3.2, §5.2), with RFC 9068 JWT access tokens and RFC 8707 resource indicators."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.oauth import ISSUER, World, basic, build_world
from tests.support.tokens import (
    TOKEN,
    add_client,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    verify_jwt,
)

API = "https://api.example/stores"
OTHER_API = "https://billing.example/"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def service_auth(world: World) -> dict[str, str]:
    return basic(world.service_id, world.service_secret)


# --- success -------------------------------------------------------------------------------


def test_issues_a_signed_rfc9068_access_token(world: World, http: FlaskClient) -> None:
    body = expect_tokens(client_credentials(http, world, scope="stores:read"),
                         "client credentials")
    assert "refresh_token" not in body, "RFC 6749 §4.4.3: no refresh token for this grant"
    assert "id_token" not in body, "no ID token without a user"
    assert body["scope"] == "stores:read"
    header, claims = verify_jwt(http, body["access_token"])
    assert header["typ"] == "at+jwt", "RFC 9068 §2.1: access tokens are typed at+jwt"
    assert header["alg"] == "ES256", "access tokens are signed with ES256"
    assert claims["iss"] == ISSUER
    assert claims["sub"] == world.service_id, "RFC 9068 §2.2: the subject is the client"
    assert claims["client_id"] == world.service_id
    assert claims["aud"] == ISSUER, "without a resource indicator the audience is the issuer"
    assert claims["scope"] == "stores:read"
    assert claims["exp"] - claims["iat"] == body["expires_in"] > 0, "exp must match expires_in"
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16, "jti must be random"
    assert not {"auth_time", "acr", "amr"} & set(claims), (
        "a client-credentials token must be distinguishable from a user token")


def test_without_scope_the_token_carries_the_clients_scopes(
    world: World, http: FlaskClient
) -> None:
    body = expect_tokens(client_credentials(http, world), "no scope parameter")
    assert set(body["scope"].split()) == {"stores:read", "stores:write"}


def test_each_token_has_its_own_jti(world: World, http: FlaskClient) -> None:
    first = verify_jwt(http, expect_tokens(client_credentials(http, world), "1")["access_token"])
    second = verify_jwt(http, expect_tokens(client_credentials(http, world), "2")["access_token"])
    assert first[1]["jti"] != second[1]["jti"], "two tokens must not share a jti"


# --- scope -----------------------------------------------------------------------------------


def test_scope_beyond_the_clients_allowed_scopes_is_invalid_scope(
    world: World, http: FlaskClient
) -> None:
    expect_error(client_credentials(http, world, scope="stores:read stores:admin"), 400,
                 "invalid_scope", "a scope the client was not registered for")


def test_user_scopes_are_refused_even_when_registered(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    # Registration refuses user scopes for a client without authorization_code, so the
    # client that may hold them also signs users in; the token endpoint must still
    # refuse them without a user.
    secret = add_client(runtime, ClientSpec(
        name="Mixed", client_id="mixed",
        grant_types=("authorization_code", "client_credentials"),
        redirect_uris=("https://mixed.example/cb",),
        scopes=("stores:read", "openid", "profile", "offline_access")))
    assert secret
    for scope in ("openid", "stores:read profile", "offline_access"):
        response = client_credentials(http, world, scope=scope, client_id="mixed", secret=secret)
        expect_error(response, 400, "invalid_scope", f"user scope {scope!r} without a user")
    body = expect_tokens(client_credentials(http, world, client_id="mixed", secret=secret),
                         "default scope of a client that also holds user scopes")
    assert body["scope"] == "stores:read", "the default scope must leave user scopes out"


# --- resource indicators (RFC 8707) ----------------------------------------------------------


def test_one_resource_makes_a_single_string_audience(world: World, http: FlaskClient) -> None:
    body = expect_tokens(client_credentials(http, world, resources=[API]), "one resource")
    assert verify_jwt(http, body["access_token"])[1]["aud"] == API


def test_several_resources_make_a_list_audience(world: World, http: FlaskClient) -> None:
    body = expect_tokens(client_credentials(http, world, resources=[API, OTHER_API]),
                         "two resources")
    assert verify_jwt(http, body["access_token"])[1]["aud"] == [API, OTHER_API]


@pytest.mark.parametrize("resource", [
    "https://api.example/stores#frag",
    "/stores",
    "stores",
    "//api.example/stores",
])
def test_a_resource_that_is_not_an_absolute_uri_without_fragment_is_invalid_target(
    world: World, http: FlaskClient, resource: str
) -> None:
    expect_error(client_credentials(http, world, resources=[resource]), 400, "invalid_target",
                 f"resource {resource!r}")


# --- client authentication -------------------------------------------------------------------


def test_wrong_secret_is_401_invalid_client_with_a_basic_challenge(
    world: World, http: FlaskClient
) -> None:
    response = client_credentials(http, world, secret=world.service_secret + "x")
    expect_error(response, 401, "invalid_client", "wrong secret")
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Basic "), (
        f"RFC 6749 §5.2: 401 after Basic auth must challenge Basic, got {challenge!r}")
    assert "access_token" not in (response.get_json() or {})


def test_unknown_client_is_invalid_client(world: World, http: FlaskClient) -> None:
    response = client_credentials(http, world, client_id="nobody", secret="whatever")
    expect_error(response, 401, "invalid_client", "unknown client")


def test_no_credentials_at_all_is_invalid_client(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "client_credentials"})
    expect_error(response, 401, "invalid_client", "no client authentication")


def test_a_public_client_cannot_use_client_credentials(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "client_credentials",
                                      "client_id": world.spa_id})
    expect_error(response, 401, "invalid_client", "public client asking for a cc token")


def test_a_client_without_the_grant_is_unauthorized_client(
    world: World, http: FlaskClient
) -> None:
    response = client_credentials(http, world, client_id=world.web_id, secret=world.web_secret)
    expect_error(response, 400, "unauthorized_client", "web is not registered for this grant")


# --- grant type ------------------------------------------------------------------------------


def test_password_grant_is_unsupported_grant_type(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "password", "username": "ann@example.com",
                                      "password": "whatever"}, headers=service_auth(world))
    expect_error(response, 400, "unsupported_grant_type", "grant_type=password (RFC 9700 §2.4)")


def test_an_unknown_grant_type_is_unsupported_grant_type(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "urn:example:magic"},
                         headers=service_auth(world))
    expect_error(response, 400, "unsupported_grant_type", "unknown grant type")


def test_a_missing_grant_type_is_invalid_request(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"scope": "stores:read"}, headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "no grant_type")


# --- request hygiene (never a 500) -----------------------------------------------------------


def test_a_repeated_parameter_is_invalid_request(world: World, http: FlaskClient) -> None:
    body = "grant_type=client_credentials&scope=stores:read&scope=stores:write"
    response = http.post(TOKEN, data=body, content_type="application/x-www-form-urlencoded",
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "RFC 6749 §3.2: parameters must not repeat")


def test_a_repeated_grant_type_is_invalid_request(world: World, http: FlaskClient) -> None:
    body = "grant_type=client_credentials&grant_type=client_credentials"
    response = http.post(TOKEN, data=body, content_type="application/x-www-form-urlencoded",
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "repeated grant_type")


def test_an_oversized_body_is_invalid_request(world: World, http: FlaskClient) -> None:
    body = "grant_type=client_credentials&padding=" + "a" * (70 * 1024)
    response = http.post(TOKEN, data=body, content_type="application/x-www-form-urlencoded",
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "a 70 KiB body")


def test_an_oversized_value_is_invalid_request(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "client_credentials",
                                      "scope": "stores:read " + "x" * (20 * 1024)},
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "a 20 KiB scope value")


def test_many_resources_are_refused_not_a_crash(world: World, http: FlaskClient) -> None:
    resources = [f"https://api{i}.example/" for i in range(50)]
    response = client_credentials(http, world, resources=resources)
    expect_error(response, 400, "invalid_target", "50 resource parameters")


def test_a_json_body_is_invalid_request(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, json={"grant_type": "client_credentials"},
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "RFC 6749 §3.2 requires form encoding")


def test_parameters_in_the_query_string_are_refused(world: World, http: FlaskClient) -> None:
    response = http.post(f"{TOKEN}?scope=stores:write", data={"grant_type": "client_credentials"},
                         headers=service_auth(world))
    expect_error(response, 400, "invalid_request", "parameters in the query string")
    response = http.post(f"{TOKEN}?client_secret={world.service_secret}",
                         data={"grant_type": "client_credentials", "client_id": "service"})
    assert response.status_code in (400, 401) and "access_token" not in response.get_json(), (
        f"a secret in the query string must never be accepted: {describe(response)}")


def test_get_is_405_with_a_json_body(world: World, http: FlaskClient) -> None:
    response = http.get(f"{TOKEN}", headers=service_auth(world))
    assert response.status_code == 405, f"GET on the token endpoint: {describe(response)}"
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "invalid_request"
    assert "POST" in response.headers.get("Allow", ""), "405 must say which method is allowed"


def test_a_non_utf8_body_is_a_4xx(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data=b"grant_type=client_credentials&scope=%ff%fe\xff",
                         content_type="application/x-www-form-urlencoded",
                         headers=service_auth(world))
    assert 400 <= response.status_code < 500, f"malformed encoding: {describe(response)}"
