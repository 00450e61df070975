"""JOSE input we did not sign (RFC 7515, RFC 8725): bearer tokens at userinfo and
introspection, client assertions at the token endpoint, ``id_token_hint`` at logout, and
the ``claims`` request parameter. Whatever their shape, each is refused with that
endpoint's own error, never a 500:

- JSON nested thousands of levels deep (Python's json would raise RecursionError);
- header members of the wrong JSON type: ``alg``, ``kid``, ``typ`` as lists or objects,
  and ``crit`` in any form (RFC 7515 §4.1);
- base64url that is not the strict, canonical, unpadded alphabet of RFC 7515 §2;
- NUL characters in JSON strings (PostgreSQL text cannot hold them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.browser_flow import assert_error_page, assert_error_redirect, authorize
from tests.support.hostile import assert_handled, compact, nested, signed_text
from tests.support.oauth import ISSUER_PATH, REDIRECT, World, authorize_params
from tests.support.tokens import (
    TOKEN,
    USERINFO,
    assertion_claims,
    assertion_form,
    build_world_with_jwt_client,
    client_credentials,
    expect_error,
    expect_tokens,
    introspect,
    jwt_client_key,
)

DEEP = 5000
ES = json.dumps({"alg": "ES256", "typ": "JWT"})
CC = {"grant_type": "client_credentials"}


client_key = jwt_client_key


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world_with_jwt_client(runtime)


def deep_in_header() -> str:
    return compact('{"alg":"ES256","x":' + nested(DEEP) + "}", "{}")


def deep_in_payload() -> str:
    return compact(ES, '{"sub":"jwt","x":' + nested(DEEP) + "}")


def deep_in_signed_assertion() -> str:
    # Validly signed: the depth limit must hold wherever parsing happens.
    claims = json.dumps(assertion_claims("jwt"))
    return signed_text(client_key(), ES, claims[:-1] + ',"x":' + nested(DEEP) + "}")


DEEP_TOKENS = [pytest.param(deep_in_header, id="header"),
               pytest.param(deep_in_payload, id="payload"),
               pytest.param(deep_in_signed_assertion, id="signed-payload")]


# --- nesting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", DEEP_TOKENS)
def test_a_deeply_nested_bearer_token_is_invalid_token_at_userinfo(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        token: Callable[[], str]) -> None:
    response = http.get(USERINFO, headers={"Authorization": f"Bearer {token()}"})
    assert_handled(response, caplog, "userinfo, nested JSON in the bearer token")
    assert response.status_code == 401, f"expected 401, got {response.status_code}"
    assert 'error="invalid_token"' in response.headers.get("WWW-Authenticate", ""), (
        "RFC 6750 §3.1: a malformed token is invalid_token")


@pytest.mark.parametrize("token", DEEP_TOKENS)
def test_a_deeply_nested_token_introspects_as_inactive(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        token: Callable[[], str]) -> None:
    response = introspect(http, token(), world.service_id, world.service_secret)
    assert_handled(response, caplog, "introspection, nested JSON in the token")
    assert response.status_code == 200 and response.get_json() == {"active": False}, (
        f"RFC 7662 §2.2: an unusable token is inactive, got {response.get_data(as_text=True)}")


@pytest.mark.parametrize("token", DEEP_TOKENS)
def test_a_deeply_nested_client_assertion_is_invalid_client(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        token: Callable[[], str]) -> None:
    response = http.post(TOKEN, data={**CC, **assertion_form("jwt", token())})
    assert_handled(response, caplog, "token endpoint, nested JSON in client_assertion")
    expect_error(response, 401, "invalid_client", "nested JSON in client_assertion")


@pytest.mark.parametrize("token", DEEP_TOKENS)
def test_a_deeply_nested_id_token_hint_gets_the_logout_error_page(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        token: Callable[[], str]) -> None:
    response = http.get(f"{ISSUER_PATH}/logout?{urlencode({'id_token_hint': token()})}")
    assert_handled(response, caplog, "logout, nested JSON in id_token_hint")
    assert_error_page(response, "nested JSON in id_token_hint")


@pytest.mark.parametrize("claims", [
    pytest.param('{"userinfo":' + nested(2000) + "}", id="arrays-2000-deep"),
    pytest.param('{"userinfo":{"email":' + '{"a":' * 600 + "1" + "}" * 601 + "}",
                 id="objects-600-deep"),
    pytest.param('{"userinfo":{"email":{"values":' + nested(20, '"x"') + "}}}",
                 id="arrays-20-deep-inside-a-claim"),
])
def test_a_deeply_nested_claims_parameter_is_invalid_request(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, claims: str) -> None:
    request = authorize_params(claims=claims, code_challenge="x" * 43,
                               code_challenge_method="S256")
    response = authorize(http, request)
    assert_handled(response, caplog, "authorize, nested JSON in claims")
    assert_error_redirect(response, "invalid_request", REDIRECT, request["state"])


def test_a_claims_parameter_of_ordinary_depth_is_accepted(
        world: World, http: FlaskClient) -> None:
    claims = json.dumps({"userinfo": {"email": {"essential": True, "values": ["a", "b"]}},
                         "id_token": {"name": None}})
    request = authorize_params(claims=claims, code_challenge="x" * 43,
                               code_challenge_method="S256")
    response = authorize(http, request)
    assert "/interaction/" in response.headers.get("Location", ""), (
        f"expected the login page for a well-formed claims request, got "
        f"{response.status_code} {response.headers.get('Location')}")


# --- header member types ---------------------------------------------------------------------

WRONG_HEADERS = [
    pytest.param({"alg": ["ES256"]}, id="alg-list"),
    pytest.param({"alg": {"ES256": True}}, id="alg-object"),
    pytest.param({"alg": None}, id="alg-null"),
    pytest.param({"alg": 256}, id="alg-number"),
    pytest.param({"kid": ["k"]}, id="kid-list"),
    pytest.param({"kid": {"k": 1}}, id="kid-object"),
    pytest.param({"kid": 1}, id="kid-number"),
    pytest.param({"typ": ["JWT"]}, id="typ-list"),
    pytest.param({"typ": {"JWT": 1}}, id="typ-object"),
    pytest.param({"crit": ["exp"], "exp": 1}, id="crit-list"),
    pytest.param({"crit": "exp"}, id="crit-string"),
    pytest.param({"crit": {}}, id="crit-object"),
]


def _header(change: dict[str, Any]) -> str:
    header = {"alg": "ES256", "kid": client_key().kid, "typ": "JWT", **change}
    return json.dumps(header)


@pytest.mark.parametrize("change", WRONG_HEADERS)
def test_a_validly_signed_assertion_with_a_wrong_typed_header_member_is_invalid_client(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        change: dict[str, Any]) -> None:
    assertion = signed_text(client_key(), _header(change), json.dumps(assertion_claims("jwt")))
    response = http.post(TOKEN, data={**CC, **assertion_form("jwt", assertion)})
    assert_handled(response, caplog, f"client assertion with header {change}")
    expect_error(response, 401, "invalid_client", f"client assertion with header {change}")


@pytest.mark.parametrize("change", WRONG_HEADERS)
def test_a_bearer_token_with_a_wrong_typed_header_member_is_refused(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture,
        change: dict[str, Any]) -> None:
    token = compact(_header(change), json.dumps({"sub": "x"}))
    response = http.get(USERINFO, headers={"Authorization": f"Bearer {token}"})
    assert_handled(response, caplog, f"userinfo, header {change}")
    assert response.status_code == 401, f"userinfo, header {change}: {response.status_code}"
    response = introspect(http, token, world.service_id, world.service_secret)
    assert_handled(response, caplog, f"introspection, header {change}")
    assert response.get_json() == {"active": False}, f"introspection, header {change}"
    response = http.get(f"{ISSUER_PATH}/logout?{urlencode({'id_token_hint': token})}")
    assert_handled(response, caplog, f"logout, header {change}")
    assert_error_page(response, f"id_token_hint with header {change}")


def test_the_well_typed_assertion_those_variants_start_from_is_accepted(
        world: World, http: FlaskClient) -> None:
    assertion = signed_text(client_key(), _header({}), json.dumps(assertion_claims("jwt")))
    expect_tokens(http.post(TOKEN, data={**CC, **assertion_form("jwt", assertion)}),
                  "the unmodified assertion")


# --- NUL in JSON strings ---------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["sub", "iss", "jti", "aud"])
def test_a_nul_in_a_client_assertion_claim_is_invalid_client(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, claim: str) -> None:
    claims = assertion_claims("jwt")
    claims[claim] = claims[claim] + "\x00"
    assertion = signed_text(client_key(), _header({}), json.dumps(claims))
    response = http.post(TOKEN, data={**CC, **assertion_form(None, assertion)})
    assert_handled(response, caplog, f"NUL in the assertion's {claim}")
    expect_error(response, 401, "invalid_client", f"NUL in the assertion's {claim}")


# --- strict base64url (RFC 7515 §2) ----------------------------------------------------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _standard_alphabet(signature: str) -> str | None:
    """The same bytes in base64's standard alphabet, if the signature has a - or _."""
    if "-" not in signature and "_" not in signature:
        return None
    return signature.replace("-", "+").replace("_", "/")


