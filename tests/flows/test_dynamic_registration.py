"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592) at
``{issuer}/register``, over HTTP through the Flask test client: each mode, the happy
paths for web, native and public clients (which then sign a person in), every refusal
with its exact ``error``, read/update/delete with right and wrong tokens, and software
statements (RFC 7591 §2.3)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK
from werkzeug.test import TestResponse

from authserver.protocol import jws
from authserver.runtime import Runtime, admin_context
from authserver.services import dcr_admin, tenant_admin
from authserver.services.registration_settings import RegistrationChange
from authserver.storage.repositories import AuditRepository
from tests.conftest import Clock
from tests.support.browser_flow import tenant_id
from tests.support.oauth import (
    ISSUER,
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
)

REGISTER = f"{ISSUER_PATH}/register"
STATEMENT_ISSUER = "https://directory.example"
WEB = {"redirect_uris": [REDIRECT], "client_name": "Partner app"}


@pytest.fixture
def world(runtime: Runtime) -> Runtime:
    build_world(runtime)
    return runtime


def set_registration(runtime: Runtime, **change: Any) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               registration=RegistrationChange(**change))


def new_token(runtime: Runtime, **options: Any) -> dcr_admin.CreatedToken:
    return dcr_admin.create_token(admin_context(runtime, "test"), "acme", **options)


