"""Client authentication at the token endpoint (RFC 6749 §2.3, OIDC Core §9):
client_secret_basic, client_secret_post, private_key_jwt (RFC 7523 §2.2, §3; RFC 9700
§2.3 audience hardening) and ``none`` for public clients only. Each client may use only
the method it registered."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.conftest import Clock
from tests.support.apis import STORES_API, set_introspection_clients
from tests.support.oauth import ISSUER, World, basic, build_world
from tests.support.tokens import (
    INTROSPECT,
    TOKEN,
    TOKEN_ENDPOINT,
    ClientKey,
    add_client,
    assertion_claims,
    assertion_form,
    b64url_json,
    client_credentials,
    describe,
    expect_error,
    expect_tokens,
    hs256_jwt,
    unsigned_jwt,
    verify_jwt,
)

CC = {"grant_type": "client_credentials"}


@functools.cache
def client_key(alg: str, which: str = "client") -> ClientKey:
    # Client key pairs belong to the test clients, not the server: one per module run.
    return ClientKey(alg)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def post_secret(runtime: Runtime, world: World) -> str:
    secret = add_client(runtime, ClientSpec(
        name="Poster", client_id="poster", grant_types=("client_credentials",),
        scopes=("stores:read",), auth_method="client_secret_post"))
    assert secret
    return secret


@pytest.fixture
def jwt_clients(runtime: Runtime, world: World) -> None:
    for alg, client_id in (("ES256", "jwt-es"), ("RS256", "jwt-rs")):
        add_client(runtime, ClientSpec(
            name=client_id, client_id=client_id, grant_types=("client_credentials",),
            scopes=("stores:read",), auth_method="private_key_jwt",
            jwks=client_key(alg).jwks))


def with_assertion(http: FlaskClient, assertion: str, client_id: str | None = "jwt-es",
                   path: str = TOKEN, **extra: str) -> Any:
    return http.post(path, data={**CC, **assertion_form(client_id, assertion), **extra}
                     if path == TOKEN else {**assertion_form(client_id, assertion), **extra})


def es_assertion(clock: Clock, **overrides: Any) -> str:
    return client_key("ES256").sign(assertion_claims("jwt-es", clock.now.timestamp(),
                                                     **overrides))


def refused(response: Any, what: str) -> None:
    expect_error(response, 401, "invalid_client", what)
    assert "access_token" not in (response.get_json() or {}), f"{what}: a token was issued"


# --- client secrets --------------------------------------------------------------------------


def test_client_secret_basic_authenticates(world: World, http: FlaskClient) -> None:
    expect_tokens(client_credentials(http, world), "client_secret_basic")


def test_client_secret_post_authenticates(
    world: World, post_secret: str, http: FlaskClient
) -> None:
    response = http.post(TOKEN, data={**CC, "client_id": "poster", "client_secret": post_secret})
    expect_tokens(response, "client_secret_post")


def test_a_basic_client_cannot_switch_to_post(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={**CC, "client_id": world.service_id,
                                      "client_secret": world.service_secret})
    refused(response, "service registered client_secret_basic but sent client_secret_post")


def test_a_post_client_cannot_switch_to_basic(
    world: World, post_secret: str, http: FlaskClient
) -> None:
    refused(http.post(TOKEN, data=CC, headers=basic("poster", post_secret)),
            "poster registered client_secret_post but sent client_secret_basic")


def test_the_basic_header_is_form_urlencoded_per_rfc6749_section_2_3_1(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    # Secrets we generate are URL-safe, so the encoded and raw forms coincide; the header
    # must still be decoded with percent-decoding, not taken raw.
    from urllib.parse import quote

    header = basic(quote(world.service_id, safe=""), quote(world.service_secret, safe=""))
    expect_tokens(http.post(TOKEN, data=CC, headers=header), "url-encoded Basic credentials")


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), id="last-char-changed"),
    pytest.param(lambda s: s[:-1], id="one-char-short"),
    pytest.param(lambda s: s + "x", id="one-char-long"),
    pytest.param(lambda s: s.swapcase(), id="case-flipped"),
    pytest.param(lambda s: s[: len(s) // 2], id="prefix"),
    pytest.param(lambda s: "", id="empty"),
    pytest.param(lambda s: s + "\x00", id="nul-suffix"),
])
def test_a_near_miss_secret_fails(world: World, http: FlaskClient, mangle: Any) -> None:
    response = client_credentials(http, world, secret=mangle(world.service_secret))
    refused(response, "a near-miss secret")


def test_another_clients_secret_fails(world: World, http: FlaskClient) -> None:
    refused(client_credentials(http, world, secret=world.web_secret),
            "service authenticated with web's secret")


def test_two_authentication_methods_at_once_are_refused(
    world: World, post_secret: str, http: FlaskClient
) -> None:
    # RFC 6749 §2.3: a client MUST NOT use more than one method in a request.
    response = http.post(TOKEN, data={**CC, "client_id": "poster", "client_secret": post_secret},
                         headers=basic(world.service_id, world.service_secret))
    assert response.status_code in (400, 401), f"two methods at once: {describe(response)}"
    assert response.get_json()["error"] in ("invalid_request", "invalid_client"), (
        f"two methods at once: {describe(response)}")


# --- none ------------------------------------------------------------------------------------


def test_none_is_refused_for_a_confidential_client(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "x",
                                      "client_id": world.web_id})
    refused(response, "web (confidential) sent only its client_id")
    refused(http.post(TOKEN, data={**CC, "client_id": world.service_id}),
            "service sent only its client_id")


def test_a_public_client_cannot_present_a_secret(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "x"},
                         headers=basic(world.spa_id, "made-up-secret"))
    refused(response, "spa (public, none) presented a client secret")


# --- private_key_jwt (RFC 7523) ----------------------------------------------------------


@pytest.mark.parametrize(("alg", "client_id"), [("ES256", "jwt-es"), ("RS256", "jwt-rs")])
def test_private_key_jwt_authenticates(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock, alg: str, client_id: str
) -> None:
    assertion = client_key(alg).sign(assertion_claims(client_id, clock.now.timestamp()))
    body = expect_tokens(with_assertion(http, assertion, client_id), f"{alg} client assertion")
    assert verify_jwt(http, body["access_token"])[1]["client_id"] == client_id


def test_client_id_may_be_left_out_with_an_assertion(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    expect_tokens(with_assertion(http, es_assertion(clock), client_id=None),
                  "RFC 7521 §4.2: client_id is optional next to an assertion")


def test_a_replayed_jti_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    assertion = es_assertion(clock)
    expect_tokens(with_assertion(http, assertion), "first use of the assertion")
    refused(with_assertion(http, assertion), "the same assertion (same jti) a second time")
    again = es_assertion(clock, jti=json.loads(
        __import__("base64").urlsafe_b64decode(assertion.split(".")[1] + "==")).get("jti"))
    refused(with_assertion(http, again), "a fresh assertion reusing a spent jti")


@pytest.mark.parametrize("aud", [ISSUER, TOKEN_ENDPOINT, [ISSUER]])
def test_the_audience_may_be_the_issuer_or_the_token_endpoint(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock, aud: Any
) -> None:
    expect_tokens(with_assertion(http, es_assertion(clock, aud=aud)), f"aud={aud!r}")


@pytest.mark.parametrize("aud", [
    pytest.param([ISSUER, "https://other.example"], id="issuer-plus-another"),
    pytest.param([ISSUER, TOKEN_ENDPOINT], id="issuer-and-token-endpoint"),
    pytest.param("https://other.example/token", id="other-server"),
    pytest.param(f"{ISSUER}/introspect", id="other-endpoint"),
    pytest.param("http://127.0.0.1:8000/t/other", id="other-tenant"),
    pytest.param(ISSUER + "/", id="trailing-slash"),
    pytest.param([], id="empty-list"),
    pytest.param(None, id="missing"),
])
def test_any_other_audience_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock, aud: Any
) -> None:
    refused(with_assertion(http, es_assertion(clock, aud=aud)), f"aud={aud!r}")


def test_an_expired_assertion_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    assertion = es_assertion(clock)
    clock.advance(minutes=5)
    refused(with_assertion(http, assertion), "an assertion used 3 minutes after its exp")


def test_an_assertion_valid_too_long_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    now = int(clock.now.timestamp())
    refused(with_assertion(http, es_assertion(clock, exp=now + 3600 + 60)),
            "exp an hour and a minute ahead (above the default one-hour maximum)")
    refused(with_assertion(http, es_assertion(clock, exp=None)), "no exp at all")


def test_an_assertion_issued_in_the_future_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    now = int(clock.now.timestamp())
    refused(with_assertion(http, es_assertion(clock, iat=now + 300, exp=now + 400)),
            "iat five minutes in the future")


@pytest.mark.parametrize("claims", [
    pytest.param({"iss": "jwt-rs"}, id="iss-is-another-client"),
    pytest.param({"sub": "jwt-rs"}, id="sub-is-another-client"),
    pytest.param({"iss": None}, id="no-iss"),
])
def test_iss_and_sub_must_both_be_the_client(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock, claims: dict[str, Any]
) -> None:
    refused(with_assertion(http, es_assertion(clock, **claims)), f"claims {claims}")


def test_client_id_must_match_the_assertion_subject(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    refused(with_assertion(http, es_assertion(clock), client_id="jwt-rs"),
            "client_id jwt-rs with an assertion for jwt-es")


def test_a_missing_jti_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    refused(with_assertion(http, es_assertion(clock, jti=None)), "no jti")
    refused(with_assertion(http, es_assertion(clock, jti="")), "empty jti")


def test_an_assertion_signed_by_another_key_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    intruder = client_key("ES256", "intruder")
    claims = assertion_claims("jwt-es", clock.now.timestamp())
    refused(with_assertion(http, intruder.sign(claims)), "signed by an unregistered key")
    # Same kid as the registered key: the signature still has to verify.
    refused(with_assertion(http, intruder.sign(claims, {"kid": client_key("ES256").kid})),
            "an unregistered key claiming the registered kid")


def test_a_key_embedded_in_the_header_is_never_trusted(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    intruder = client_key("ES256", "intruder")
    claims = assertion_claims("jwt-es", clock.now.timestamp())
    for header in ({"jwk": intruder.public_jwk},
                   {"jku": "https://evil.example/jwks"},
                   {"x5u": "https://evil.example/cert"}):
        refused(with_assertion(http, intruder.sign(claims, header)), f"header {list(header)}")


def test_alg_none_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    claims = assertion_claims("jwt-es", clock.now.timestamp())
    refused(with_assertion(http, unsigned_jwt(claims)), "alg none")
    signed = client_key("ES256").sign(claims)
    head = b64url_json({"alg": "none", "kid": client_key("ES256").kid})
    refused(with_assertion(http, head + "." + signed.split(".")[1] + "."),
            "a real assertion rewritten to alg none")


def test_hs256_keyed_with_the_clients_public_key_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    key = client_key("RS256")
    claims = assertion_claims("jwt-rs", clock.now.timestamp())
    for secret in (key.public_pem(), json.dumps(key.public_jwk).encode(),
                   key.public_jwk["n"].encode()):
        refused(with_assertion(http, hs256_jwt(claims, secret, key.kid), "jwt-rs"),
                "HS256 keyed with the client's public key (algorithm confusion)")


def test_an_unknown_critical_header_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    key = client_key("ES256")
    assertion = key.sign_raw({"alg": "ES256", "kid": key.kid, "crit": ["urn:example:x"],
                              "urn:example:x": True},
                             assertion_claims("jwt-es", clock.now.timestamp()))
    refused(with_assertion(http, assertion), "crit header we do not understand")


def test_an_oversized_assertion_is_a_fast_client_error(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    assertion = es_assertion(clock, padding="x" * 15_000)
    response = with_assertion(http, assertion)
    assert response.status_code in (400, 401), f"oversized assertion: {describe(response)}"
    assert response.get_json()["error"] in ("invalid_request", "invalid_client")


def test_a_wrong_assertion_type_is_refused(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    response = with_assertion(http, es_assertion(clock),
                              client_assertion_type="urn:ietf:params:oauth:grant-type:saml2-bearer")
    refused(response, "a client_assertion_type other than jwt-bearer")


def test_a_secret_client_cannot_authenticate_with_an_assertion(
    world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    claims = assertion_claims(world.service_id, clock.now.timestamp())
    refused(with_assertion(http, client_key("ES256").sign(claims), world.service_id),
            "service registered client_secret_basic but sent private_key_jwt")


def test_a_jwt_client_cannot_fall_back_to_a_secret(
    world: World, jwt_clients: None, http: FlaskClient
) -> None:
    refused(http.post(TOKEN, data=CC, headers=basic("jwt-es", "anything")),
            "private_key_jwt client using client_secret_basic")
    refused(http.post(TOKEN, data={**CC, "client_id": "jwt-es"}),
            "private_key_jwt client sending only its client_id")


def test_private_key_jwt_works_at_introspection_with_its_own_jti_rules(
    runtime: Runtime, world: World, jwt_clients: None, http: FlaskClient, clock: Clock
) -> None:
    # jwt-es is the stores API's resource server, so it may introspect its tokens.
    set_introspection_clients(runtime, STORES_API, ["jwt-es"])
    token = expect_tokens(client_credentials(http, world, resources=[STORES_API]),
                          "a token to introspect")
    assertion = es_assertion(clock)
    response = with_assertion(http, assertion, path=INTROSPECT, token=token["access_token"])
    assert response.status_code == 200 and response.get_json()["active"] is True, (
        f"introspection with private_key_jwt: {describe(response)}")
    refused(with_assertion(http, assertion, path=INTROSPECT, token=token["access_token"]),
            "the same assertion replayed at the introspection endpoint")
