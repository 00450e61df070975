"""Authorization request validation (protocol/authorization.py), rule by rule.

RFC 6749 §4.1.1 and §4.1.2.1, RFC 7636 §4.3, RFC 9700 §2.1 and §4.1, OIDC Core §3.1.2.1
and §3.1.2.6. ``trusted_client`` decides whether errors may go to the redirect URI at all;
``validate`` checks the rest, in a fixed order, each failure with its exact error code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from authserver.protocol import pkce
from authserver.protocol.authorization import (
    MAX_HINT,
    MAX_NONCE,
    MAX_STATE,
    AuthorizationRequest,
    RedirectTarget,
    UntrustedRequest,
    trusted_client,
    validate,
)
from authserver.protocol.errors import OAuth2Error
from authserver.protocol.ports import ClientRecord
from tests.unit.protocol.fakes import FakeApis, FakeClientDirectory, api, client

VERIFIER = "v" * 43
CHALLENGE = pkce.s256(VERIFIER)
REDIRECT = "https://app.example/cb"
VALID: dict[str, str] = {
    "client_id": "app", "redirect_uri": REDIRECT, "response_type": "code",
    "scope": "openid profile", "state": "s-1", "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def params(**changes: str | None) -> dict[str, str]:
    """VALID with ``changes``; a change to None removes the parameter."""
    merged: dict[str, str | None] = {**VALID, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def check(request: Mapping[str, str], registered: ClientRecord | None = None,
          resources: Sequence[str] = ()) -> AuthorizationRequest:
    directory = FakeClientDirectory([registered or client()])
    found, target = trusted_client(request, directory.get)
    # Every resource these tests name is an API the client may use.
    apis = FakeApis([api(r) for r in resources])
    allowed = {r: frozenset() for r in resources}
    found = dataclasses.replace(found, api_permissions=allowed)
    return validate(request, resources, found, target, apis)


def refusal(request: Mapping[str, str], registered: ClientRecord | None = None,
            resources: Sequence[str] = ()) -> OAuth2Error:
    with pytest.raises(OAuth2Error) as caught:
        check(request, registered, resources)
    return caught.value


# --- before the redirect URI is trusted: an error page, never a redirect -------------------

@pytest.mark.parametrize(("changes", "registered", "page"), [
    pytest.param({"client_id": None}, client(),
                 "The request does not say which application is asking.",
                 id="no client_id"),
    pytest.param({"client_id": "stranger"}, client(),
                 "The application that sent you here is not registered.",
                 id="an unknown client_id"),
    pytest.param({"redirect_uri": None}, client(), "The request has no redirect URI.",
                 id="no redirect_uri (never guessed, even with one registered)"),
    pytest.param({"redirect_uri": "https://evil.example/cb"}, client(),
                 "The redirect URI is not registered for this application.",
                 id="an unregistered redirect_uri"),
    pytest.param({"redirect_uri": REDIRECT + "/"}, client(),
                 "The redirect URI is not registered for this application.",
                 id="a redirect_uri differing by a trailing slash"),
    pytest.param({"redirect_uri": "http://127.0.0.1:5000/cb"},
                 client(redirect_uris=("http://127.0.0.1/cb",)),
                 "The redirect URI is not registered for this application.",
                 id="another loopback port for a web client"),
])
def test_an_untrustworthy_request_gets_an_error_page(
    changes: dict[str, str | None], registered: ClientRecord, page: str,
) -> None:
    with pytest.raises(UntrustedRequest) as caught:
        trusted_client(params(**changes), FakeClientDirectory([registered]).get)
    assert caught.value.description == page, (
        f"wrong page for an untrusted request: {caught.value.description!r}")


def test_a_native_app_may_use_any_loopback_port() -> None:
    native = client(redirect_uris=("http://127.0.0.1/cb",), application_type="native")
    found, target = trusted_client(params(redirect_uri="http://127.0.0.1:50123/cb"),
                                   FakeClientDirectory([native]).get)
    assert (found, target.redirect_uri) == (native, "http://127.0.0.1:50123/cb"), (
        "RFC 8252 §7.3: the port of a native app's loopback redirect is chosen at run time")


@pytest.mark.parametrize(("changes", "target"), [
    pytest.param({}, RedirectTarget(REDIRECT, "s-1", "query"), id="state and query mode kept"),
    pytest.param({"response_mode": "form_post"}, RedirectTarget(REDIRECT, "s-1", "form_post"),
                 id="form_post kept"),
    pytest.param({"response_mode": "fragment"}, RedirectTarget(REDIRECT, "s-1", "query"),
                 id="an unsupported mode reports in query mode"),
    pytest.param({"state": None}, RedirectTarget(REDIRECT, None, "query"), id="no state"),
    pytest.param({"state": "x" * (MAX_STATE + 1)}, RedirectTarget(REDIRECT, None, "query"),
                 id="an over-long state is not echoed"),
    pytest.param({"state": "x" * MAX_STATE}, RedirectTarget(REDIRECT, "x" * MAX_STATE, "query"),
                 id="a state of the maximum length is echoed"),
])
def test_the_trusted_target_is_where_errors_go(changes: dict[str, str | None],
                                               target: RedirectTarget) -> None:
    _found, got = trusted_client(params(**changes), FakeClientDirectory([client()]).get)
    assert got == target, f"errors would go to {got}, expected {target}"


# --- after: each rule's error, sent to the redirect URI --------------------------------------

REFUSALS = [
    # response_type (RFC 6749 §4.1.1; RFC 9700 §2.1.2: no implicit, no hybrid)
    pytest.param({"response_type": None}, None, "invalid_request",
                 "Missing 'response_type' in request.", id="response_type missing"),
    pytest.param({"response_type": "token"}, None, "unsupported_response_type",
                 "Only response_type=code is supported.", id="response_type=token (implicit)"),
    pytest.param({"response_type": "code id_token"}, None, "unsupported_response_type",
                 "Only response_type=code is supported.", id="response_type=code id_token"),
    pytest.param({}, client(grant_types=("client_credentials",)), "unauthorized_client",
                 "The client may not use the authorization code flow.",
                 id="a client without the authorization_code grant"),
    # response_mode (OAuth 2.0 Multiple Response Types, Form Post Response Mode)
    pytest.param({"response_mode": "fragment"}, None, "invalid_request",
                 "Unsupported response_mode.", id="response_mode=fragment"),
    # request objects (OIDC Core §3.1.2.6)
    pytest.param({"request": "eyJ.x.y"}, None, "request_not_supported",
                 "Request objects are not supported.", id="a request object"),
    pytest.param({"request_uri": "urn:x"}, None, "request_uri_not_supported",
                 "request_uri is not supported.", id="a request_uri"),
    # state (RFC 6749 §10.12)
    pytest.param({"state": "x" * (MAX_STATE + 1)}, None, "invalid_request",
                 "The state parameter is too long.", id="state too long"),
    pytest.param({"state": None}, client(require_state=True), "invalid_request",
                 "This client must send a state parameter.",
                 id="no state from a client that must send one"),
    # scope (RFC 6749 §3.3)
    pytest.param({"scope": None}, None, "invalid_scope",
                 "The request must name at least one scope.", id="no scope"),
    pytest.param({"scope": "openid admin"}, None, "invalid_scope",
                 "The client may not request one or more of these scopes.",
                 id="a scope the client may not request"),
    # PKCE (RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only)
    pytest.param({"code_challenge": None, "code_challenge_method": None}, None,
                 "invalid_request", "PKCE is required: send code_challenge with S256.",
                 id="PKCE missing for a client that requires it"),
    pytest.param({"code_challenge_method": "plain"}, None, "invalid_request",
                 "code_challenge_method must be S256.", id="PKCE plain"),
    pytest.param({"code_challenge_method": "plain", "code_challenge": VERIFIER}, None,
                 "invalid_request", "code_challenge_method must be S256.",
                 id="PKCE plain with the verifier as its challenge"),
    pytest.param({"code_challenge_method": None}, None, "invalid_request",
                 "code_challenge_method must be S256.",
                 id="a code_challenge without a method (RFC 7636 would default to plain)"),
    pytest.param({"code_challenge": None}, None, "invalid_request",
                 "code_challenge_method without code_challenge.",
                 id="a code_challenge_method without a code_challenge"),
    pytest.param({"code_challenge": CHALLENGE[:-1]}, None, "invalid_request",
                 "code_challenge is not a base64url SHA-256 value.", id="a challenge too short"),
    pytest.param({"code_challenge": CHALLENGE + "="}, None, "invalid_request",
                 "code_challenge is not a base64url SHA-256 value.", id="a padded challenge"),
    pytest.param({"code_challenge": "+" * 43}, None, "invalid_request",
                 "code_challenge is not a base64url SHA-256 value.",
                 id="a challenge in standard base64"),
    # prompt (OIDC Core §3.1.2.1)
    pytest.param({"prompt": "sometimes"}, None, "invalid_request",
                 "Unsupported prompt value.", id="an unknown prompt value"),
    pytest.param({"prompt": "none login"}, None, "invalid_request",
                 "prompt=none cannot be combined with other values.",
                 id="prompt=none with another value"),
    # max_age (OIDC Core §3.1.2.1: a non-negative number of seconds)
    pytest.param({"max_age": "-1"}, None, "invalid_request",
                 "max_age must be a non-negative integer.", id="a negative max_age"),
    pytest.param({"max_age": "1.5"}, None, "invalid_request",
                 "max_age must be a non-negative integer.", id="a fractional max_age"),
    pytest.param({"max_age": "soon"}, None, "invalid_request",
                 "max_age must be a non-negative integer.", id="a max_age that is no number"),
    pytest.param({"max_age": "1" * 11}, None, "invalid_request",
                 "max_age must be a non-negative integer.", id="a max_age of eleven digits"),
    pytest.param({"max_age": "\u0663"}, None, "invalid_request",
                 "max_age must be a non-negative integer.",
                 id="a max_age in non-ASCII digits"),
    pytest.param({"max_age": "\u00b2"}, None, "invalid_request",
                 "max_age must be a non-negative integer.",
                 id="a max_age of a superscript digit (isdigit, yet no int)"),
    # bounded strings
    pytest.param({"nonce": "n" * (MAX_NONCE + 1)}, None, "invalid_request",
                 "The nonce parameter is too long.", id="nonce too long"),
    pytest.param({"login_hint": "h" * (MAX_HINT + 1)}, None, "invalid_request",
                 "The login_hint parameter is too long.", id="login_hint too long"),
    pytest.param({"acr_values": "a" * (MAX_HINT + 1)}, None, "invalid_request",
                 "The acr_values parameter is too long.", id="acr_values too long"),
    # claims (OIDC Core §5.5)
    pytest.param({"claims": "{"}, None, "invalid_request",
                 "The claims parameter is not valid JSON.", id="claims not JSON"),
    pytest.param({"claims": "[]"}, None, "invalid_request",
                 "The claims parameter must be a JSON object.", id="claims not an object"),
    pytest.param({"claims": '{"id_token": []}'}, None, "invalid_request",
                 "claims.id_token must map claim names to objects or null.",
                 id="claims.id_token not an object"),
    pytest.param({"claims": '{"userinfo": {"email": true}}'}, None, "invalid_request",
                 "claims.userinfo must map claim names to objects or null.",
                 id="a claims member that is neither an object nor null"),
    pytest.param({"claims": '{"id_token": {"x": {"v": "' + "x" * 4096 + '"}}}'}, None,
                 "invalid_request", "The claims parameter is too large.", id="claims too large"),
]


@pytest.mark.parametrize(("changes", "registered", "error", "description"), REFUSALS)
def test_a_rule_broken_after_the_client_is_trusted_is_reported_to_the_client(
    changes: dict[str, str | None], registered: ClientRecord | None, error: str,
    description: str,
) -> None:
    refused = refusal(params(**changes), registered)
    assert (refused.error, refused.description) == (error, description), (
        f"expected {error} ({description!r}), got {refused.error} ({refused.description!r})")


@pytest.mark.parametrize(("resources", "description"), [
    pytest.param(["/relative"], "resource must be an absolute URI without a fragment",
                 id="a relative resource"),
    pytest.param(["https://api.example/#frag"],
                 "resource must be an absolute URI without a fragment",
                 id="a resource with a fragment"),
    pytest.param(["urn:x"], "resource must be an absolute URI without a fragment",
                 id="a resource without an authority"),
    pytest.param([f"https://api{i}.example/" for i in range(11)],
                 "At most 10 resource parameters", id="eleven resources"),
])
def test_a_bad_resource_indicator_is_invalid_target(resources: list[str],
                                                    description: str) -> None:
    refused = refusal(params(), resources=resources)
    assert (refused.error, refused.description) == ("invalid_target", description), (
        f"RFC 8707 §2: got {refused.error} ({refused.description!r})")


@pytest.mark.parametrize(("changes", "first"), [
    pytest.param({"response_type": "token", "scope": "admin"}, "unsupported_response_type",
                 id="response_type before scope"),
    pytest.param({"response_mode": "fragment", "state": "x" * 5000}, "invalid_request",
                 id="response_mode before state"),
    pytest.param({"request": "x", "scope": None}, "request_not_supported",
                 id="request objects before scope"),
    pytest.param({"scope": "admin", "code_challenge_method": "plain"}, "invalid_scope",
                 id="scope before PKCE"),
])
def test_rules_are_checked_in_a_fixed_order(changes: dict[str, str | None], first: str) -> None:
    refused = refusal(params(**changes))
    assert refused.error == first, f"{first} must be found first, got {refused.error}"


# --- what a valid request becomes -----------------------------------------------------------

ACCEPTED = [
    pytest.param({}, None, {"scope": "openid profile", "state": "s-1",
                            "code_challenge": CHALLENGE, "response_mode": "query"},
                 id="a complete request"),
    pytest.param({"scope": "profile openid profile"}, None, {"scope": "profile openid"},
                 id="repeated scopes collapse, in the order sent"),
    pytest.param({"state": None}, None, {"state": None},
                 id="no state from a client that need not send one"),
    pytest.param({"code_challenge": None, "code_challenge_method": None},
                 client(require_pkce=False), {"code_challenge": None},
                 id="no PKCE from a client that need not use it"),
    pytest.param({"response_mode": "form_post"}, None, {"response_mode": "form_post"},
                 id="response_mode=form_post"),
    pytest.param({"prompt": "login consent login"}, None, {"prompt": ("login", "consent")},
                 id="repeated prompt values collapse"),
    pytest.param({"prompt": "none"}, None, {"prompt": ("none",)}, id="prompt=none alone"),
    pytest.param({"prompt": "select_account"}, None, {"prompt": ("select_account",)},
                 id="prompt=select_account"),
    pytest.param({"max_age": "0"}, None, {"max_age": 0}, id="max_age=0"),
    pytest.param({"max_age": "9" * 10}, None, {"max_age": 9_999_999_999},
                 id="max_age of ten digits"),
    pytest.param({"nonce": "n" * MAX_NONCE}, None, {"nonce": "n" * MAX_NONCE},
                 id="a nonce of the maximum length"),
    pytest.param({"login_hint": "ada@example.com", "acr_values": "urn:x"}, None,
                 {"login_hint": "ada@example.com", "acr_values": "urn:x"},
                 id="login_hint and acr_values kept"),
    pytest.param({"claims": '{"id_token": {"email": {"essential": true}, "name": null},'
                            ' "other": 1}'}, None,
                 {"claims": {"id_token": {"email": {"essential": True}, "name": None}}},
                 id="the claims parameter, unknown members dropped"),
    pytest.param({"claims": ""}, None, {"claims": None}, id="an empty claims parameter"),
]


@pytest.mark.parametrize(("changes", "registered", "expected"), ACCEPTED)
def test_a_valid_request_is_kept_as_the_client_sent_it(
    changes: dict[str, str | None], registered: ClientRecord | None, expected: dict[str, Any],
) -> None:
    accepted = check(params(**changes), registered).to_dict()
    got = {k: accepted[k] for k in expected}
    assert got == expected, f"the validated request holds {got}, expected {expected}"


def test_resources_are_kept_once_each_in_order() -> None:
    accepted = check(params(), resources=["https://b.example/", "https://a.example/",
                                          "https://b.example/"])
    assert accepted.resources == ("https://b.example/", "https://a.example/")


def test_the_validated_request_survives_its_round_trip_through_a_dict() -> None:
    accepted = check(params(prompt="login", max_age="60", claims='{"userinfo": {"email": null}}'),
                     resources=["https://api.example/"])
    assert AuthorizationRequest.from_dict(accepted.to_dict()) == accepted, (
        "the pending request is stored as a dict and must come back equal")
    assert accepted.openid, "openid is among the scopes"
