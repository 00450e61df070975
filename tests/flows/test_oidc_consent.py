"""The consent step (OIDC Core §3.1.2.4; SECURITY.md "consent can be completed only by the
browser that began the request").

Consent is asked in plain words, remembered per user and client, asked again for new
scopes, skipped for first-party clients, protected by CSRF, and bound to the browser.
"""

from __future__ import annotations

import pytest

from tests.support.browser_flow import (
    add_user,
    assert_error_page,
    assert_error_redirect,
    authorize,
    html_of,
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
    csrf_of,
    form_action,
    obtain_code,
    sign_in,
)

SPA = "https://spa.example/cb"


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def params(**extra):
    return authorize_params(pkce=Pkce(), **extra)


def consent_page(http, p, identifier="ann@example.com"):
    """Sign in through the login page and return (consent url, consent html)."""
    location, html = page_after(http, authorize(http, p))
    if page_kind(html) == "login":
        response = sign_in(http, location, identifier=identifier)
        location, html = page_after(http, response)
    assert page_kind(html) == "consent", f"expected the consent page: {html[:300]}"
    return location, html


def test_consent_page_lists_the_scopes_in_plain_words(http, world):
    _, html = consent_page(http, params(scope="openid profile email offline_access stores:read"))
    for words in ("Confirm who you are", "See your name and user name", "See your email address",
                  "Keep access while you are not using it", "Use “stores:read”"):
        assert words in html, f"the consent page must say {words!r}"
    assert "Signed in as <strong>ann@example.com</strong>" in html


def test_approval_is_remembered_and_skips_consent_next_time(http, world):
    p = params()
    _, html = consent_page(http, p)
    query = redirected_to_client(submit(http, html, action="approve"), REDIRECT, 303)
    assert "code" in query and query["state"] == p["state"] and query["iss"] == ISSUER

    again = params()
    query = redirected_to_client(authorize(http, again), REDIRECT, 302)
    assert "code" in query, "a remembered consent must not be asked again"
    assert query["state"] == again["state"]


def test_a_subset_of_the_granted_scopes_needs_no_consent(http, world):
    obtain_code(http, params(scope="openid profile email"))
    query = redirected_to_client(authorize(http, params(scope="openid email")), REDIRECT)
    assert "code" in query


def test_a_new_scope_asks_again_and_lists_everything_requested(http, world):
    obtain_code(http, params())
    _, html = page_after(http, authorize(http, params(scope="openid email stores:read")))
    assert page_kind(html) == "consent", "a scope not yet granted must be asked for"
    assert "Use “stores:read”" in html and "See your email address" in html
    redirected_to_client(submit(http, html, action="approve"), REDIRECT, 303)
    # Now both the old and the new grant are remembered.
    query = redirected_to_client(
        authorize(http, params(scope="openid profile email stores:read")), REDIRECT)
    assert "code" in query


def test_consent_is_per_client(http, world):
    obtain_code(http, params())
    spa = authorize_params("spa", Pkce(), redirect_uri=SPA)
    _, html = page_after(http, authorize(http, spa))
    assert page_kind(html) == "consent", "consent to one client must not cover another"


def test_consent_page_names_the_client(http, world):
    _, html = consent_page(http, params())
    assert "Allow Web?" in html, "the consent page must name the application asking"
    spa = authorize_params("spa", Pkce(), redirect_uri=SPA)
    _, html = page_after(http, authorize(http, spa))
    assert "Allow SPA?" in html, "the consent page must name the application asking"


def test_consent_is_per_user(app, runtime, world):
    add_user(runtime, "bob@example.com")
    ann = app.test_client()
    obtain_code(ann, params())
    bob = app.test_client()
    _, html = consent_page(bob, params(), identifier="bob@example.com")
    assert "Signed in as <strong>bob@example.com</strong>" in html


def test_deny_is_access_denied_with_state_and_iss(http, world):
    p = params()
    _, html = consent_page(http, p)
    response = submit(http, html, action="deny")
    assert response.status_code == 303
    assert_error_redirect(response, "access_denied", REDIRECT, p["state"])
    # Nothing was remembered: the next request asks again.
    _, html = page_after(http, authorize(http, params()))
    assert page_kind(html) == "consent", "a denial must not be remembered as consent"


def test_first_party_clients_skip_consent(http, runtime):
    build_world(runtime, first_party=True)
    p = params(scope="openid profile email offline_access stores:read")
    location, html = page_after(http, authorize(http, p))
    assert page_kind(html) == "login"
    query = redirected_to_client(sign_in(http, location), REDIRECT, 303)
    assert "code" in query, "a first-party client must get a code right after sign-in"


def test_first_party_prompt_none_needs_no_consent(http, runtime):
    build_world(runtime, first_party=True)
    obtain_code(http, params(), consent=False)
    query = redirected_to_client(authorize(http, params(prompt="none")), REDIRECT, 302)
    assert "code" in query


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "token"), [
    ("missing", None),
    ("empty", ""),
    ("wrong", "x" * 43),
])
def test_consent_post_needs_the_csrf_token(http, world, case, token):
    _, html = consent_page(http, params())
    data = {"action": "approve"} if token is None else {"action": "approve", "csrf_token": token}
    response = http.post(form_action(html), data=data)
    assert response.status_code == 400, f"{case} CSRF token: expected 400, got " \
        f"{response.status_code}"
    assert "Location" not in response.headers, f"{case} CSRF token must not issue a code"
    # And the consent was not recorded: the page is still there for the real submission.
    assert page_kind(html_of(http.get(form_action(html).rsplit("/", 1)[0]))) == "consent"


def test_csrf_token_from_another_browser_is_refused(app, world):
    victim = app.test_client()
    _, html = consent_page(victim, params())
    attacker = app.test_client()
    _, attacker_html = consent_page(attacker, params())
    response = victim.post(form_action(html), data={"action": "approve",
                                                    "csrf_token": csrf_of(attacker_html)})
    assert response.status_code == 400
    assert "Location" not in response.headers


# --- the pending request belongs to the browser that started it ----------------------------


def test_another_browser_cannot_open_the_interaction(app, world):
    first = app.test_client()
    location, _ = page_after(first, authorize(first, params()))
    other = app.test_client()
    assert_error_page(other.get(location), "another browser opened the interaction URL")


def test_another_signed_in_browser_cannot_complete_the_consent(app, world):
    victim = app.test_client()
    url, html = consent_page(victim, params())
    attacker = app.test_client()
    # The attacker has a session and a CSRF token of their own ...
    _, own = consent_page(attacker, params())
    assert_error_page(attacker.get(url), "another browser opened the consent page")
    response = attacker.post(form_action(html), data={"action": "approve",
                                                      "csrf_token": csrf_of(own)})
    # ... but the pending request lives only in the victim's browser.
    assert_error_page(response, "another browser posted the consent form")


def test_the_interaction_is_single_use(http, world):
    url, html = consent_page(http, params())
    redirected_to_client(submit(http, html, action="approve"), REDIRECT, 303)
    assert_error_page(http.get(url), "a finished interaction must not be reusable")
    assert_error_page(submit(http, html, action="approve"), "a finished consent re-posted")
