"""Structured hostile input never produces a 500, a stack trace or an ERROR log record
(SECURITY.md, "Availability and hostile input"). Random bytes rarely get past the first
parser; these strategies build input that does: JOSE objects whose JSON is nested up to
5000 levels, whose header members have the wrong types, whose numeric dates are out of
range, whose strings hold NUL or surrogate escapes, validly signed or not; ``claims``
parameters of the same kinds; Unicode (RTL marks, quotes, backslashes, control
characters, invalid UTF-8) in parameter names and values at every endpoint, sent as a
query, an urlencoded body or a multipart body; and multipart bodies with NUL.

Examples are derandomized (the same every run) and few: the regression tests for each
class live in the per-RFC modules; raise ``max_examples`` locally to explore.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authserver.runtime import Runtime
from tests.support.browser_flow import authorize, interaction_location
from tests.support.hostile import assert_handled, b64url_text, nested, signed_text
from tests.support.oauth import ISSUER_PATH, World, authorize_params, basic
from tests.support.tokens import (
    TOKEN,
    assertion_claims,
    build_world_with_jwt_client,
    jwt_client_key,
)

FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


client_key = jwt_client_key


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world_with_jwt_client(runtime)


# --- strategies ------------------------------------------------------------------------------

SPECIALS = ['"', "\\", "\u202e", "\u200f", "\u0000", "\u0001", "\x7f", "\u2028", "\ufeff",
            "é", "\U0001f600", "'", "<", "%", "&", "=", "+", " ", "\t", "\n"]
HOSTILE_TEXT = st.one_of(
    st.text(alphabet=st.one_of(st.sampled_from(SPECIALS),
                               st.characters(codec="utf-8")), max_size=30),
    st.sampled_from(SPECIALS),
)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False), HOSTILE_TEXT)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(HOSTILE_TEXT, inner, max_size=3)),
    max_leaves=6)
# Written as text: json.dumps cannot produce these, and nesting is never built as objects.
RAW_JSON_VALUES = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", '"\\ud800"', '"\\u0000"',
                     '"a\\udfffb"', "1" + "0" * 400, "-0", "1.5e-400"]),
    st.integers(1, 5000).map(nested),
    st.integers(1, 3000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
)
HEADER_NAMES = st.sampled_from(["alg", "kid", "typ", "crit", "jku", "jwk", "x5u", "x5c",
                                "b64", "zip", "cty"])
CLAIM_NAMES = st.sampled_from(["exp", "iat", "nbf", "iss", "sub", "aud", "jti", "scope",
                               "client_id", "auth_time", "sid", "x"])


def _object_text(members: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in members.items()) + "}"


@st.composite
def jose_objects(draw: st.DrawFn) -> str:
    """A compact JWS with hostile header and claims, sometimes validly signed by the
    registered client's key (so checks after the signature see the hostile values)."""
    header = {"alg": '"ES256"', "kid": json.dumps(client_key().kid), "typ": '"JWT"'}
    header.update(draw(st.dictionaries(HEADER_NAMES, RAW_JSON_VALUES, max_size=3)))
    claims = {k: json.dumps(v) for k, v in assertion_claims("jwt").items()}
    claims.update(draw(st.dictionaries(CLAIM_NAMES, RAW_JSON_VALUES, max_size=4)))
    header_text, claims_text = _object_text(header), _object_text(claims)
    if draw(st.booleans()):
        return signed_text(client_key(), header_text, claims_text)
    signature = draw(st.sampled_from(["AAAA", "", "+/+/", "A" * 86, "A" * 85 + "B"]))
    return f"{b64url_text(header_text)}.{b64url_text(claims_text)}.{signature}"


@st.composite
def claims_parameters(draw: st.DrawFn) -> str:
    member = draw(st.sampled_from(["userinfo", "id_token", "x"]))
    inner = draw(st.one_of(RAW_JSON_VALUES, st.dictionaries(
        HOSTILE_TEXT, RAW_JSON_VALUES, max_size=3).map(_object_text)))
    return _object_text({member: inner})


NAMES = st.one_of(st.sampled_from(["grant_type", "scope", "client_id", "redirect_uri",
                                   "response_type", "state", "code", "refresh_token",
                                   "token", "token_type_hint", "claims", "id_token_hint",
                                   "prompt", "max_age", "identifier", "password", "action",
                                   "csrf_token", "access_token", "resource", "nonce"]),
                  HOSTILE_TEXT)
PARAMS = st.lists(st.tuples(NAMES, HOSTILE_TEXT), max_size=6)


def _encode(params: list[tuple[str, str]], raw_tail: bytes) -> str:
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    # Percent-encoded raw bytes: invalid UTF-8 and encoded surrogates (%ED%A0%80).
    return encoded + ("&x=" + quote_from_bytes(raw_tail) if raw_tail else "")


# --- JOSE inputs -----------------------------------------------------------------------------

JOSE_TARGETS = ["userinfo-header", "userinfo-form", "introspect", "revoke", "assertion",
                "logout-get", "logout-post"]


