"""Why you were signed out: a browser whose sign-in session someone or something else
ended is told why on its next sign-in page, with a stable code (AUTH-4003..4008), once.

Only the holder of the session's cookie can see the reason: the session is found by the
digest of the random token in the cookie, so a forged or unknown cookie shows nothing.
A sign-out in this browser (``logout``) or a new sign-in in it (``replaced``) shows
nothing either, nor does a disabled account (the sign-in page never tells that).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from authserver.runtime import Runtime, admin_context
from authserver.services import session_admin, tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.session_end import EndReason, end_sessions
from authserver.storage.models import LoginSession
from tests.support.browser_flow import (
    authorize,
    disable_user,
    html_of,
    interaction_location,
    session_cookie,
    submit,
    tenant_id,
)
from tests.support.oauth import ISSUER_PATH, Pkce, authorize_params, build_world, obtain_code

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOTICE = re.compile(r'<p class="notice" role="status" id="signed-out">(.*?)</p>', re.S)
CODE = re.compile(r'<span class="code">\((AUTH-\d{4})\)</span>')

EXPECTED = {
    EndReason.DISPLACED: ("AUTH-4003", "You were signed out because your account signed in "
                                       "on another device."),
    EndReason.ADMIN: ("AUTH-4004", "You were signed out by an administrator."),
    EndReason.PASSWORD_RESET: ("AUTH-4005", "You were signed out because the password of "
                                            "your account was reset."),
    EndReason.PASSWORD_CHANGED: ("AUTH-4006", "You were signed out because the password of "
                                              "your account was changed."),
    EndReason.USER_ENDED: ("AUTH-4007", "You were signed out because this session was ended "
                                        "from another device."),
    EndReason.EXPIRED: ("AUTH-4008", "You were signed out because your session expired."),
}


@pytest.fixture
def world(runtime: Runtime):
    return build_world(runtime, first_party=True)


def signed_in_browser(app: Flask, runtime: Runtime) -> tuple[FlaskClient, str]:
    """A new browser signed in as ann through the web client; (browser, its sid)."""
    browser = app.test_client()
    obtain_code(browser, authorize_params(pkce=Pkce()))
    assert session_cookie(browser), "signing in sets the session cookie"
    with runtime.database.session() as session:
        sid = session.scalars(select(LoginSession.sid).order_by(LoginSession.id.desc())).first()
    assert sid, "a session was started"
    return browser, sid


def end_with(runtime: Runtime, sid: str, reason: EndReason) -> None:
    """End ``sid`` the one way every path ends a session (services/session_end.py)."""
    with runtime.database.unit_of_work() as uow:
        ended = end_sessions(uow, tenant_id(runtime), runtime.clock(), reason, actor="test",
                             sids=[sid])
    assert [e.sid for e in ended] == [sid], f"{sid} was open and is ended as {reason}"


def sign_in_page(browser: FlaskClient, **headers: str) -> str:
    """Open the client's sign-in page as a browser does: /authorize, then the page."""
    response = authorize(browser, authorize_params(pkce=Pkce()))
    location = interaction_location(response)
    page = browser.get(location, headers={**HTML, **headers})
    assert page.status_code == 200, f"the sign-in page answered {page.status_code}"
    html = html_of(page)
    assert 'name="password"' in html, f"expected the sign-in page: {html[:300]}"
    return html


def notice_of(html: str) -> tuple[str, str] | None:
    """(code, text) of the signed-out notice on the page, or None when there is none."""
    match = NOTICE.search(html)
    if match is None:
        return None
    code = CODE.search(match.group(1))
    assert code, f"the notice carries its code: {match.group(1)}"
    return code.group(1), CODE.sub("", match.group(1)).strip()


def single_session(runtime: Runtime) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(single_session=True))


@pytest.mark.parametrize("reason", list(EXPECTED), ids=str)
def test_each_reason_ended_elsewhere_is_told_on_the_next_sign_in_page(
        app, runtime, world, reason):
    browser, sid = signed_in_browser(app, runtime)
    end_with(runtime, sid, reason)
    code, text = EXPECTED[reason]
    assert notice_of(sign_in_page(browser)) == (code, text), \
        f"a session ended as {reason} is explained with {code}"


def test_a_sign_in_on_another_device_under_single_session_is_told_as_displaced(
        app, runtime, world):
    single_session(runtime)
    first, _ = signed_in_browser(app, runtime)
    second, _ = signed_in_browser(app, runtime)
    assert notice_of(sign_in_page(first)) == EXPECTED[EndReason.DISPLACED]
    page = second.get(f"{ISSUER_PATH}/account", headers=HTML)
    assert page.status_code == 200, "the browser that signed in later stays signed in"
    assert NOTICE.search(html_of(page)) is None


def test_an_operator_ending_the_session_is_told(app, runtime, world):
    browser, sid = signed_in_browser(app, runtime)
    session_admin.end_session(admin_context(runtime, "test"), "acme", sid)
    assert notice_of(sign_in_page(browser)) == EXPECTED[EndReason.ADMIN]


