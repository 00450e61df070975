"""The account page's session list (web/account/signed_in.py; OWASP ASVS 5.0 V7.5.2):
each open session with its device, address, sign-in and last-seen times, this browser
marked; ending one other session or all others, by plain CSRF-protected forms; and a
person can end only their own sessions: any other sid gets one answer and ends nothing.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.storage.models import AuditEvent, LoginSession, User
from tests.support.browser_flow import add_user, html_of
from tests.support.oauth import (
    ISSUER_PATH,
    Pkce,
    authorize_params,
    basic,
    build_world,
    csrf_of,
    exchange,
    obtain_code,
    sign_in,
)

CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/130.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
NOT_OPEN = "That session is not open. It may have ended already. (AUTH-4001)"
ACCOUNT = f"{ISSUER_PATH}/account"


@pytest.fixture
def world(runtime):
    return build_world(runtime, first_party=True)


def browser(app, user_agent: str, address: str):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    return client


def on_account_page(client, email: str = "ann@example.com") -> str:
    first = client.get(ACCOUNT)
    assert first.status_code == 303, f"not signed in yet: {first.status_code}"
    assert sign_in(client, first.headers["Location"], identifier=email).status_code == 303
    page = client.get(ACCOUNT)
    assert page.status_code == 200, f"the account page after sign-in: {page.status_code}"
    return html_of(page)


def listed_sids(html: str) -> list[str]:
    return re.findall(r'class="session-item" data-sid="([^"]+)"', html)


def sessions_of(runtime, email: str = "ann@example.com") -> list[LoginSession]:
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        return list(session.scalars(select(LoginSession).where(
            LoginSession.user_id == user.id).order_by(LoginSession.id)))


def post(client, path: str, html: str, **fields: str):
    return client.post(f"{ACCOUNT}/{path}", data={"csrf_token": csrf_of(html), **fields})


@pytest.fixture
def two_browsers(app, world):
    laptop = browser(app, CHROME_LINUX, "203.0.113.7")
    phone = browser(app, SAFARI_IPHONE, "198.51.100.20")
    on_account_page(phone)
    return laptop, on_account_page(laptop), phone


def test_each_open_session_is_listed_with_its_device_address_and_this_one_marked(
        runtime, two_browsers):
    _laptop, html, _phone = two_browsers
    rows = sessions_of(runtime)
    assert [r.ip for r in rows] == ["198.51.100.20", "203.0.113.7"], "the source address"
    assert rows[1].user_agent == CHROME_LINUX, "the user agent as sent"
    assert sorted(listed_sids(html)) == sorted(r.sid for r in rows)
    assert "Chrome 130 on Linux" in html and "Mobile Safari 17 on iOS (iPhone)" in html, html
    assert "203.0.113.7" in html and "198.51.100.20" in html
    this = re.search(r'data-sid="([^"]+)">\s*<strong class="session-device">([^<]+)</strong>'
                     r'\s*<span class="session-this">This device</span>', html)
    assert this and this.group(1) == rows[1].sid and this.group(2) == "Chrome 130 on Linux", \
        "this browser's session is marked This device"
    assert html.count("This device") == 1
    for row in rows:
        assert row.token_digest not in html, "the page never shows a token digest"


def test_ending_another_session_signs_that_browser_out(runtime, two_browsers):
    laptop, html, phone = two_browsers
    phone_sid = sessions_of(runtime)[0].sid
    done = post(laptop, "sessions/end", html, sid=phone_sid)
    assert done.status_code == 200, html_of(done)[:300]
    assert "That session has ended." in html_of(done)
    assert listed_sids(html_of(done)) == [sessions_of(runtime)[1].sid]
    ended = sessions_of(runtime)[0]
    assert ended.ended_at is not None and ended.ended_reason == "user_ended"
    again = phone.get(ACCOUNT)
    assert again.status_code == 303 and "/interaction/" in again.headers["Location"], \
        "the ended browser must sign in again"
    with runtime.database.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "session.ended", AuditEvent.target == phone_sid))
        assert event is not None and event.details.get("reason") == "user_ended", event


def test_sign_out_everywhere_else_ends_all_but_this_browser(app, runtime, two_browsers):
    laptop, _html, phone = two_browsers
    tablet = browser(app, "SomeTablet/1.0", "192.0.2.1")
    on_account_page(tablet)
    fresh = html_of(laptop.get(ACCOUNT))
    assert len(listed_sids(fresh)) == 3
    done = post(laptop, "sessions/end-others", fresh)
    assert done.status_code == 200 and "2 other sessions have ended." in html_of(done)
    assert "You are not signed in anywhere else." in html_of(done)
    assert [r.ended_reason for r in sessions_of(runtime)] == ["user_ended", None,
                                                              "user_ended"]
    assert laptop.get(ACCOUNT).status_code == 200, "this browser stays signed in"
    assert phone.get(ACCOUNT).status_code == 303 and tablet.get(ACCOUNT).status_code == 303
    nothing = post(laptop, "sessions/end-others", html_of(done))
    assert nothing.status_code == 200 and "You had no other sessions." in html_of(nothing)


def test_another_persons_session_cannot_be_ended_and_the_answer_says_nothing(
        app, runtime, two_browsers):
    laptop, html, _phone = two_browsers
    add_user(runtime, "bob@example.com")
    bob = browser(app, CHROME_LINUX, "192.0.2.9")
    on_account_page(bob, "bob@example.com")
    bob_sid = sessions_of(runtime, "bob@example.com")[0].sid
    theirs = post(laptop, "sessions/end", html, sid=bob_sid)
    unknown = post(laptop, "sessions/end", html, sid="no-such-session-id")
    assert theirs.status_code == unknown.status_code == 404
    assert NOT_OPEN in html_of(theirs) and NOT_OPEN in html_of(unknown)
    assert html_of(theirs).replace(bob_sid, "") == html_of(unknown).replace(
        "no-such-session-id", ""), "another person's sid and an unknown one look the same"
    assert "bob@example.com" not in html_of(theirs)
    assert sessions_of(runtime, "bob@example.com")[0].ended_at is None, "Bob stays signed in"
    assert bob.get(ACCOUNT).status_code == 200


@pytest.mark.parametrize("sid", ["", "x" * 65, "x" * 100_000, "' OR 1=1 --", "ü🙂\u202e",
                                 "%00"])
def test_a_hostile_sid_is_a_plain_refusal_and_ends_nothing(runtime, two_browsers, sid):
    laptop, html, _phone = two_browsers
    answer = post(laptop, "sessions/end", html, sid=sid)
    assert answer.status_code == 404, f"{sid[:20]!r}: {answer.status_code}"
    assert NOT_OPEN in html_of(answer)
    assert all(r.ended_at is None for r in sessions_of(runtime))


def test_a_missing_sid_field_is_the_same_refusal(runtime, two_browsers):
    laptop, html, _phone = two_browsers
    answer = laptop.post(f"{ACCOUNT}/sessions/end", data={"csrf_token": csrf_of(html)})
    assert answer.status_code == 404 and NOT_OPEN in html_of(answer)


def test_this_browsers_own_session_is_ended_by_signing_out_not_here(runtime, two_browsers):
    laptop, html, _phone = two_browsers
    own = sessions_of(runtime)[1].sid
    answer = post(laptop, "sessions/end", html, sid=own)
    assert answer.status_code == 400
    assert "That is the session you are using now. To end it, sign out. (AUTH-4002)" \
        in html_of(answer)
    assert sessions_of(runtime)[1].ended_at is None


@pytest.mark.parametrize("path", ["sessions/end", "sessions/end-others"])
def test_without_the_csrf_token_nothing_ends(runtime, two_browsers, path):
    laptop, _html, _phone = two_browsers
    phone_sid = sessions_of(runtime)[0].sid
    for token in (None, "forged"):
        data = {"sid": phone_sid} if token is None else {"sid": phone_sid,
                                                         "csrf_token": token}
        answer = laptop.post(f"{ACCOUNT}/{path}", data=data)
        assert answer.status_code == 400, f"{path} with csrf {token}: {answer.status_code}"
        assert "This form has expired" in html_of(answer)
    assert all(r.ended_at is None for r in sessions_of(runtime))


def test_ending_sessions_needs_a_recent_sign_in(runtime, clock, two_browsers):
    laptop, html, _phone = two_browsers
    clock.advance(minutes=16)
    laptop.get(ACCOUNT)  # within the idle limit: seen again, still signed in
    answer = post(laptop, "sessions/end-others", html)
    assert answer.status_code == 303 and "/interaction/" in answer.headers["Location"], \
        "a sign-in older than 15 minutes is asked for again before anything ends"
    assert all(r.ended_at is None for r in sessions_of(runtime))


def test_an_ended_session_takes_its_refresh_token_with_it_but_not_an_offline_one(
        app, runtime, world, two_browsers):
    laptop, html, phone = two_browsers
    tokens = {}
    for scope in ("openid", "openid offline_access"):
        pkce = Pkce()
        query = obtain_code(phone, authorize_params(pkce=pkce, scope=scope,
                                                    prompt="consent"))
        tokens[scope] = exchange(phone, query["code"], pkce,
                                 secret=world.web_secret).get_json()["refresh_token"]
    phone_sid = sessions_of(runtime)[0].sid
    assert post(laptop, "sessions/end", html, sid=phone_sid).status_code == 200
    for scope, expected in (("openid", "invalid_grant"), ("openid offline_access", None)):
        answer = laptop.post(f"{ISSUER_PATH}/token", headers=basic("web", world.web_secret),
                             data={"grant_type": "refresh_token",
                                   "refresh_token": tokens[scope]})
        assert answer.get_json().get("error") == expected, \
            f"{scope}: {answer.status_code} {answer.get_json()}"