def _send_jose(http: FlaskClient, world: World, target: str, token: str) -> Any:
    service = basic(world.service_id, world.service_secret)
    if target == "userinfo-header":
        return http.get(f"{ISSUER_PATH}/userinfo", headers={"Authorization": f"Bearer {token}"})
    if target == "userinfo-form":
        return http.post(f"{ISSUER_PATH}/userinfo", data={"access_token": token})
    if target in ("introspect", "revoke"):
        return http.post(f"{ISSUER_PATH}/{target}", data={"token": token}, headers=service)
    if target == "assertion":
        return http.post(TOKEN, data={"grant_type": "client_credentials",
                                      "client_assertion_type": ASSERTION_TYPE,
                                      "client_assertion": token})
    if target == "logout-get":
        return http.get(f"{ISSUER_PATH}/logout?{urlencode({'id_token_hint': token})}")
    return http.post(f"{ISSUER_PATH}/logout", data={"id_token_hint": token})


def test_hostile_jose_objects_at_every_jose_input(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    @FUZZ
    @given(token=jose_objects(), target=st.sampled_from(JOSE_TARGETS))
    def run(token: str, target: str) -> None:
        caplog.clear()
        assert_handled(_send_jose(http, world, target, token), caplog,
                       f"{target} with {token[:120]}")

    run()


def test_hostile_claims_parameters(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    @FUZZ
    @given(claims=claims_parameters(), method=st.sampled_from(["GET", "POST"]))
    def run(claims: str, method: str) -> None:
        caplog.clear()
        params = authorize_params(claims=claims, code_challenge="x" * 43,
                                  code_challenge_method="S256")
        assert_handled(authorize(http, params, method), caplog, f"claims={claims[:120]}")

    run()


# --- Unicode in names and values, everywhere -------------------------------------------------

ENDPOINTS = [("GET", "/authorize"), ("POST", "/authorize"), ("POST", "/token"),
             ("POST", "/revoke"), ("POST", "/introspect"), ("GET", "/userinfo"),
             ("POST", "/userinfo"), ("GET", "/logout"), ("POST", "/logout"),
             ("POST", "/logout/confirm"), ("GET", "/.well-known/openid-configuration"),
             ("GET", "/jwks"), ("GET", "/interaction/UID"), ("POST", "/interaction/UID/login"),
             ("POST", "/interaction/UID/consent")]
GRANTS = st.sampled_from(["authorization_code", "client_credentials", "refresh_token",
                          "password", "urn:ietf:params:oauth:grant-type:device_code", "é\""])


@pytest.fixture
def interaction_uid(world: World, http: FlaskClient) -> str:
    """A pending sign-in in ``http``'s flow cookie, so interaction pages get past lookup."""
    location = interaction_location(authorize(http, authorize_params(
        code_challenge="x" * 43, code_challenge_method="S256")))
    return location.rstrip("/").split("/interaction/", 1)[1].split("/", 1)[0]


def test_unicode_in_parameter_names_and_values_at_every_endpoint(
        world: World, http: FlaskClient, interaction_uid: str,
        caplog: pytest.LogCaptureFixture) -> None:
    @FUZZ
    @given(endpoint=st.sampled_from(ENDPOINTS), params=PARAMS, grant=GRANTS,
           raw=st.binary(max_size=6), body=st.sampled_from(["urlencoded", "multipart"]),
           auth=st.booleans())
    def run(endpoint: tuple[str, str], params: list[tuple[str, str]], grant: str,
            raw: bytes, body: str, auth: bool) -> None:
        caplog.clear()
        method, path = endpoint[0], ISSUER_PATH + endpoint[1].replace("UID", interaction_uid)
        if path.endswith("/token"):
            params = [("grant_type", grant), *params]
        headers = basic(world.web_id, world.web_secret) if auth else {}
        what = f"{method} {path} {params!r} {raw!r}"[:300]
        if method == "GET":
            response = http.get(f"{path}?{_encode(params, raw)}", headers=headers)
        elif body == "urlencoded":
            response = http.post(path, data=_encode(params, raw), headers=headers,
                                 content_type="application/x-www-form-urlencoded")
        else:
            response = http.post(path, data=dict(params), headers=headers,
                                 content_type="multipart/form-data")
        assert_handled(response, caplog, what)

    run()


def test_multipart_bodies_with_nul(
        world: World, http: FlaskClient, interaction_uid: str,
        caplog: pytest.LogCaptureFixture) -> None:
    import io

    @FUZZ
    @given(path=st.sampled_from(["/interaction/UID/login", "/interaction/UID/consent",
                                 "/authorize", "/logout", "/logout/confirm", "/userinfo"]),
           name=HOSTILE_TEXT, value=HOSTILE_TEXT,
           where=st.sampled_from(["name", "value", "filename"]))
    def run(path: str, name: str, value: str, where: str) -> None:
        caplog.clear()
        name = name or "field"
        fields: dict[str, Any] = {"identifier": "ann@example.com", "password": "x",
                                  "action": "login"}
        if where == "name":
            fields[name + "\x00"] = value
        elif where == "value":
            fields[name] = value + "\x00"
        else:
            fields[name] = (io.BytesIO(value.encode()), f"{value}\x00.txt")
        response = http.post(ISSUER_PATH + path.replace("UID", interaction_uid), data=fields,
                             content_type="multipart/form-data")
        assert_handled(response, caplog, f"multipart NUL in {where}: {name!r}={value!r}")
        # CR, LF or a quote in a part's header ends the name early, and the NUL after it
        # never reaches a view: only then need the answer be 400.
        if not any(c in name + value for c in '\r\n"\\'):
            assert response.status_code == 400, (
                f"a NUL in a multipart {where} must be refused: {response.status_code}")

    run()
