"""The authorization request (RFC 6749 §4.1.1, §4.1.2.1; OIDC Core §3.1.2; RFC 9207).

Until the client and its redirect URI are known to be genuine, every problem is shown on
authserver as an error page; afterwards problems go back to the client as ``error=...``
with ``state`` and ``iss``.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from authserver.services.clients import ClientSpec
from tests.support.browser_flow import (
    assert_error_page,
    assert_error_redirect,
    authorize,
    authorize_raw,
    html_of,
    page_after,
    page_kind,
    redirected_to_client,
    register_extra_client,
    submit,
)
from tests.support.oauth import (
    ISSUER,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    obtain_code,
    sign_in,
)


@pytest.fixture
def world(runtime):
    return build_world(runtime)


@pytest.fixture
def signed_in(http, world):
    """A browser with a session and remembered consent for openid profile email."""
    obtain_code(http, authorize_params(pkce=Pkce()))
    return http


def params(**extra):
    return authorize_params(pkce=Pkce(), **extra)


# --- untrusted requests: an error page on authserver, never a redirect --------------------


@pytest.mark.parametrize(("case", "changes"), [
    ("unknown client", {"client_id": "nobody"}),
    ("missing client_id", {"client_id": None}),
    ("missing redirect_uri", {"redirect_uri": None}),
    ("unregistered redirect_uri", {"redirect_uri": "https://evil.test/cb"}),
    ("redirect_uri of another client", {"redirect_uri": "https://spa.example/cb"}),
    ("unknown client and a bad response_type", {"client_id": "nobody", "response_type": "token"}),
    ("unregistered redirect_uri and a bad scope",
     {"redirect_uri": "https://evil.test/cb", "scope": "admin"}),
    ("unregistered redirect_uri and no state or PKCE",
     {"redirect_uri": "https://evil.test/cb", "state": None, "code_challenge": None,
      "code_challenge_method": None}),
    ("unknown client, prompt=none", {"client_id": "nobody", "prompt": "none"}),
])
def test_untrusted_request_gets_an_error_page(http, world, case, changes):
    response = authorize(http, params(**changes))
    assert_error_page(response, case)


def test_untrusted_post_request_gets_an_error_page(http, world):
    assert_error_page(authorize(http, params(redirect_uri="https://evil.test/cb"), "POST"),
                      "POSTed request with unregistered redirect_uri")


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_repeated_client_id_or_redirect_uri_gets_an_error_page(http, world, name):
    query = urlencode(params()) + "&" + urlencode({name: params()[name]})
    assert_error_page(authorize_raw(http, query), f"repeated {name}")


def test_repeated_redirect_uri_with_an_evil_second_value_gets_an_error_page(http, world):
    query = urlencode(params()) + "&" + urlencode({"redirect_uri": "https://evil.test/cb"})
    assert_error_page(authorize_raw(http, query), "second redirect_uri is evil")


@pytest.mark.parametrize("name", ["scope", "state", "response_type", "nonce", "prompt"])
def test_repeated_other_parameter_is_invalid_request_at_the_client(http, world, name):
    p = params(prompt="login")
    query = urlencode(p) + "&" + urlencode({name: p[name]})
    assert_error_redirect(authorize_raw(http, query), "invalid_request", REDIRECT)


# --- response_type and response_mode --------------------------------------------------------


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token",
                                           "code token", "id_token token", "none"])
def test_only_the_code_flow_is_offered(http, world, response_type):
    p = params(response_type=response_type)
    assert_error_redirect(authorize(http, p), "unsupported_response_type", REDIRECT, p["state"])


def test_missing_response_type_is_invalid_request(http, world):
    p = params(response_type=None)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


def test_form_post_answers_with_an_auto_submitting_form(http, world, signed_in):
    p = params(response_mode="form_post")
    response = authorize(http, p)
    assert response.status_code == 200, f"form_post must answer 200, got {response.status_code}"
    assert "Location" not in response.headers
    html = html_of(response)
    assert re.search(r'<form method="post" action="https://app.example/cb"', html), \
        f"the form must post to the redirect URI: {html}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert set(fields) == {"code", "state", "iss"}, f"unexpected fields: {fields}"
    assert fields["state"] == p["state"]
    assert fields["iss"] == ISSUER
    assert len(fields["code"]) >= 40
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["form-action"] == ["https://app.example"], \
        f"CSP must allow posting only to the client's origin: {csp}"
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'none'"]
    assert response.headers["Cache-Control"] == "no-store"


def test_form_post_also_carries_errors(http, world):
    p = params(response_mode="form_post", scope="admin")
    response = authorize(http, p)
    assert response.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             html_of(response)))
    assert fields["error"] == "invalid_scope"
    assert fields["iss"] == ISSUER
    assert fields["state"] == p["state"]


def test_unknown_response_mode_is_invalid_request(http, world):
    p = params(response_mode="fragment.jwt")
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


# --- scope --------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "scope"), [
    ("scope the client may not have", "openid stores:write"),
    ("made-up scope", "openid admin"),
    ("empty scope", ""),
    ("blank scope", "   "),
])
def test_bad_scope_is_invalid_scope(http, world, case, scope):
    p = params(scope=scope)
    assert_error_redirect(authorize(http, p), "invalid_scope", REDIRECT, p["state"])


# --- request objects and other parameters -----------------------------------------------


def test_request_parameter_is_not_supported(http, world):
    p = params(request="eyJhbGciOiJub25lIn0.e30.")
    assert_error_redirect(authorize(http, p), "request_not_supported", REDIRECT, p["state"])


def test_request_uri_parameter_is_not_supported(http, world):
    p = params(request_uri="https://app.example/request.jwt")
    assert_error_redirect(authorize(http, p), "request_uri_not_supported", REDIRECT, p["state"])


def test_unknown_parameters_are_ignored(http, world, signed_in):
    query = redirected_to_client(authorize(http, params(foo="bar", x_debug="1")), REDIRECT)
    assert "code" in query, f"unknown parameters must be ignored: {query}"


def test_optional_oidc_parameters_are_accepted(http, world, signed_in):
    p = params(display="popup", ui_locales="fr-CA fr en", claims_locales="fr",
               login_hint="ann@example.com", acr_values="1 urn:mace:incommon:iap:silver")
    query = redirected_to_client(authorize(http, p), REDIRECT)
    assert "code" in query, f"display/ui_locales/... must be accepted: {query}"


def test_posted_authorization_request_works(http, world):
    p = params()
    response = authorize(http, p, "POST")
    location, html = page_after(http, response)
    assert page_kind(html) == "login"
    response = sign_in(http, location)
    _, html = page_after(http, response)
    assert page_kind(html) == "consent"
    query = redirected_to_client(submit(http, html, action="approve"), REDIRECT, 303)
    assert "code" in query and query["state"] == p["state"] and query["iss"] == ISSUER


def test_posted_request_with_a_bad_scope_is_reported_to_the_client(http, world):
    p = params(scope="admin")
    assert_error_redirect(authorize(http, p, "POST"), "invalid_scope", REDIRECT, p["state"])


# --- iss and state ------------------------------------------------------------------------


def test_successful_response_carries_iss_and_state(http, world):
    p = params()
    query = obtain_code(http, p)
    assert query["iss"] == ISSUER, f"RFC 9207: iss must be on success responses: {query}"
    assert query["state"] == p["state"]


@pytest.mark.parametrize("state", [
    "a b+c/d=e&f?g#h",
    "ünïcödé-✓",
    "%41%2F already-encoded",
    "x" * 2048,
    "<script>alert(1)</script>",
])
def test_state_comes_back_unchanged(http, world, signed_in, state):
    query = redirected_to_client(authorize(http, params(state=state)), REDIRECT)
    assert "code" in query
    assert query["state"] == state, "state must be returned byte for byte"


def test_state_comes_back_unchanged_on_errors(http, world):
    state = "odd &=?# ✓ state"
    assert_error_redirect(authorize(http, params(state=state, scope="admin")), "invalid_scope",
                          REDIRECT, state)


def test_state_is_required_by_default(http, world):
    query = assert_error_redirect(authorize(http, params(state=None)), "invalid_request",
                                  REDIRECT)
    assert "state" not in query


def test_client_registered_without_require_state_may_omit_it(runtime, http, world):
    register_extra_client(runtime, ClientSpec(
        name="Stateless", client_id="stateless", redirect_uris=(REDIRECT,),
        require_state=False))
    p = authorize_params(client_id="stateless", pkce=Pkce(), state=None)
    query = obtain_code(http, p)
    assert "code" in query and "state" not in query, f"expected a code without state: {query}"
    assert query["iss"] == ISSUER


@pytest.mark.parametrize(("name", "size"), [("state", 2049), ("nonce", 513)])
def test_oversized_state_or_nonce_is_invalid_request(http, world, name, size):
    query = assert_error_redirect(authorize(http, params(**{name: "s" * size})),
                                  "invalid_request", REDIRECT)
    assert "state" not in query or len(query["state"]) <= 2048


@pytest.mark.parametrize("claims", [
    "{not json",
    "[1, 2]",
    '"id_token"',
    '{"id_token": ["email"]}',
    '{"userinfo": {"email": true}}',
    '{"id_token": {"email": {"essential": true}}}' + " " * 5000,
])
def test_malformed_claims_parameter_is_invalid_request(http, world, claims):
    p = params(claims=claims)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


def test_well_formed_claims_parameter_is_accepted(http, world, signed_in):
    p = params(claims='{"id_token": {"email": {"essential": true}, "auth_time": null}}')
    assert "code" in redirected_to_client(authorize(http, p), REDIRECT)


# --- status codes -------------------------------------------------------------------------


def test_get_answers_302_to_the_client(http, world, signed_in):
    response = authorize(http, params())
    assert response.status_code == 302, f"GET → 302, got {response.status_code}"
    response = authorize(http, params(scope="admin"))
    assert response.status_code == 302, f"GET error → 302, got {response.status_code}"


def test_credential_and_consent_posts_answer_303_never_307(http, world):
    response = authorize(http, params())
    assert response.status_code in (302, 303)
    location, html = page_after(http, response)
    login = sign_in(http, location)
    assert login.status_code == 303, f"the login POST must answer 303, got {login.status_code}"
    _, html = page_after(http, login)
    approve = submit(http, html, action="approve")
    assert approve.status_code == 303, \
        f"the consent POST must answer 303 (never 307: it would re-post), got {approve.status_code}"
    assert "code" in redirected_to_client(approve, REDIRECT, 303)