def register(http: FlaskClient, body: Any, token: str | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else json.dumps(body).encode()
    return http.post(REGISTER, data=data, headers=headers, content_type=content_type)


def created(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 201, \
        f"expected 201 Created, got {response.status_code}: {response.get_data(as_text=True)}"
    assert response.headers["Cache-Control"] == "no-store", "credentials must not be cached"
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def refused(response: TestResponse, error: str, status: int = 400) -> dict[str, Any]:
    body = response.get_json(silent=True)
    assert response.status_code == status and body and body.get("error") == error, \
        f"expected {status} {error}, got {response.status_code}: " \
        f"{response.get_data(as_text=True)[:400]}"
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit_actions(runtime: Runtime) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    with runtime.database.session() as session:
        events = AuditRepository(session, tenant_id(runtime)).recent(200)
        return [(e.actor, e.action, e.target, dict(e.details)) for e in reversed(events)]


def signs_in(http: FlaskClient, client_id: str, secret: str | None,
             redirect_uri: str = REDIRECT,
             scope: str = "openid profile email") -> dict[str, Any]:
    """A person signs in to the registered client through the hosted pages (login,
    consent) and the client exchanges the code: the registration is usable."""
    pkce = Pkce()
    query = obtain_code(http, authorize_params(client_id, pkce, redirect_uri=redirect_uri,
                                               scope=scope))
    assert "code" in query, f"no code came back: {query}"
    response = exchange(http, query["code"], pkce, client_id, secret, redirect_uri)
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens: dict[str, Any] = response.get_json()
    assert tokens["id_token"] and tokens["access_token"]
    return tokens


# --- modes -------------------------------------------------------------------------------

def test_registration_is_off_by_default_and_not_advertised(world: Runtime,
                                                           http: FlaskClient) -> None:
    refused(register(http, WEB), "not_found", 404)
    document = http.get(f"{ISSUER_PATH}/.well-known/openid-configuration").get_json()
    assert "registration_endpoint" not in document


@pytest.mark.parametrize("mode", ["initial-access-token", "open"])
def test_discovery_advertises_the_registration_endpoint_when_on(
        world: Runtime, http: FlaskClient, mode: str) -> None:
    set_registration(world, mode=mode)
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        document = http.get(f"{ISSUER_PATH}{path}").get_json()
        assert document["registration_endpoint"] == f"{ISSUER}/register", path


def test_turning_registration_off_again_refuses_it(world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="open")
    created(register(http, WEB))
    set_registration(world, mode="off")
    refused(register(http, WEB), "not_found", 404)


# --- initial access tokens ----------------------------------------------------------------

def test_a_web_client_registers_with_an_initial_access_token_and_signs_a_person_in(
        world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="initial-access-token")
    token = new_token(world)
    body = created(register(http, {
        **WEB, "client_uri": "https://partner.example", "logo_uri": "https://partner.example/l.png",
        "policy_uri": "https://partner.example/privacy", "tos_uri": "https://partner.example/tos",
        "contacts": ["dev@partner.example"], "software_id": "partner-app",
        "software_version": "2.1", "client_name#fr": "Appli partenaire",
        "something_unknown": "ignored"}, token.token))

    client_id = body["client_id"]
    assert body["client_secret"] and body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    assert body["registration_access_token"]
    assert body["registration_client_uri"] == f"{ISSUER}/register/{client_id}"
    # The metadata as registered, with the defaults of RFC 7591 §2 and OIDC §2 applied.
    assert body["redirect_uris"] == [REDIRECT]
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["application_type"] == "web"
    assert body["scope"] == "openid profile email"
    assert body["id_token_signed_response_alg"] == "RS256"
    assert body["subject_type"] == "public"
    assert body["client_name"] == "Partner app"
    assert body["contacts"] == ["dev@partner.example"]
    assert body["software_id"] == "partner-app" and body["software_version"] == "2.1"
    for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri"):
        assert body[name].startswith("https://partner.example")
    assert "something_unknown" not in body and "client_name#fr" not in body

    signs_in(http, client_id, body["client_secret"])

    registered = [e for e in audit_actions(world) if e[1] == "client.registered"]
    assert registered, "the registration must be audited"
    actor, _, target, details = registered[-1]
    assert (actor, target) == (f"dcr:{token.view['token_id']}", client_id)
    assert details["initial_access_token_id"] == token.view["token_id"]
    assert details["registration_access_token"] == "[redacted]"
    assert body["client_secret"] not in json.dumps(audit_actions(world))
    assert body["registration_access_token"] not in json.dumps(audit_actions(world))


def test_registration_without_a_token_is_refused_with_a_bearer_challenge(
        world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="initial-access-token")
    response = register(http, WEB)
    refused(response, "invalid_token", 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_wrong_expired_used_up_and_revoked_tokens_are_refused(
        world: Runtime, http: FlaskClient, clock: Clock) -> None:
    set_registration(world, mode="initial-access-token")
    refused(register(http, WEB, "not-a-token"), "invalid_token", 401)

    once = new_token(world, max_uses=1)
    created(register(http, WEB, once.token))
    refused(register(http, WEB, once.token), "invalid_token", 401)

    twice = new_token(world, max_uses=2)
    created(register(http, WEB, twice.token))
    created(register(http, WEB, twice.token))
    refused(register(http, WEB, twice.token), "invalid_token", 401)

    revoked = new_token(world)
    dcr_admin.revoke_token(admin_context(world, "test"), "acme", revoked.view["token_id"])
    refused(register(http, WEB, revoked.token), "invalid_token", 401)

    short = new_token(world, expires_in=60)
    clock.advance(seconds=61)
    refused(register(http, WEB, short.token), "invalid_token", 401)


def test_a_refused_registration_does_not_spend_the_tokens_use(world: Runtime,
                                                              http: FlaskClient) -> None:
    set_registration(world, mode="initial-access-token")
    token = new_token(world, max_uses=1)
    refused(register(http, {"redirect_uris": ["http://evil.example/cb"]}, token.token),
            "invalid_redirect_uri")
    created(register(http, WEB, token.token))
    views = dcr_admin.list_tokens(admin_context(world, "test"), "acme")
    assert [(v["uses"], v["state"]) for v in views] == [(1, "used up")]


def test_parallel_registrations_cannot_share_a_tokens_last_use(world: Runtime,
                                                               app: Flask) -> None:
    set_registration(world, mode="initial-access-token")
    token = new_token(world, max_uses=1)
    parallel = 6
    barrier = threading.Barrier(parallel)

    def attempt(_: int) -> tuple[int, str | None]:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = register(client, WEB, token.token)
        return response.status_code, (response.get_json(silent=True) or {}).get("error")

    with ThreadPoolExecutor(parallel) as pool:
        outcomes = sorted(pool.map(attempt, range(parallel)), key=str)
    assert [o for o in outcomes if o[0] == 201] == [(201, None)], \
        f"one use must register exactly one client: {outcomes}"
    assert all(o == (401, "invalid_token") for o in outcomes if o[0] != 201), outcomes


def test_a_bad_body_without_a_valid_token_gets_401_not_the_metadata_rules(
        world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="initial-access-token")
    refused(register(http, {"redirect_uris": ["http://evil.example/cb"]}, "wrong"),
            "invalid_token", 401)


# --- open registration --------------------------------------------------------------------

def test_a_native_public_client_registers_openly_and_signs_in_on_loopback(
        world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="open")
    body = created(register(http, {
        "redirect_uris": ["com.example.app:/oauth2redirect", "http://127.0.0.1/callback"],
        "application_type": "native", "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "client_name": "Mobile",
        "scope": "openid profile offline_access"}))
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["application_type"] == "native"
    assert body["token_endpoint_auth_method"] == "none"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["scope"] == "openid profile offline_access"
    # RFC 8252 §7.3: a native app's loopback redirect may use any port at run time.
    tokens = signs_in(http, body["client_id"], None, "http://127.0.0.1:49152/callback",
                      "openid profile offline_access")
    assert tokens.get("refresh_token"), "offline_access with refresh_token: a refresh token"
    actors = {e[0] for e in audit_actions(world) if e[1] == "client.registered"}
    assert actors == {"dcr:open"}


def test_a_public_web_client_registers(world: Runtime, http: FlaskClient) -> None:
    set_registration(world, mode="open")
    body = created(register(http, {"redirect_uris": ["https://spa.partner.example/cb"],
                                   "token_endpoint_auth_method": "none"}))
    assert "client_secret" not in body
    assert body["application_type"] == "web"
    assert body["client_name"] == body["client_id"], "the default name is the client_id"


def test_client_secret_post_and_private_key_jwt_clients_register(world: Runtime,
                                                                 http: FlaskClient) -> None:
    set_registration(world, mode="open")
    post = created(register(http, {**WEB, "token_endpoint_auth_method": "client_secret_post"}))
    assert post["client_secret"] and post["token_endpoint_auth_method"] == "client_secret_post"
    jwks = {"keys": [public_jwk(ec.generate_private_key(ec.SECP256R1()), "k1")]}
    keyed = created(register(http, {**WEB, "token_endpoint_auth_method": "private_key_jwt",
                                    "jwks": jwks, "id_token_signed_response_alg": "ES256"}))
    assert "client_secret" not in keyed
    assert keyed["jwks"] == jwks
    assert keyed["id_token_signed_response_alg"] == "ES256"


def test_open_registration_is_throttled_per_source_address(world: Runtime,
                                                           http: FlaskClient) -> None:
    set_registration(world, mode="open")
    for _ in range(20):  # every attempt counts, refused ones too
        refused(register(http, {"redirect_uris": []}), "invalid_redirect_uri")
    response = register(http, WEB)
    refused(response, "invalid_request", 429)
    assert int(response.headers["Retry-After"]) > 0
    other = http.post(REGISTER, json=WEB, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    created(other)


# --- refusals -----------------------------------------------------------------------------

BAD_METADATA = [
    # Redirect URIs (RFC 8252, RFC 9700 §4.1): the reason is in error_description.
    ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri", "https"),
    ({"redirect_uris": ["http://127.0.0.1/cb"]}, "invalid_redirect_uri", "native"),
    ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri", "fragment"),
    ({"redirect_uris": ["https://*.example/cb"]}, "invalid_redirect_uri", "wildcard"),
    ({"redirect_uris": ["https://user:pw@app.example/cb"]}, "invalid_redirect_uri",
     "user information"),
    ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri", "native"),
    ({"redirect_uris": ["myapp:/cb"], "application_type": "native",
      "token_endpoint_auth_method": "none"}, "invalid_redirect_uri", "reverse domain"),
    ({"redirect_uris": ["com.example.app:/cb"], "application_type": "native"},
     "invalid_redirect_uri", "without a client secret"),
    ({"redirect_uris": ["http://app.example/cb"], "application_type": "native"},
     "invalid_redirect_uri", "loopback"),
    ({"redirect_uris": ["javascript:alert(1)"], "application_type": "native",
      "token_endpoint_auth_method": "none"}, "invalid_redirect_uri", "never a redirect"),
    ({"redirect_uris": ["https://APP.example/cb"]}, "invalid_redirect_uri", "must be written"),
    ({"redirect_uris": ["/cb"]}, "invalid_redirect_uri", "absolute"),
    ({"redirect_uris": [42]}, "invalid_client_metadata", "strings"),
    ({}, "invalid_redirect_uri", "required"),
    ({"redirect_uris": []}, "invalid_redirect_uri", "required"),
    ({"redirect_uris": "https://app.example/cb"}, "invalid_client_metadata", "array"),
    # Types and their consistency.
    ({**WEB, "response_types": ["token"]}, "invalid_client_metadata", "only code"),
    ({**WEB, "response_types": ["code id_token"]}, "invalid_client_metadata", "only code"),
    ({**WEB, "grant_types": ["client_credentials"]}, "invalid_client_metadata",
     "dynamically"),
    ({**WEB, "grant_types": ["implicit"]}, "invalid_client_metadata", "dynamically"),
    ({**WEB, "grant_types": ["refresh_token"]}, "invalid_client_metadata", "do not fit"),
    ({**WEB, "response_types": []}, "invalid_client_metadata", "do not fit"),
    ({**WEB, "token_endpoint_auth_method": "client_secret_jwt"}, "invalid_client_metadata",
     "token_endpoint_auth_method"),
    ({**WEB, "application_type": "desktop"}, "invalid_client_metadata", "application_type"),
    ({**WEB, "subject_type": "pairwise"}, "invalid_client_metadata", "subject_type"),
    # Scopes: the tenant's OpenID Connect scopes only, never an API's or the admin API's.
    ({**WEB, "scope": "openid stores:read"}, "invalid_client_metadata", "stores:read"),
    ({**WEB, "scope": "admin:write"}, "invalid_client_metadata", "admin:write"),
    ({**WEB, "scope": 7}, "invalid_client_metadata", "scope"),
    # Algorithms, keys.
    ({**WEB, "id_token_signed_response_alg": "none"}, "invalid_client_metadata", "alg"),
    ({**WEB, "id_token_signed_response_alg": "HS256"}, "invalid_client_metadata", "alg"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata",
     "jwks"),
    ({**WEB, "jwks": {"keys": []}}, "invalid_client_metadata", "private_key_jwt"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct",
      "k": "c2VjcmV0"}]}}, "invalid_client_metadata", "private"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "EC"}]}},
     "invalid_client_metadata", "usable"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt", "jwks": "keys"},
     "invalid_client_metadata", "JWK Set"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt",
      "jwks_uri": "https://127.0.0.1/jwks"}, "invalid_client_metadata", "jwks_uri"),
    ({**WEB, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://k.example/j",
      "jwks": {"keys": []}}, "invalid_client_metadata", "not both"),
    # Other metadata.
    ({**WEB, "client_name": 5}, "invalid_client_metadata", "client_name"),
    ({**WEB, "client_name": "x" * 201}, "invalid_client_metadata", "client_name"),
    ({**WEB, "client_uri": "http://partner.example"}, "invalid_client_metadata", "client_uri"),
    ({**WEB, "logo_uri": "javascript:alert(1)"}, "invalid_client_metadata", "logo_uri"),
    ({**WEB, "tos_uri": "https://u@partner.example"}, "invalid_client_metadata", "tos_uri"),
    ({**WEB, "contacts": "dev@partner.example"}, "invalid_client_metadata", "contacts"),
    ({**WEB, "contacts": [""]}, "invalid_client_metadata", "contacts"),
    ({**WEB, "post_logout_redirect_uris": ["http://app.example/bye"]},
     "invalid_client_metadata", "post_logout_redirect_uris"),
    ({**WEB, "backchannel_logout_uri": "http://rp.example/logout"}, "invalid_client_metadata",
     "backchannel_logout_uri"),
    ({**WEB, "backchannel_logout_session_required": "yes"}, "invalid_client_metadata",
     "backchannel_logout_session_required"),
    ({**WEB, "software_id": ["x"]}, "invalid_client_metadata", "software_id"),
    ({**WEB, "software_version": "v\x01"}, "invalid_client_metadata", "software_version"),
]


