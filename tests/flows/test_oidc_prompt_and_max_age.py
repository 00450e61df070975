"""``prompt``, ``max_age`` and ``login_hint`` (OIDC Core §3.1.2.1, §3.1.2.3, §3.1.2.6)."""

from __future__ import annotations

import pytest

from tests.support.browser_flow import (
    assert_error_redirect,
    authorize,
    html_of,
    id_token_claims,
    identifier_value,
    page_after,
    page_kind,
    redirected_to_client,
    submit,
)
from tests.support.oauth import (
    ISSUER,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    exchange,
    obtain_code,
    sign_in,
)

SPA = "https://spa.example/cb"


@pytest.fixture
def world(runtime):
    return build_world(runtime)


@pytest.fixture
def signed_in(http, world):
    """A browser signed in as ann, with consent to ``web`` for openid profile email."""
    obtain_code(http, authorize_params(pkce=Pkce()))
    return http


def params(pkce: Pkce | None = None, **extra):
    return authorize_params(pkce=pkce or Pkce(), **extra)


def auth_time_of(http, world, query, pkce) -> int:
    token = exchange(http, query["code"], pkce, secret=world.web_secret)
    assert token.status_code == 200, token.get_json()
    claims = id_token_claims(token.get_json()["id_token"])
    assert "auth_time" in claims, f"the ID token must carry auth_time: {claims}"
    return int(claims["auth_time"])


# --- prompt=none --------------------------------------------------------------------------


def test_prompt_none_without_a_session_is_login_required(http, world):
    p = params(prompt="none")
    response = authorize(http, p)
    assert response.status_code == 302
    assert_error_redirect(response, "login_required", REDIRECT, p["state"])


def test_prompt_none_with_session_and_consent_issues_a_code_without_any_page(signed_in, world):
    p = params(prompt="none")
    response = authorize(signed_in, p)
    query = redirected_to_client(response, REDIRECT, 302)
    assert "code" in query, f"expected a code straight away: {query}"
    assert query["state"] == p["state"] and query["iss"] == ISSUER


def test_prompt_none_with_a_session_but_no_consent_is_consent_required(http, world):
    # Signed in through the SPA: ann has a session but never consented to "web".
    obtain_code(http, authorize_params("spa", Pkce(), redirect_uri=SPA))
    p = params(prompt="none")
    assert_error_redirect(authorize(http, p), "consent_required", REDIRECT, p["state"])


def test_prompt_none_with_a_new_scope_is_consent_required(signed_in, world):
    p = params(prompt="none", scope="openid profile email stores:read")
    assert_error_redirect(authorize(signed_in, p), "consent_required", REDIRECT, p["state"])


@pytest.mark.parametrize("prompt", ["none login", "none consent", "login none",
                                    "select_account none"])
def test_prompt_none_combined_with_anything_is_invalid_request(http, world, prompt):
    p = params(prompt=prompt)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


@pytest.mark.parametrize("prompt", ["create", "LOGIN", "login bogus", "registration"])
def test_unsupported_prompt_value_is_invalid_request(http, world, prompt):
    p = params(prompt=prompt)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


# --- prompt=login and max_age -------------------------------------------------------------


def test_prompt_login_with_a_session_asks_again_and_updates_auth_time(http, world, clock):
    first = Pkce()
    before = auth_time_of(http, world, obtain_code(http, params(first)), first)
    clock.advance(seconds=90)

    second = Pkce()
    p = params(second, prompt="login")
    location, html = page_after(http, authorize(http, p))
    assert page_kind(html) == "login", "prompt=login must show the login page to a signed-in user"
    query = redirected_to_client(sign_in(http, location), REDIRECT, 303)
    after = auth_time_of(http, world, query, second)
    assert after == before + 90, f"auth_time must be the new sign-in: {before} then {after}"