def test_signing_out_everywhere_else_on_the_account_page_is_told_on_the_other_device(
        app, runtime, world):
    first, _ = signed_in_browser(app, runtime)
    second, _ = signed_in_browser(app, runtime)
    account = second.get(f"{ISSUER_PATH}/account", headers=HTML)
    html = html_of(account)
    assert account.status_code == 200 and 'id="end-other-sessions"' in html, html[:400]
    action = re.search(r'<form method="post" action="([^"]*end-others)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    ended = second.post(action, data={"csrf_token": token})
    assert ended.status_code == 200, ended.status_code
    assert notice_of(sign_in_page(first)) == EXPECTED[EndReason.USER_ENDED]


def test_a_session_past_its_idle_limit_is_told_as_expired(app, runtime, world, clock):
    browser, _ = signed_in_browser(app, runtime)
    clock.advance(seconds=runtime.settings.session_idle_ttl + 1)
    # The authorization request is the first to see it expired (and ends it); the
    # sign-in page it leads to says so.
    assert notice_of(sign_in_page(browser)) == EXPECTED[EndReason.EXPIRED]


def test_the_notice_is_shown_once_and_the_cookie_is_deleted(app, runtime, world):
    browser, sid = signed_in_browser(app, runtime)
    end_with(runtime, sid, EndReason.ADMIN)
    assert notice_of(sign_in_page(browser)) is not None
    assert session_cookie(browser) is None, "the page that showed the notice deletes the cookie"
    assert notice_of(sign_in_page(browser)) is None, "shown once, not on every visit"


def test_the_notice_is_in_german_for_a_german_browser(app, runtime, world):
    browser, sid = signed_in_browser(app, runtime)
    end_with(runtime, sid, EndReason.DISPLACED)
    html = sign_in_page(browser, **{"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in html
    assert notice_of(html) == ("AUTH-4003", "Sie wurden abgemeldet, weil Ihr Konto auf einem "
                                            "anderen Gerät angemeldet wurde.")


@pytest.mark.parametrize("value", ["", "x", "A" * 43, "x" * 4000, "' OR 1=1 --",
                                   "\u202e\U0001f642"])
def test_a_forged_or_unknown_cookie_shows_nothing(app, runtime, world, value):
    browser, sid = signed_in_browser(app, runtime)
    end_with(runtime, sid, EndReason.ADMIN)  # an ended session exists: not this cookie's
    stranger = app.test_client()
    stranger.set_cookie("as-acme", value)
    assert notice_of(sign_in_page(stranger)) is None, f"{value[:12]!r} names no session"
    assert notice_of(sign_in_page(browser)) == EXPECTED[EndReason.ADMIN], \
        "the stranger's visit did not use up the holder's notice"


def test_only_the_browser_that_held_the_session_sees_why(app, runtime, world):
    single_session(runtime)
    first, _ = signed_in_browser(app, runtime)
    held = session_cookie(first)
    signed_in_browser(app, runtime)  # displaces the first
    fresh = app.test_client()
    assert notice_of(sign_in_page(fresh)) is None, "a browser without a cookie"
    assert notice_of(sign_in_page(first)) == EXPECTED[EndReason.DISPLACED]
    copy = app.test_client()
    copy.set_cookie("as-acme", held[:-1] + ("A" if held[-1] != "A" else "B"))
    assert notice_of(sign_in_page(copy)) is None, "a token one character off names nothing"


def test_signing_out_in_this_browser_shows_nothing_even_with_the_cookie_kept(
        app, runtime, world):
    browser, _ = signed_in_browser(app, runtime)
    held = session_cookie(browser)
    page = browser.get(f"{ISSUER_PATH}/logout?{urlencode({'client_id': 'web'})}")
    done = submit(browser, html_of(page), logout_id=re.search(
        r'name="logout_id" value="([^"]+)"', html_of(page)).group(1), action="logout")
    assert done.status_code in (200, 303), done.status_code
    assert notice_of(sign_in_page(browser)) is None, "after signing out here"
    kept = app.test_client()
    kept.set_cookie("as-acme", held)
    assert notice_of(sign_in_page(kept)) is None, "a logout is never explained, cookie or not"


def test_a_new_sign_in_in_the_same_browser_shows_nothing_for_the_replaced_session(
        app, runtime, world):
    browser, first_sid = signed_in_browser(app, runtime)
    held = session_cookie(browser)
    obtain_code(browser, authorize_params(pkce=Pkce(), prompt="login"))
    with runtime.database.session() as session:
        reason = session.scalar(select(LoginSession.ended_reason).where(
            LoginSession.sid == first_sid))
    assert reason == "replaced"
    kept = app.test_client()
    kept.set_cookie("as-acme", held)
    assert notice_of(sign_in_page(kept)) is None


def test_a_disabled_account_is_not_told_apart(app, runtime, world):
    browser, _ = signed_in_browser(app, runtime)
    disable_user(runtime, "ann@example.com")
    assert notice_of(sign_in_page(browser)) is None, \
        "the sign-in page never says that an account is disabled"


def test_a_live_session_asked_to_sign_in_again_shows_no_notice(app, runtime, world):
    browser, _ = signed_in_browser(app, runtime)
    response = authorize(browser, authorize_params(pkce=Pkce(), prompt="login"))
    page = browser.get(interaction_location(response), headers=HTML)
    html = html_of(page)
    assert page.status_code == 200 and 'name="password"' in html, html[:300]
    assert notice_of(html) is None, "prompt=login with a live session: nothing ended"
    assert session_cookie(browser), "and the live session's cookie stays"