@pytest.mark.parametrize(("body", "error", "reason"), BAD_METADATA,
                         ids=[f"{i}-{b}"[:60] for i, (b, _, _) in enumerate(BAD_METADATA)])
def test_bad_metadata_is_refused_with_the_reason(world: Runtime, http: FlaskClient,
                                                 body: dict[str, Any], error: str,
                                                 reason: str) -> None:
    set_registration(world, mode="initial-access-token")
    token = new_token(world, max_uses=None)
    answer = refused(register(http, body, token.token), error)
    assert reason.lower() in answer.get("error_description", "").lower(), answer


MALFORMED = [
    (b"not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"a string"', "application/json"),
    (b"{" * 5000, "application/json"),
    (b'{"a": ' * 40 + b"1" + b"}" * 40, "application/json"),
    (json.dumps({"redirect_uris": [REDIRECT], "client_name": "a\u0000b"}).encode(),
     "application/json"),
    (json.dumps({**WEB, "client_name": "x" * 70_000}).encode(), "application/json"),
    (b"\xff\xfe", "application/json"),
    (b'{"redirect_uris": ["https://app.example/cb"]}', "text/plain"),
    (b"redirect_uris=https://app.example/cb", "application/x-www-form-urlencoded"),
    (b'{"redirect_uris": NaN}', "application/json"),
    (b'{"redirect_uris": [1e999]}', "application/json"),
]


@pytest.mark.parametrize(("raw", "content_type"), MALFORMED,
                         ids=[f"malformed-{i}" for i in range(len(MALFORMED))])
def test_malformed_or_oversized_bodies_are_400_invalid_client_metadata(
        world: Runtime, http: FlaskClient, raw: bytes, content_type: str) -> None:
    set_registration(world, mode="initial-access-token")
    token = new_token(world, max_uses=None)
    refused(register(http, None, token.token, raw=raw, content_type=content_type),
            "invalid_client_metadata")


# --- RFC 7592 management ------------------------------------------------------------------

@pytest.fixture
def registered(world: Runtime, http: FlaskClient) -> dict[str, Any]:
    set_registration(world, mode="open")
    return created(register(http, {**WEB, "contacts": ["dev@partner.example"]}))


def configuration(body: dict[str, Any]) -> str:
    return f"{REGISTER}/{body['client_id']}"


def test_read_returns_the_registration_without_secrets(http: FlaskClient,
                                                       registered: dict[str, Any]) -> None:
    response = http.get(configuration(registered),
                        headers=bearer(registered["registration_access_token"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["client_id"] == registered["client_id"]
    assert body["contacts"] == ["dev@partner.example"]
    assert body["redirect_uris"] == [REDIRECT]
    assert "client_secret" not in body and "registration_access_token" not in body


def test_wrong_missing_and_other_clients_tokens_get_the_same_401(
        world: Runtime, http: FlaskClient, registered: dict[str, Any]) -> None:
    other = created(register(http, WEB))
    cli_client = "web"  # registered by the operator, not dynamically
    answers = []
    for path, headers in (
            (configuration(registered), bearer("wrong")),
            (configuration(registered), {}),
            (configuration(registered), bearer(other["registration_access_token"])),
            (f"{REGISTER}/no-such-client", bearer(registered["registration_access_token"])),
            (f"{REGISTER}/{cli_client}", bearer(registered["registration_access_token"])),
            (f"{REGISTER}/{'x' * 300}", bearer("wrong"))):
        for method in ("GET", "PUT", "DELETE"):
            response = http.open(path, method=method, headers=headers,
                                 json={"client_id": "x", **WEB})
            refused(response, "invalid_token", 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer ")
            answers.append(response.get_json())
    assert all(a == answers[0] for a in answers), \
        f"the answers must not say whether a client exists: {answers}"


def test_update_replaces_the_metadata_and_rotates_the_registration_token(
        world: Runtime, http: FlaskClient, registered: dict[str, Any]) -> None:
    old_token = registered["registration_access_token"]
    response = http.put(configuration(registered), headers=bearer(old_token), json={
        "client_id": registered["client_id"], "client_secret": registered["client_secret"],
        "redirect_uris": ["https://app.example/cb", "https://app.example/other"],
        "client_name": "Renamed", "logo_uri": "https://partner.example/new.png"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["client_name"] == "Renamed"
    assert body["redirect_uris"] == ["https://app.example/cb", "https://app.example/other"]
    assert body["logo_uri"] == "https://partner.example/new.png"
    assert "contacts" not in body, "an update replaces: omitted fields are dropped"
    assert "client_secret" not in body, "the secret is kept, not re-issued"
    new_token_value = body["registration_access_token"]
    assert new_token_value and new_token_value != old_token

    refused(http.get(configuration(registered), headers=bearer(old_token)), "invalid_token", 401)
    assert http.get(configuration(registered), headers=bearer(new_token_value)).status_code == 200
    # The secret still authenticates the client (revocation answers 200 only then).
    assert http.post(f"{ISSUER_PATH}/revoke", data={"token": "x"}, headers=basic(
        registered["client_id"], registered["client_secret"])).status_code == 200

    events = [e for e in audit_actions(world) if e[2] == registered["client_id"]]
    updated = [e for e in events if e[1] == "client.registration_updated"]
    assert updated and updated[-1][0] == f"client:{registered['client_id']}"
    assert "contacts" in updated[-1][3]["changed"] and "logo_uri" in updated[-1][3]["changed"]
    assert any(e[1] == "client.updated" for e in events)


UPDATE_REFUSALS = [
    ({"client_id": None}, "invalid_client_metadata", "client_id"),  # None: left out
    ({"client_id": "someone-else", "redirect_uris": [REDIRECT]}, "invalid_client_metadata",
     "client_id"),
    ({"registration_access_token": "x"}, "invalid_client_metadata",
     "registration_access_token"),
    ({"client_id_issued_at": 1}, "invalid_client_metadata", "client_id_issued_at"),
    ({"client_secret": "not-the-secret"}, "invalid_client_metadata", "client_secret"),
    ({"token_endpoint_auth_method": "client_secret_post"}, "invalid_client_metadata",
     "cannot change"),
    ({"redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri", "https"),
    ({"scope": "openid stores:write"}, "invalid_client_metadata", "stores:write"),
]


@pytest.mark.parametrize(("change", "error", "reason"), UPDATE_REFUSALS,
                         ids=[str(i) for i in range(len(UPDATE_REFUSALS))])
def test_bad_updates_are_refused_and_change_nothing(
        http: FlaskClient, registered: dict[str, Any], change: dict[str, Any], error: str,
        reason: str) -> None:
    token = registered["registration_access_token"]
    body = {k: v for k, v in {"client_id": registered["client_id"], **WEB, **change}.items()
            if v is not None}
    answer = refused(http.put(configuration(registered), headers=bearer(token), json=body),
                     error)
    assert reason in answer["error_description"], answer
    after = http.get(configuration(registered), headers=bearer(token))
    assert after.status_code == 200, "a refused update must not rotate the token"
    assert after.get_json()["redirect_uris"] == [REDIRECT]


def test_a_malformed_update_body_is_400_once_the_token_is_right(
        http: FlaskClient, registered: dict[str, Any]) -> None:
    token = registered["registration_access_token"]
    refused(http.put(configuration(registered), headers=bearer(token), data=b"{",
                     content_type="application/json"), "invalid_client_metadata")
    refused(http.put(configuration(registered), headers=bearer(token), data=b"x",
                     content_type="text/plain"), "invalid_client_metadata")


def test_delete_removes_the_client_and_ends_its_credentials(
        world: Runtime, http: FlaskClient, registered: dict[str, Any]) -> None:
    tokens = signs_in(http, registered["client_id"], registered["client_secret"])
    token = registered["registration_access_token"]
    response = http.delete(configuration(registered), headers=bearer(token))
    assert response.status_code == 204 and response.data == b""
    refused(http.get(configuration(registered), headers=bearer(token)), "invalid_token", 401)
    refused(http.delete(configuration(registered), headers=bearer(token)), "invalid_token", 401)
    # As after `client delete`: the client no longer authenticates, so nothing it was
    # issued can be refreshed or introspected by it.
    refused(http.post(f"{ISSUER_PATH}/revoke", data={"token": tokens["access_token"]},
                      headers=basic(registered["client_id"], registered["client_secret"])),
            "invalid_client", 401)
    events = [e for e in audit_actions(world) if e[2] == registered["client_id"]]
    assert ("client:" + registered["client_id"], "client.deleted") in {(a, b) for a, b, _, _ in
                                                                       events}


def test_management_works_after_registration_is_turned_off(
        world: Runtime, http: FlaskClient, registered: dict[str, Any]) -> None:
    set_registration(world, mode="off")
    token = registered["registration_access_token"]
    assert http.get(configuration(registered), headers=bearer(token)).status_code == 200
    assert http.delete(configuration(registered), headers=bearer(token)).status_code == 204


# --- software statements ------------------------------------------------------------------

def public_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk = JWK.from_pyca(key.public_key())
    return {**json.loads(jwk.export_public()), "kid": kid, "alg": "ES256", "use": "sig"}


@pytest.fixture
def directory_key(world: Runtime) -> ec.EllipticCurvePrivateKey:
    """A software statement issuer the tenant trusts, and its signing key."""
    key = ec.generate_private_key(ec.SECP256R1())
    set_registration(world, mode="open", trust_issuer=(STATEMENT_ISSUER,
                                                       {"keys": [public_jwk(key, "dir-1")]}))
    return key


def statement(key: ec.EllipticCurvePrivateKey, clock: Clock, kid: str = "dir-1",
              **claims: Any) -> str:
    now = int(clock().timestamp())
    return jws.sign({"iss": STATEMENT_ISSUER, "iat": now - 10, "exp": now + 3600,
                     "software_id": "4NRB1-0XZABZI9E6-5SM3R", "client_name": "Certified app",
                     **claims}, key, "ES256", kid)


def test_a_trusted_statements_claims_take_precedence_over_the_body(
        world: Runtime, http: FlaskClient, clock: Clock,
        directory_key: ec.EllipticCurvePrivateKey) -> None:
    signed = statement(directory_key, clock, redirect_uris=[REDIRECT])
    body = created(register(http, {"software_statement": signed, "client_name": "Fake name",
                                   "redirect_uris": ["https://elsewhere.example/cb"],
                                   "software_id": "forged"}))
    assert body["client_name"] == "Certified app"
    assert body["redirect_uris"] == [REDIRECT]
    assert body["software_id"] == "4NRB1-0XZABZI9E6-5SM3R"
    assert body["software_statement"] == signed, "RFC 7591 §3.2.1: returned unmodified"
    event = [e for e in audit_actions(world) if e[1] == "client.registered"][-1]
    assert event[3]["software_statement_issuer"] == STATEMENT_ISSUER
    signs_in(http, body["client_id"], body["client_secret"])


def _unsigned(claims: dict[str, Any]) -> str:
    header = jws.b64url(json.dumps({"alg": "none"}).encode())
    return f"{header}.{jws.b64url(json.dumps(claims).encode())}."


def test_bad_software_statements_are_refused(
        world: Runtime, http: FlaskClient, clock: Clock,
        directory_key: ec.EllipticCurvePrivateKey) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    now = int(clock().timestamp())
    cases = [
        (_unsigned({"iss": STATEMENT_ISSUER, "redirect_uris": [REDIRECT]}),
         "invalid_software_statement"),
        ("not.a.jwt", "invalid_software_statement"),
        ("garbage", "invalid_software_statement"),
        (42, "invalid_software_statement"),
        (statement(stranger, clock), "invalid_software_statement"),
        (statement(stranger, clock, kid="other"), "invalid_software_statement"),
        (statement(directory_key, clock, exp=now - 120), "invalid_software_statement"),
        (statement(directory_key, clock, iat=now + 3600), "invalid_software_statement"),
        (statement(directory_key, clock, exp="tomorrow"), "invalid_software_statement"),
        (statement(directory_key, clock, iss="https://untrusted.example"),
         "unapproved_software_statement"),
        (statement(directory_key, clock, iss=["https://directory.example"]),
         "invalid_software_statement"),
        (statement(stranger, clock, iss="https://untrusted.example"),
         "unapproved_software_statement"),
    ]
    for value, error in cases:
        refused(register(http, {**WEB, "software_statement": value}), error)
    # The statement's metadata goes through the same rules as the body's.
    refused(register(http, {**WEB, "software_statement": statement(
        directory_key, clock, redirect_uris=["http://evil.example/cb"])}), "invalid_redirect_uri")


def test_a_statement_is_unapproved_when_the_tenant_trusts_no_issuer(
        world: Runtime, http: FlaskClient, clock: Clock) -> None:
    set_registration(world, mode="open")
    key = ec.generate_private_key(ec.SECP256R1())
    refused(register(http, {**WEB, "software_statement": statement(key, clock)}),
            "unapproved_software_statement")


def test_a_tenant_may_require_a_software_statement(
        world: Runtime, http: FlaskClient, clock: Clock,
        directory_key: ec.EllipticCurvePrivateKey) -> None:
    set_registration(world, requires_statement=True)
    answer = refused(register(http, WEB), "invalid_software_statement")
    assert "software statement" in answer["error_description"]
    created(register(http, {"software_statement": statement(directory_key, clock,
                                                            redirect_uris=[REDIRECT])}))


def test_a_self_registered_client_does_not_join_the_default_access_group(
        world: Runtime, http: FlaskClient) -> None:
    """The tenant's default access group grants APIs to the clients operators create; in
    open mode anybody registers, so such a client gets no group until an operator gives
    it one."""
    from authserver.services import access_groups
    from tests.support.apis import STORES_API

    ctx = admin_context(world, "test")
    group = access_groups.create_group(ctx, "acme", access_groups.GroupSpec(
        name="Partners", permissions={STORES_API: ["inventory:read"]}))
    access_groups.set_default_group(ctx, "acme", group["id"])
    set_registration(world, mode="open")
    body = created(register(http, {**WEB, "token_endpoint_auth_method": "none"}))
    assert access_groups.client_groups(ctx, "acme", body["client_id"]) == [], \
        "a self-registered client must not inherit the default group's API access"
    token = http.post(f"{ISSUER_PATH}/token", data={
        "grant_type": "client_credentials", "client_id": body["client_id"],
        "resource": STORES_API})
    assert token.status_code in (400, 401), "and it cannot get a token for the API"
