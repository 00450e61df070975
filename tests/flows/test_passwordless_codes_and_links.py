"""Passwordless ways in over HTTP (issue 9): sign-in by phone number alone (an SMS code)
and magic links, each behind its tenant switch; identical answers whether or not the
number or address belongs to an account; a link completes only in the browser that
asked for it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from authserver.services import deferred
from authserver.services.senders import Channel, Senders
from authserver.storage.models import User
from tests.support.browser_flow import html_of, page_after, redirected_to_client, submit
from tests.support.oauth import (
    PASSWORD,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
)
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender
from tests.support.sign_in_policy import set_sign_in_policy
from tests.support.tokens import verify_jwt

PHONE, UNKNOWN_PHONE = "+15551234567", "+15550000000"
EMAIL = "ann@example.com"


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def runtime(settings, database, clock, sender):
    return make_runtime(settings, database, clock,
                        senders=Senders({Channel.EMAIL: sender, Channel.SMS: sender}))


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    with runtime.database.session() as session:
        ann = session.scalar(select(User).where(User.email == EMAIL))
        ann.phone, ann.phone_verified = PHONE, True
    set_sign_in_policy(runtime, phone_sign_in=True, magic_links=True)
    return built


def login_page(http, pkce: Pkce) -> tuple[str, str]:
    return page_after(http, http.get("/t/acme/authorize",
                                     query_string=authorize_params(pkce=pkce)))


def claims_after(http, response, pkce: Pkce, world) -> dict:
    assert response.status_code == 303, f"expected sign-in to complete: {response.status_code}"
    _, consent = page_after(http, response)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    return verify_jwt(http, tokens["id_token"])[1]


def post(http, location: str, path: str, html: str, **fields: str):
    return http.post(f"{location}/{path}", data={"csrf_token": csrf_of(html), **fields})


def normalised(response, *secrets: str) -> tuple[int, str, list[str]]:
    body = html_of(response)
    for value in secrets:
        body = body.replace(value, "…")
    return response.status_code, body, sorted(response.headers.getlist("Set-Cookie"))


# --- phone number alone ---------------------------------------------------------------------


def test_the_login_page_offers_the_passwordless_ways_only_when_switched_on(
        http, world, runtime):
    _, html = login_page(http, Pkce())
    assert "Text me a code instead" in html and "Email me a sign-in link" in html
    set_sign_in_policy(runtime, phone_sign_in=False, magic_links=False)
    location, html = login_page(http, Pkce())
    assert "Text me a code instead" not in html and "Email me a sign-in link" not in html
    refused = post(http, location, "phone", html, identifier=PHONE)
    assert refused.status_code == 404, "a switched-off way in is not there"


def test_a_phone_number_alone_signs_in_with_an_sms_code(http, world, sender):
    pkce = Pkce()
    location, html = login_page(http, pkce)
    page = post(http, location, "phone", html, identifier="+1 555 123 4567")
    assert page.status_code == 200
    assert "If this number belongs to an account, we sent it a code" in html_of(page)
    code = re.search(r"\b(\d{6})\b", sender.wait_for(1, to=PHONE)[-1].text).group(1)
    wrong = post(http, location, "phone/code", html_of(page), identifier=PHONE,
                 code=f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 401 and "not right, or it has expired" in html_of(wrong)
    right = post(http, location, "phone/code", html_of(page), identifier=PHONE, code=code)
    claims = claims_after(http, right, pkce, world)
    assert (claims["amr"], claims["acr"]) == (["sms"], "1"), claims


def test_an_unknown_number_gets_the_same_answer_as_a_known_one_and_nothing_is_sent(
        http, world, sender):
    location, html = login_page(http, Pkce())
    known = post(http, location, "phone", html, identifier=PHONE)
    unknown = post(http, location, "phone", html, identifier=UNKNOWN_PHONE)
    deferred.wait_idle()  # the code is made and sent after the answer
    assert [m.to for m in sender.wait_for(1)] == [PHONE], \
        "nothing may go to an unknown number"
    assert normalised(known, PHONE) == normalised(unknown, UNKNOWN_PHONE), \
        "status, body and cookies must not say whether the number has an account"
    # A code typed for either is refused in the same words, status and cookies.
    wrong_known = post(http, location, "phone/code", html, identifier=PHONE, code="000000")
    wrong_unknown = post(http, location, "phone/code", html, identifier=UNKNOWN_PHONE,
                         code="000000")
    assert normalised(wrong_known, PHONE) == normalised(wrong_unknown, UNKNOWN_PHONE)


def test_an_unknown_number_in_a_fresh_browser_looks_like_a_known_one(app, world, sender):
    """Modulo the CSRF token and the interaction id, two fresh browsers see the same."""
    answers = []
    for phone in (PHONE, UNKNOWN_PHONE):
        http = app.test_client()
        location, html = login_page(http, Pkce())
        response = post(http, location, "phone", html, identifier=phone)
        answers.append(normalised(response, csrf_of(html), urlsplit(location).path, phone))
    assert answers[0] == answers[1]


# --- magic links ----------------------------------------------------------------------------


def ask_for_link(http, pkce: Pkce, email: str = EMAIL):
    location, html = login_page(http, pkce)
    return location, html, post(http, location, "magic-link", html, identifier=email)


def link_path(sender: RecordingSender, count: int = 1) -> str:
    """The link in the ``count``-th mail to EMAIL (it is sent after the answer)."""
    text = sender.wait_for(count, to=EMAIL)[count - 1].text
    match = re.search(r"(https?://\S+/magic\?token=\S+)", text)
    assert match, f"no link in the message: {text!r}"
    link = urlsplit(match.group(1))
    return f"{link.path}?{link.query}"


def test_a_magic_link_signs_in_in_the_browser_that_asked(http, world, sender):
    pkce = Pkce()
    _, _, asked = ask_for_link(http, pkce)
    assert asked.status_code == 200 and "Check your inbox" in html_of(asked)
    claims = claims_after(http, http.get(link_path(sender)), pkce, world)
    assert (claims["amr"], claims["acr"]) == (["mail"], "1"), claims


def test_a_magic_link_in_another_browser_says_where_to_open_it_and_stays_usable(
        http, app, world, sender):
    pkce = Pkce()
    ask_for_link(http, pkce)
    path = link_path(sender)
    elsewhere = app.test_client().get(path)
    assert elsewhere.status_code == 409, elsewhere.status_code
    assert "Open this link in the browser where you asked for it" in html_of(elsewhere)
    claims = claims_after(http, http.get(path), pkce, world)
    assert claims["amr"] == ["mail"]


def test_a_used_or_expired_magic_link_is_a_plain_page(http, app, world, sender, clock):
    pkce = Pkce()
    ask_for_link(http, pkce)
    path = link_path(sender)
    claims_after(http, http.get(path), pkce, world)
    again = http.get(path)
    assert again.status_code == 410 and "expired or was already used" in html_of(again)
    later = app.test_client()
    clock.advance(seconds=31)  # past the one-link-per-30-seconds limit of the address
    ask_for_link(later, Pkce())
    clock.advance(minutes=10)
    expired = later.get(link_path(sender, 2))
    assert expired.status_code == 410 and "expired or was already used" in html_of(expired)


def test_an_unknown_address_gets_the_same_page_and_no_mail(http, world, sender):
    location, html = login_page(http, Pkce())
    known = post(http, location, "magic-link", html, identifier=EMAIL)
    unknown = post(http, location, "magic-link", html, identifier="nobody@example.com")
    deferred.wait_idle()  # the link is made and sent after the answer
    assert [m.to for m in sender.wait_for(1)] == [EMAIL]
    assert normalised(known) == normalised(unknown)


def test_a_magic_link_with_a_made_up_token_is_a_plain_page(http, world):
    location, _ = login_page(http, Pkce())
    response = http.get(f"{urlsplit(location).path}/magic?token={'x' * 43}")
    assert response.status_code == 410 and "expired or was already used" in html_of(response)


def test_after_a_passwordless_way_in_the_second_factor_is_of_another_kind(
        http, world, sender, runtime):
    """An emailed link and an SMS code both prove possession: with a second factor
    required, the person who came in by link is asked for the password (or a passkey),
    not for another code, and the tokens then say pwd + mail = mfa."""
    set_sign_in_policy(runtime, mfa="required", methods="sms,email")
    pkce = Pkce()
    ask_for_link(http, pkce)
    arrived = http.get(link_path(sender))
    assert arrived.status_code == 303, f"the link leads on, got {arrived.status_code}"
    location = arrived.headers["Location"]
    page = html_of(http.get(location))
    assert 'action="' + location + '/factor/pwd"' in page, page[:800]
    assert "/factor/sms" not in page and "/factor/email" not in page, \
        "a second possession factor would not make the sign-in multi-factor"
    wrong = post(http, location, "factor/pwd", page, password="not it")
    assert wrong.status_code == 401, f"a wrong password is refused, got {wrong.status_code}"
    right = post(http, location, "factor/pwd", html_of(http.get(location)), password=PASSWORD,
                 identifier="someone-else@example.com")
    claims = claims_after(http, right, pkce, world)
    assert (claims["amr"], claims["acr"]) == (["mail", "pwd", "mfa"], "2"), claims


def test_the_link_keeps_its_token_out_of_the_access_log(http, world, sender):
    """The access log records the path without its query (serve.py's %(U)s): the token
    travels in the query string, so no log line holds a usable link."""
    from authserver.serve import GUNICORN_OPTIONS

    ask_for_link(http, Pkce())
    path, _, query = link_path(sender).partition("?")
    token = query.removeprefix("token=")
    assert len(token) >= 43 and token not in path, f"the token is in the path: {path}"
    log_format = GUNICORN_OPTIONS["access_log_format"]
    assert "%(U)s" in log_format and not any(
        field in log_format for field in ("%(r)s", "%(q)s")), \
        f"the access log would record the query: {log_format}"