def test_without_prompt_login_auth_time_is_the_original_sign_in(signed_in, world, clock):
    pkce = Pkce()
    start = int(clock().timestamp())
    clock.advance(seconds=90)
    query = redirected_to_client(authorize(signed_in, params(pkce, max_age="600")), REDIRECT)
    assert auth_time_of(signed_in, world, query, pkce) == start


def test_max_age_zero_asks_to_sign_in_again(signed_in, world):
    # The WG's reading (openid/connect issue #993): max_age=0 is effectively prompt=login,
    # even within the same second as the previous sign-in.
    p = params(max_age="0")
    location, html = page_after(signed_in, authorize(signed_in, p))
    assert page_kind(html) == "login", "max_age=0 must ask for a fresh sign-in"
    query = redirected_to_client(sign_in(signed_in, location), REDIRECT, 303)
    assert "code" in query, "after the fresh sign-in the flow must complete (no loop)"


def test_max_age_exceeded_asks_to_sign_in_again(signed_in, world, clock):
    clock.advance(seconds=301)
    pkce = Pkce()
    location, html = page_after(signed_in, authorize(signed_in, params(pkce, max_age="300")))
    assert page_kind(html) == "login", "a sign-in older than max_age must be redone"
    query = redirected_to_client(sign_in(signed_in, location), REDIRECT, 303)
    assert auth_time_of(signed_in, world, query, pkce) == int(clock().timestamp())


def test_max_age_not_exceeded_needs_no_sign_in(signed_in, world, clock):
    clock.advance(seconds=299)
    query = redirected_to_client(authorize(signed_in, params(max_age="300")), REDIRECT, 302)
    assert "code" in query, f"a recent enough sign-in must be reused: {query}"


def test_max_age_exceeded_with_prompt_none_is_login_required(signed_in, world, clock):
    clock.advance(seconds=61)
    p = params(max_age="60", prompt="none")
    assert_error_redirect(authorize(signed_in, p), "login_required", REDIRECT, p["state"])


@pytest.mark.parametrize("max_age", ["-1", "1.5", "ten", "1e3", "99999999999"])
def test_malformed_max_age_is_invalid_request(http, world, max_age):
    p = params(max_age=max_age)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


# --- prompt=select_account and prompt=consent --------------------------------------------


def test_select_account_offers_the_current_account_or_another(signed_in, world):
    p = params(prompt="select_account")
    _, html = page_after(signed_in, authorize(signed_in, p))
    assert page_kind(html) == "select_account"
    assert "Continue as Ann Lee" in html and "ann@example.com" in html
    assert "Use another account" in html
    query = redirected_to_client(submit(signed_in, html, action="continue"), REDIRECT, 303)
    assert "code" in query and query["state"] == p["state"]


def test_select_account_use_another_account_shows_the_login_page(signed_in, world):
    _, html = page_after(signed_in, authorize(signed_in, params(prompt="select_account")))
    switched = submit(signed_in, html, action="switch")
    assert switched.status_code == 200
    assert page_kind(html_of(switched)) == "login", "Use another account must show sign-in"


def test_prompt_consent_shows_consent_even_when_remembered(signed_in, world):
    p = params(prompt="consent")
    _, html = page_after(signed_in, authorize(signed_in, p))
    assert page_kind(html) == "consent", "prompt=consent must always ask"
    query = redirected_to_client(submit(signed_in, html, action="approve"), REDIRECT, 303)
    assert "code" in query and query["state"] == p["state"]


# --- login_hint ---------------------------------------------------------------------------


def test_login_hint_prefills_the_identifier(http, world):
    _, html = page_after(http, authorize(http, params(login_hint="ann@example.com")))
    assert identifier_value(html) == "ann@example.com"


def test_login_hint_is_escaped(http, world):
    hint = '"><script>alert(1)</script>'
    _, html = page_after(http, authorize(http, params(login_hint=hint)))
    assert "<script>alert(1)" not in html
    assert identifier_value(html) == "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_oversized_login_hint_is_invalid_request(http, world):
    p = params(login_hint="a" * 513)
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])