def _trailing_bits_set(signature: str) -> str:
    # 64 bytes take 86 characters; the last one carries 4 unused bits, which must be 0.
    assert len(signature) % 4 == 2, "an ES256 signature is 86 base64url characters"
    last = _ALPHABET.index(signature[-1])
    return signature[:-1] + _ALPHABET[last | 0b0001]


MANGLES: list[Any] = [
    pytest.param(_standard_alphabet, id="plus-and-slash"),
    # Python's decoder skips characters outside the alphabet; three make up the padding.
    pytest.param(lambda s: s + "***", id="trailing-junk"),
    pytest.param(lambda s: s[:43] + "\n\n\n" + s[43:], id="embedded-newlines"),
    pytest.param(lambda s: s + "==", id="padding"),
    pytest.param(_trailing_bits_set, id="non-zero-trailing-bits"),
    pytest.param(lambda s: s + "AAA", id="length-1-mod-4"),
]


@pytest.mark.parametrize("mangle", MANGLES)
def test_a_valid_token_with_a_mangled_signature_encoding_is_inactive(
        world: World, http: FlaskClient, mangle: Callable[[str], str | None]) -> None:
    for _ in range(40):  # ECDSA signatures are random: find one the mangle applies to
        token = expect_tokens(client_credentials(http, world), "service token")["access_token"]
        head, body, signature = token.split(".")
        mangled = mangle(signature)
        if mangled is not None:
            break
    assert mangled is not None and mangled != signature, "no token to mangle"
    assert introspect(http, token, world.service_id, world.service_secret).get_json()[
        "active"] is True, "the unmangled token must be active"
    response = introspect(http, f"{head}.{body}.{mangled}", world.service_id,
                          world.service_secret)
    assert response.get_json() == {"active": False}, (
        f"RFC 7515 §2: {mangled!r} is not the base64url of the signature, yet the token "
        f"introspected {response.get_json()}")


@pytest.mark.parametrize("mangle", MANGLES)
def test_an_assertion_with_a_mangled_signature_encoding_is_invalid_client(
        world: World, http: FlaskClient, mangle: Callable[[str], str | None]) -> None:
    for _ in range(40):
        assertion = signed_text(client_key(), _header({}), json.dumps(assertion_claims("jwt")))
        head, body, signature = assertion.split(".")
        mangled = mangle(signature)
        if mangled is not None:
            break
    assert mangled is not None, "no assertion to mangle"
    response = http.post(TOKEN, data={**CC, **assertion_form("jwt", f"{head}.{body}.{mangled}")})
    expect_error(response, 401, "invalid_client", f"assertion signature spelled {mangled!r}")

