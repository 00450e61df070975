"""Pending authorization requests live server-side, bound to the browser that began them
(issue 8, Deliver 4; ARCHITECTURE.md "Interactions are outside the protocol").

They resume after a cross-site form POST (an upstream IdP's return, which carries no
SameSite=Lax cookie) through a same-site redirect, in the browser that began them and in
no other; a finished one never resumes, whatever cookie comes back; they expire on the
runtime clock; and what the authenticator returned is what the ID token says.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from authserver.protocol.interaction import AuthResult
from authserver.services.authn import Attempt, Outcome, Submission
from authserver.storage.models import PendingInteraction, User
from authserver.web.interaction.authenticators import Factor, register_factor
from tests.support.browser_flow import (
    assert_error_page,
    authorize,
    html_of,
    page_after,
    page_kind,
    redirected_to_client,
    submit,
)
from tests.support.oauth import (
    PASSWORD,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
    sign_in,
)
from tests.support.tokens import verify_jwt

FLOW_COOKIE = "authserver-flow"


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def params(**extra):
    return authorize_params(pkce=Pkce(), **extra)


def resume_url(location: str) -> str:
    return urlsplit(location).path + "/resume"


def upstream_post(app, location: str):
    """An upstream IdP's form POST back to us: another site, so no cookie of ours."""
    return app.test_client().post(resume_url(location), data={"RelayState": "x"},
                                  headers={"Origin": "https://idp.example"})


def test_a_cross_site_post_return_resumes_in_the_browser_that_began(app, http, world):
    location, html = page_after(http, authorize(http, params()))
    assert page_kind(html) == "login"
    back = upstream_post(app, location)
    assert back.status_code == 303, f"the resume POST must answer 303, got {back.status_code}"
    assert back.headers["Location"].endswith(urlsplit(location).path), \
        "the same-site redirect must lead to the pending request's own page"
    page = http.get(back.headers["Location"])
    assert page.status_code == 200 and page_kind(html_of(page)) == "login", \
        "the browser that began the request must be back on its login page"
    response = sign_in(http, back.headers["Location"])
    _, consent = page_after(http, response)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    assert "code" in query


@pytest.mark.parametrize("binding", ["no cookie", "another browser's cookie"])
def test_a_second_browser_with_the_id_cannot_resume(app, http, world, binding):
    location, _ = page_after(http, authorize(http, params()))
    back = upstream_post(app, location)
    other = app.test_client()
    if binding == "another browser's cookie":
        page_after(other, authorize(other, params()))  # other has a binding of its own
    page = other.get(back.headers["Location"])
    assert_error_page(page, f"a second browser ({binding}) resumed the request")
    assert "start again" in html_of(page)
    response = sign_in_attempt(other, location)
    assert_error_page(response, f"a second browser ({binding}) posted the login form")
    assert "Location" not in response.headers, "no code for another browser"


def sign_in_attempt(browser, location):
    """Post the victim's login form with this browser's own CSRF token."""
    own = html_of(browser.get(browser_login_page(browser)))
    return browser.post(urlsplit(location).path + "/login", data={
        "csrf_token": csrf_of(own), "identifier": "ann@example.com", "password": PASSWORD,
        "action": "login"})


def browser_login_page(browser):
    location, _ = page_after(browser, authorize(browser, params()))
    return location


def test_a_finished_interaction_cannot_be_resumed_with_an_older_cookie(http, world):
    location, _ = page_after(http, authorize(http, params()))
    location, consent = page_after(http, sign_in(http, location))
    older = http.get_cookie(FLOW_COOKIE).value  # the cookie as it was at the consent page
    redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    http.set_cookie(FLOW_COOKIE, older)
    assert_error_page(http.get(location), "an older cookie resumed a finished interaction")
    response = submit(http, consent, action="approve")
    assert_error_page(response, "an older cookie re-posted a finished consent")


def test_the_cookie_from_before_sign_in_opens_nothing_afterwards(http, world):
    location, _ = page_after(http, authorize(http, params()))
    before = http.get_cookie(FLOW_COOKIE).value
    response = sign_in(http, location)
    assert page_kind(html_of(http.get(response.headers["Location"]))) == "consent"
    http.set_cookie(FLOW_COOKIE, before)  # session fixation: the pre-sign-in handle
    assert_error_page(http.get(location), "the pre-sign-in flow cookie still opened it")


def test_a_pending_request_expires_on_the_runtime_clock(http, world, clock):
    location, _ = page_after(http, authorize(http, params()))
    clock.advance(minutes=29)
    assert page_kind(html_of(http.get(location))) == "login"
    clock.advance(minutes=2)
    assert_error_page(http.get(location), "a request 31 minutes old resumed")


def test_a_malformed_stored_progress_is_expired_not_a_server_error(http, world, runtime):
    location, _ = page_after(http, authorize(http, params()))
    with runtime.database.session() as session:
        row = session.scalar(select(PendingInteraction))
        row.progress = {"v": 1, "logged_in": "yes"}
    assert_error_page(http.get(location), "a malformed progress must read as expired")


def test_only_the_digest_of_the_browser_handle_is_stored(http, world, runtime):
    page_after(http, authorize(http, params()))
    with runtime.database.session() as session:
        row = session.scalar(select(PendingInteraction))
        assert len(row.uid) >= 22, "the interaction id must carry at least 128 random bits"
        stored = (row.browser_digest, str(row.authorization_request), str(row.progress))
    cookie = http.get_cookie(FLOW_COOKIE).value
    handle = http.application.session_interface.get_signing_serializer(
        http.application).loads(cookie)["interactions"]
    assert all(handle not in value for value in stored), "the handle itself was stored"


class FakeAuthenticator:
    """Recognises anyone as ann with factors the password authenticator never reports."""

    def __init__(self, user_id: int, auth_time: dt.datetime) -> None:
        self.result = AuthResult(user_id, ("pwd", "hwk"), "urn:example:acr:test", auth_time)

    def authenticate(self, submission: Submission) -> Attempt:
        return Attempt(Outcome.SIGNED_IN, self.result)


def test_the_authenticator_result_reaches_the_id_token(app, http, world, runtime, clock):
    with runtime.database.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == "ann@example.com"))
    auth_time = clock() - dt.timedelta(seconds=42)
    fake = FakeAuthenticator(user_id, auth_time)
    register_factor(app, Factor("pwd", build=lambda: fake))
    pkce = Pkce()
    location, _ = page_after(http, authorize(http, authorize_params(pkce=pkce)))
    _, consent = page_after(http, sign_in(http, location, password="not checked"))
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    _, claims = verify_jwt(http, tokens["id_token"])
    # The session's level is the policy's reading of the factors, not the authenticator's.
    assert claims["amr"] == ["pwd", "hwk", "mfa"], claims
    assert claims["acr"] == "2", claims
    assert claims["auth_time"] == int(auth_time.timestamp()), claims
