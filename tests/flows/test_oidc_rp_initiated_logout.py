"""OpenID Connect RP-Initiated Logout 1.0 (``end_session_endpoint``).

The person confirms on authserver's page (CSRF-protected); confirming really ends the
session and the refresh tokens bound to it. ``post_logout_redirect_uri`` is used only when
it is registered, byte for byte, for the client the ``id_token_hint`` / ``client_id``
names; anything else leaves the person on authserver.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from authserver.protocol import jws
from authserver.services.keyring import TenantKeys
from authserver.services.tenants import create_tenant
from tests.support.browser_flow import (
    assert_error_page,
    assert_error_redirect,
    authorize,
    html_of,
    id_token_claims,
    page_kind,
    redirected_to_client,
    session_cookie,
    tenant_id,
)
from tests.support.oauth import (
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    authorize_params,
    basic,
    build_world,
    csrf_of,
    exchange,
    form_action,
    obtain_code,
)

BYE = "https://app.example/bye"
LOGOUT = f"{ISSUER_PATH}/logout"


@pytest.fixture
def world(runtime):
    return build_world(runtime)


@pytest.fixture
def tokens(http, world):
    """Sign in through ``web`` and redeem the code: the token response (ID + refresh)."""
    pkce = Pkce()
    query = obtain_code(http, authorize_params(pkce=pkce))
    response = exchange(http, query["code"], pkce, secret=world.web_secret)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def start_logout(http, params):
    return http.get(f"{LOGOUT}?{urlencode(params)}")


def logout_page(http, **params):
    response = start_logout(http, params)
    assert response.status_code == 200, f"expected the confirmation page, got " \
        f"{response.status_code}: {html_of(response)[:300]}"
    html = html_of(response)
    assert page_kind(html) == "logout", f"expected the sign-out confirmation: {html[:300]}"
    return html


def confirm(http, html, action="logout", **override):
    data = {"csrf_token": csrf_of(html), "logout_id": _logout_id(html), "action": action}
    data.update(override)
    return http.post(form_action(html), data={k: v for k, v in data.items() if v is not None})


def _logout_id(html: str) -> str:
    marker = 'name="logout_id" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def refresh(http, world, refresh_token):
    return http.post(f"{ISSUER_PATH}/token", headers=basic("web", world.web_secret),
                     data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def assert_signed_out(http) -> None:
    p = authorize_params(pkce=Pkce(), prompt="none")
    assert_error_redirect(authorize(http, p), "login_required", REDIRECT, p["state"])


def assert_signed_in(http) -> None:
    query = redirected_to_client(authorize(http, authorize_params(pkce=Pkce(), prompt="none")),
                                 REDIRECT, 302)
    assert "code" in query, f"expected the session to be alive: {query}"


def forged_hint(claims: dict, key, kid: str, alg: str = "RS256") -> str:
    return jws.sign(claims, key, alg, kid)


# --- the happy path -----------------------------------------------------------------------


def test_logout_confirms_ends_the_session_and_returns_to_the_client(http, world, tokens):
    assert "refresh_token" in tokens, "this test needs a session-bound refresh token"
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE,
                       state="bye &state ✓")
    assert "ann@example.com" in html, "the page must say who is being signed out"
    response = confirm(http, html)
    assert response.status_code == 303, f"confirming must answer 303, got {response.status_code}"
    assert redirected_to_client(response, BYE, 303) == {"state": "bye &state ✓"}
    assert session_cookie(http) is None, "the session cookie must be cleared"
    assert_signed_out(http)


def test_logout_revokes_refresh_tokens_of_that_session(http, world, tokens):
    rotated = refresh(http, world, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.get_json()
    current = rotated.get_json()["refresh_token"]
    confirm(http, logout_page(http, id_token_hint=tokens["id_token"]))
    response = refresh(http, world, current)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant", \
        f"a refresh token of an ended session must be invalid_grant: {response.get_json()}"


def test_ended_session_token_does_not_come_back(app, world, tokens, http):
    token = session_cookie(http)
    confirm(http, logout_page(http))
    replay = app.test_client()
    replay.set_cookie("as-acme", token)
    assert_signed_out(replay)


def test_logout_without_a_target_shows_signed_out(http, world, tokens):
    response = confirm(http, logout_page(http))
    assert response.status_code == 200
    assert "You are signed out" in html_of(response)
    assert_signed_out(http)


def test_client_id_alone_names_the_client(http, world, tokens):
    response = confirm(http, logout_page(http, client_id="web", post_logout_redirect_uri=BYE,
                                         state="s1"))
    assert redirected_to_client(response, BYE, 303) == {"state": "s1"}
    assert_signed_out(http)


def test_post_logout_redirect_without_state_carries_no_query(http, world, tokens):
    response = confirm(http, logout_page(http, id_token_hint=tokens["id_token"],
                                         post_logout_redirect_uri=BYE))
    assert response.headers["Location"] == BYE


def test_expired_id_token_hint_is_still_accepted(http, world, tokens, clock):
    exp = id_token_claims(tokens["id_token"])["exp"]
    clock.advance(hours=3)
    assert clock().timestamp() > exp
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE,
                       state="late")
    assert redirected_to_client(confirm(http, html), BYE, 303) == {"state": "late"}


def test_stay_signed_in_keeps_the_session(http, world, tokens):
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE,
                       state="s2")
    response = confirm(http, html, action="stay")
    assert redirected_to_client(response, BYE, 303) == {"state": "s2"}
    assert session_cookie(http) is not None
    assert_signed_in(http)
    assert refresh(http, world, tokens["refresh_token"]).status_code == 200


# --- refused requests: an error page, no redirect -----------------------------------------


@pytest.mark.parametrize("target", [
    "https://evil.test/bye",
    "https://app.example/bye/",
    "https://app.example/bye?x=1",
    "https://APP.example/bye",
    "https://app.example/cb",  # a redirect URI, but not a post-logout one
    "https://app.example.evil.test/bye",
])
def test_unregistered_post_logout_redirect_uri_gets_an_error_page(http, world, tokens, target):
    response = start_logout(http, {"id_token_hint": tokens["id_token"],
                               "post_logout_redirect_uri": target})
    assert_error_page(response, f"post_logout_redirect_uri {target}")
    assert_signed_in(http)


def test_post_logout_redirect_uri_without_hint_or_client_id_gets_an_error_page(http, world,
                                                                               tokens):
    response = start_logout(http, {"post_logout_redirect_uri": BYE})
    assert_error_page(response, "no id_token_hint or client_id")


def test_client_id_that_contradicts_the_hint_gets_an_error_page(http, world, tokens):
    response = start_logout(http, {"id_token_hint": tokens["id_token"],
                               "client_id": "spa",
                               "post_logout_redirect_uri": BYE})
    assert_error_page(response, "client_id differs from the hint's audience")


def test_hint_signed_by_another_key_gets_an_error_page(http, world, tokens):
    claims = id_token_claims(tokens["id_token"])
    kid = jws.parse_unverified(tokens["id_token"])[0]["kid"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = start_logout(http, {"id_token_hint": forged_hint(claims, other, kid),
                               "post_logout_redirect_uri": BYE})
    assert_error_page(response, "hint signed with a key that is not ours")


def test_hint_with_alg_none_gets_an_error_page(http, world, tokens):
    claims = id_token_claims(tokens["id_token"])
    unsigned = (jws.b64url(b'{"alg":"none"}') + "." + jws.b64url(
        json.dumps(claims).encode()) + ".")
    response = start_logout(http, {"id_token_hint": unsigned,
                               "post_logout_redirect_uri": BYE})
    assert_error_page(response, "unsigned hint")


def test_hint_for_another_issuer_gets_an_error_page(runtime, http, world, tokens):
    # Signed with our own current key, but naming another issuer.
    kid, key = TenantKeys(runtime.keyring, tenant_id(runtime)).current("RS256")
    claims = dict(id_token_claims(tokens["id_token"]), iss="https://evil.test/t/acme")
    response = start_logout(http, {"id_token_hint": forged_hint(claims, key, kid),
                               "post_logout_redirect_uri": BYE})
    assert_error_page(response, "hint from another issuer")


def test_hint_from_another_tenant_gets_an_error_page(runtime, http, world, tokens):
    with runtime.database.session() as session:
        create_tenant(session, runtime.master_key, runtime.key_timing, "other", "Other", "test",
                      runtime.clock())
    kid, key = TenantKeys(runtime.keyring, tenant_id(runtime, "other")).current("RS256")
    claims = dict(id_token_claims(tokens["id_token"]),
                  iss="http://127.0.0.1:8000/t/other")
    response = start_logout(http, {"id_token_hint": forged_hint(claims, key, kid),
                               "post_logout_redirect_uri": BYE})
    assert_error_page(response, "hint issued by another tenant")


# --- CSRF and the confirmation --------------------------------------------------------------


@pytest.mark.parametrize(("case", "token"), [("missing", None), ("wrong", "x" * 43)])
def test_confirmation_needs_the_csrf_token(http, world, tokens, case, token):
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE)
    response = confirm(http, html, csrf_token=token)
    assert response.status_code == 400, f"{case} CSRF token: got {response.status_code}"
    assert "Location" not in response.headers
    assert_signed_in(http)


def test_a_bare_cross_site_post_cannot_sign_anyone_out(app, world, tokens, http):
    response = http.post(f"{LOGOUT}/confirm", data={"action": "logout"})
    assert response.status_code == 400
    assert_signed_in(http)


def test_a_logout_started_at_one_tenant_cannot_be_confirmed_at_another(
        runtime, http, world, tokens):
    with runtime.database.session() as session:
        create_tenant(session, runtime.master_key, runtime.key_timing, "other", "Other", "test",
                      runtime.clock())
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE)
    data = {"csrf_token": csrf_of(html), "logout_id": _logout_id(html), "action": "logout"}
    response = http.post("/t/other/logout/confirm", data=data)
    assert_error_page(response, "acme's pending logout confirmed at tenant other")
    assert "This sign-out request has expired" in html_of(response), html_of(response)[:300]
    assert_signed_in(http)


def test_confirmation_with_a_stale_logout_id_gets_an_error_page(http, world, tokens):
    html = logout_page(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=BYE)
    response = confirm(http, html, logout_id=secrets.token_urlsafe(16))
    assert_error_page(response, "logout_id from another request")
    assert_signed_in(http)
