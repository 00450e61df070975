"""CORS for browser apps (Fetch standard, the CORS protocol; docs/security.md "CORS").

Only token, revocation, userinfo, JWKS and discovery answer cross-origin requests, only
for origins a client registered (``web_origins``), with the exact origin echoed,
``Vary: Origin`` and never credentials. Preflights name no client, so any client of the
tenant counts; actual requests are decided by the client they turn out to be. The
authorization endpoint, the pages and introspection send no CORS headers at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec, register_client
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository
from tests.support.oauth import ISSUER_PATH, World, basic, build_world
from tests.support.tokens import (
    INTROSPECT,
    JWKS,
    REVOKE,
    TOKEN,
    USERINFO,
    add_client,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    user_code,
    userinfo,
)

SPA = "browser-app"
SPA_ORIGIN = "https://spa.example"
SPA_REDIRECT = "https://spa.example/cb"
OTHER_ORIGIN = "https://other.example"  # registered by another client of the tenant
ELSEWHERE = "https://elsewhere.example"  # registered only in another tenant
STRANGER = "https://stranger.example"  # registered by nobody
DISCOVERY = (f"{ISSUER_PATH}/.well-known/openid-configuration",
             f"{ISSUER_PATH}/.well-known/oauth-authorization-server",
             "/.well-known/oauth-authorization-server/t/acme")
PREFLIGHT_VARY = {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
# (path, Access-Control-Request-Method, Allow-Methods, Allow-Headers) per CORS endpoint.
ENDPOINTS = [
    (TOKEN, "POST", "POST", "Authorization, Content-Type"),
    (REVOKE, "POST", "POST", "Authorization, Content-Type"),
    (USERINFO, "GET", "GET, POST", "Authorization, Content-Type"),
    (JWKS, "GET", "GET", None),
    *[(path, "GET", "GET", None) for path in DISCOVERY],
]
ENDPOINT_IDS = ["token", "revoke", "userinfo", "jwks", "openid-configuration",
                "oauth-authorization-server", "rfc8414-inserted"]


@pytest.fixture
def world(runtime: Runtime) -> World:
    world = build_world(runtime)
    add_client(runtime, ClientSpec(
        name="Browser app", client_id=SPA, public=True, redirect_uris=(SPA_REDIRECT,),
        web_origins=(SPA_ORIGIN, "http://localhost:5173"),
        scopes=("openid", "profile", "email", "offline_access")))
    add_client(runtime, ClientSpec(
        name="Other app", client_id="other-app", public=True,
        redirect_uris=("https://other.example/cb",), web_origins=(OTHER_ORIGIN,)))
    with runtime.database.session() as session:
        other = create_tenant(session, runtime.master_key, runtime.key_timing, "globex",
                              "Globex", "test", runtime.clock())
        register_client(ClientRepository(session, other.id), AuditRepository(session, other.id),
                        ClientSpec(name="Globex SPA", client_id="globex-spa", public=True,
                                   redirect_uris=("https://elsewhere.example/cb",),
                                   web_origins=(ELSEWHERE,)), "test")
    return world


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control")}


def vary(response: Any) -> set[str]:
    return {token.strip() for token in response.headers.get("Vary", "").split(",") if token}


def assert_allowed(response: Any, origin: str, what: str) -> None:
    """An actual response the page at ``origin`` may read: the exact origin echoed."""
    headers = cors_headers(response)
    assert headers.get("Access-Control-Allow-Origin") == origin, (
        f"{what}: expected Access-Control-Allow-Origin: {origin}, got {headers} "
        f"({describe(response)})")
    assert "Access-Control-Allow-Credentials" not in headers, f"{what}: never credentials"
    assert "Origin" in vary(response), f"{what}: Vary must list Origin"


def assert_not_allowed(response: Any, what: str) -> None:
    headers = cors_headers(response)
    assert not headers, f"{what}: expected no CORS headers, got {headers}"


def preflight(http: FlaskClient, path: str, origin: str, method: str = "POST",
              headers: str | None = "authorization") -> Any:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return http.options(path, headers=sent)


def spa_code(http: FlaskClient, world: World) -> tuple[str, Any]:
    code, pkce, _ = user_code(http, world, SPA, redirect_uri=SPA_REDIRECT,
                              scope="openid profile email offline_access")
    return code, pkce


def spa_exchange(http: FlaskClient, code: str, pkce: Any, origin: str | None) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_REDIRECT,
            "code_verifier": pkce.verifier, "client_id": SPA}
    return http.post(TOKEN, data=data, headers={"Origin": origin} if origin else {})


def spa_refresh(http: FlaskClient, refresh_token: str, origin: str) -> Any:
    return http.post(TOKEN, data={"grant_type": "refresh_token", "client_id": SPA,
                                  "refresh_token": refresh_token}, headers={"Origin": origin})


@pytest.fixture
def spa_tokens(http: FlaskClient, world: World) -> dict[str, Any]:
    code, pkce = spa_code(http, world)
    return expect_tokens(spa_exchange(http, code, pkce, SPA_ORIGIN), "SPA code exchange")


# --- preflights ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "method", "methods", "allow_headers"), ENDPOINTS,
                         ids=ENDPOINT_IDS)
def test_a_preflight_from_a_registered_origin_is_answered_with_exact_headers(
        http: FlaskClient, world: World, path: str, method: str, methods: str,
        allow_headers: str | None) -> None:
    response = preflight(http, path, SPA_ORIGIN, method)
    assert response.status_code == 204, f"preflight {path}: {describe(response)}"
    expected = {"Access-Control-Allow-Origin": SPA_ORIGIN,
                "Access-Control-Allow-Methods": methods, "Access-Control-Max-Age": "600"}
    if allow_headers:
        expected["Access-Control-Allow-Headers"] = allow_headers
    assert cors_headers(response) == expected, f"preflight {path}"
    # Exactly these, whatever else (Cookie) the Flask session machinery may add.
    assert vary(response) >= PREFLIGHT_VARY, f"preflight {path}: Vary {vary(response)}"


@pytest.mark.parametrize(("path", "method", "_methods", "_headers"), ENDPOINTS,
                         ids=ENDPOINT_IDS)
def test_a_preflight_from_an_origin_no_client_of_the_tenant_registered_grants_nothing(
        http: FlaskClient, world: World, path: str, method: str, _methods: str,
        _headers: str) -> None:
    # Origins compare as exact strings: lookalikes of a registered one are strangers too.
    for origin in (STRANGER, ELSEWHERE, "null", SPA_ORIGIN + "/", "https://SPA.example",
                   "https://spa.example:443", "http://spa.example"):
        response = preflight(http, path, origin, method)
        assert response.status_code == 204, f"preflight {path} from {origin}: never 405/500"
        assert_not_allowed(response, f"preflight {path} from {origin}")


def test_a_preflight_allows_an_origin_any_client_of_the_tenant_registered(
        http: FlaskClient, world: World) -> None:
    # The preflight names no client: the actual request is checked against its client.
    response = preflight(http, TOKEN, OTHER_ORIGIN)
    assert cors_headers(response)["Access-Control-Allow-Origin"] == OTHER_ORIGIN


@pytest.mark.parametrize("path", [TOKEN, REVOKE, USERINFO, JWKS, *DISCOVERY])
def test_options_without_a_preflight_is_204_with_allow_and_no_cors(
        http: FlaskClient, world: World, path: str) -> None:
    response = http.options(path, headers={"Origin": SPA_ORIGIN})  # no Request-Method
    assert response.status_code == 204, f"OPTIONS {path}: {describe(response)}"
    assert response.headers.get("Allow", "").startswith("OPTIONS, "), f"{path}: Allow"
    assert_not_allowed(response, f"plain OPTIONS {path}")


@pytest.mark.parametrize("path", ["/t/nope/token", "/t/nope/revoke", "/t/nope/userinfo",
                                  "/t/nope/jwks", "/t/nope/.well-known/openid-configuration"])
def test_a_preflight_for_a_tenant_that_does_not_exist_is_404(
        http: FlaskClient, world: World, path: str) -> None:
    response = preflight(http, path, SPA_ORIGIN)
    assert response.status_code == 404, f"{path}: {describe(response)}"
    assert_not_allowed(response, path)


def test_the_token_endpoint_still_refuses_other_methods_with_405(
        http: FlaskClient, world: World) -> None:
    response = http.get(TOKEN, headers={"Origin": SPA_ORIGIN})
    expect_error(response, 405, "invalid_request", "GET /token")
    assert response.headers["Allow"] == "OPTIONS, POST"


# --- token endpoint --------------------------------------------------------------------------


def test_the_code_exchange_from_the_spa_origin_is_readable_there(
        http: FlaskClient, world: World) -> None:
    code, pkce = spa_code(http, world)
    response = spa_exchange(http, code, pkce, SPA_ORIGIN)
    expect_tokens(response, "SPA code exchange")
    assert_allowed(response, SPA_ORIGIN, "code exchange")
    assert response.headers["Vary"] == "Origin"


def test_each_registered_origin_of_the_client_is_echoed_exactly(
        http: FlaskClient, world: World) -> None:
    code, pkce = spa_code(http, world)
    response = spa_exchange(http, code, pkce, "http://localhost:5173")
    assert_allowed(response, "http://localhost:5173", "second registered origin")


def test_an_spa_can_read_an_error_such_as_invalid_grant(http: FlaskClient, world: World) -> None:
    code, pkce = spa_code(http, world)
    response = spa_exchange(http, code + "x", pkce, SPA_ORIGIN)
    expect_error(response, 400, "invalid_grant", "wrong code from the SPA")
    assert_allowed(response, SPA_ORIGIN, "invalid_grant")


def test_an_error_before_any_client_is_known_is_readable_by_origins_of_the_tenant(
        http: FlaskClient, world: World) -> None:
    response = http.post(TOKEN, data={"grant_type": "authorization_code", "code": "x",
                                      "client_id": "no-such-client"},
                         headers={"Origin": SPA_ORIGIN})
    expect_error(response, 401, "invalid_client", "unknown client from the SPA origin")
    assert_allowed(response, SPA_ORIGIN, "invalid_client")
    stranger = http.post(TOKEN, data={"grant_type": "client_credentials"},
                         headers={"Origin": STRANGER})
    expect_error(stranger, 401, "invalid_client", "no client from a stranger")
    assert_not_allowed(stranger, "error for an origin nobody registered")


def test_a_public_client_from_an_origin_it_did_not_register_is_refused_before_the_code_is_spent(
        http: FlaskClient, world: World) -> None:
    code, pkce = spa_code(http, world)
    refused = spa_exchange(http, code, pkce, OTHER_ORIGIN)
    body = expect_error(refused, 400, "invalid_request", "exchange from another client's origin")
    assert body["error_description"] == "This client did not register the origin of this request."
    assert_not_allowed(refused, "refused origin")
    assert refused.headers["Vary"] == "Origin"
    expect_tokens(spa_exchange(http, code, pkce, SPA_ORIGIN),
                  "the refused request must not have spent the code")


def test_a_refresh_from_the_browser_is_readable_and_a_foreign_one_rotates_nothing(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    refused = spa_refresh(http, spa_tokens["refresh_token"], STRANGER)
    expect_error(refused, 400, "invalid_request", "refresh from an unregistered origin")
    assert_not_allowed(refused, "refused refresh")
    response = spa_refresh(http, spa_tokens["refresh_token"], SPA_ORIGIN)
    rotated = expect_tokens(response, "the refresh token must still be unused")
    assert_allowed(response, SPA_ORIGIN, "refresh")
    assert rotated["refresh_token"] != spa_tokens["refresh_token"], "refresh tokens rotate"


def test_without_an_origin_the_token_endpoint_answers_exactly_as_before(
        http: FlaskClient, world: World) -> None:
    code, pkce = spa_code(http, world)
    response = spa_exchange(http, code, pkce, None)
    expect_tokens(response, "exchange from a server")
    assert_not_allowed(response, "no Origin")
    assert "Vary" not in response.headers, "no-store responses need no Vary without Origin"


def test_the_authenticated_client_decides_not_the_tenant(http: FlaskClient, world: World) -> None:
    # service registered no origin; the SPA's origin passes a preflight, but the answer
    # to service's request must not be readable there.
    response = http.post(TOKEN, data={"grant_type": "client_credentials"},
                         headers={**basic(world.service_id, world.service_secret),
                                  "Origin": SPA_ORIGIN})
    expect_tokens(response, "client credentials with an Origin")
    assert_not_allowed(response, "a client that registered no origin")


def test_a_warm_client_credentials_request_with_an_origin_runs_no_query(
        http: FlaskClient, world: World) -> None:
    expect_tokens(client_credentials(http, world), "warm the caches")
    with queries() as seen:
        response = http.post(TOKEN, data={"grant_type": "client_credentials"},
                             headers={**basic(world.service_id, world.service_secret),
                                      "Origin": SPA_ORIGIN})
        preflight(http, TOKEN, SPA_ORIGIN)  # fills the tenant's origins once
        preflight(http, TOKEN, STRANGER)
    expect_tokens(response, "client credentials")
    assert len(seen) == 1, f"expected only the origins query, got {seen}"


# --- revocation ------------------------------------------------------------------------------


def test_the_spa_revokes_its_refresh_token_from_its_origin(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    response = http.post(REVOKE, data={"token": spa_tokens["refresh_token"], "client_id": SPA},
                         headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 200, describe(response)
    assert_allowed(response, SPA_ORIGIN, "revocation")
    expect_error(spa_refresh(http, spa_tokens["refresh_token"], SPA_ORIGIN), 400,
                 "invalid_grant", "refresh after revocation")


def test_a_revocation_from_an_origin_the_client_did_not_register_revokes_nothing(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    response = http.post(REVOKE, data={"token": spa_tokens["refresh_token"], "client_id": SPA},
                         headers={"Origin": OTHER_ORIGIN})
    expect_error(response, 400, "invalid_request", "revocation from another origin")
    assert_not_allowed(response, "refused revocation")
    expect_tokens(spa_refresh(http, spa_tokens["refresh_token"], SPA_ORIGIN),
                  "the refused revocation must not have revoked the token")


def test_a_revocation_error_is_readable_by_the_spa(http: FlaskClient, world: World) -> None:
    response = http.post(REVOKE, data={"client_id": SPA}, headers={"Origin": SPA_ORIGIN})
    expect_error(response, 400, "invalid_request", "revocation without a token")
    assert_allowed(response, SPA_ORIGIN, "revocation error")


# --- userinfo --------------------------------------------------------------------------------


def test_userinfo_is_readable_by_the_origin_of_the_tokens_client(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    response = http.get(USERINFO, headers={"Authorization": f"Bearer {spa_tokens['access_token']}",
                                           "Origin": SPA_ORIGIN})
    assert response.status_code == 200, describe(response)
    assert_allowed(response, SPA_ORIGIN, "userinfo")
    assert response.headers["Access-Control-Expose-Headers"] == "WWW-Authenticate"


def test_userinfo_is_not_readable_by_an_origin_the_tokens_client_did_not_register(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    response = http.get(USERINFO, headers={"Authorization": f"Bearer {spa_tokens['access_token']}",
                                           "Origin": OTHER_ORIGIN})
    assert response.status_code == 200, describe(response)
    assert_not_allowed(response, "userinfo for another client's origin")


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_a_userinfo_challenge_is_readable_with_its_www_authenticate(
        http: FlaskClient, world: World, authorization: str | None) -> None:
    headers = {"Origin": SPA_ORIGIN}
    if authorization:
        headers["Authorization"] = authorization
    response = http.get(USERINFO, headers=headers)
    assert response.status_code == 401, describe(response)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer ")
    assert_allowed(response, SPA_ORIGIN, "userinfo 401")
    assert response.headers["Access-Control-Expose-Headers"] == "WWW-Authenticate"


def test_userinfo_never_answers_any_origin_with_a_wildcard(
        http: FlaskClient, world: World, spa_tokens: dict[str, Any]) -> None:
    response = userinfo(http, spa_tokens["access_token"])
    assert response.status_code == 200
    assert_not_allowed(response, "userinfo without an Origin")


# --- JWKS and discovery ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [JWKS, *DISCOVERY])
def test_public_documents_echo_registered_origins_and_stay_cacheable(
        http: FlaskClient, world: World, path: str) -> None:
    allowed = http.get(path, headers={"Origin": OTHER_ORIGIN})
    assert allowed.status_code == 200, describe(allowed)
    assert_allowed(allowed, OTHER_ORIGIN, path)
    assert allowed.headers["Cache-Control"].startswith("public, max-age="), path
    for origin in (None, STRANGER):
        response = http.get(path, headers={"Origin": origin} if origin else {})
        assert response.status_code == 200, describe(response)
        assert_not_allowed(response, f"{path} for {origin}")
        # A shared cache must not hand a stored copy without ACAO to a browser, or one
        # with ACAO to another origin.
        assert "Origin" in vary(response), f"{path}: Vary: Origin always"


# --- nothing else ----------------------------------------------------------------------------


def test_the_authorization_endpoint_pages_and_introspection_send_no_cors(
        http: FlaskClient, world: World) -> None:
    origin = {"Origin": SPA_ORIGIN}
    authorize = (f"{ISSUER_PATH}/authorize?response_type=code&client_id={SPA}"
                 f"&redirect_uri={SPA_REDIRECT}&scope=openid&code_challenge_method=S256"
                 "&code_challenge=" + "a" * 43)
    login = http.get(authorize, headers=origin)
    assert login.status_code in (302, 303), describe(login)
    responses = {
        "authorize GET": login,
        "authorize POST": http.post(f"{ISSUER_PATH}/authorize", data={"client_id": SPA},
                                    headers=origin),
        "authorize preflight": preflight(http, f"{ISSUER_PATH}/authorize", SPA_ORIGIN, "GET"),
        "login page": http.get(login.headers["Location"], headers=origin),
        "logout page": http.get(f"{ISSUER_PATH}/logout", headers=origin),
        "logout preflight": preflight(http, f"{ISSUER_PATH}/logout", SPA_ORIGIN),
        "introspection": http.post(INTROSPECT, data={"token": "x"},
                                   headers={**origin, **basic(SPA, "")}),
        "introspection preflight": preflight(http, INTROSPECT, SPA_ORIGIN),
        "health": http.get("/healthz", headers=origin),
        "not found": http.get("/t/acme/nothing", headers=origin),
    }
    for name, response in responses.items():
        assert response.status_code < 500, f"{name}: {describe(response)}"
        assert_not_allowed(response, name)


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block, on any engine."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split("\n", 1)[0])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
