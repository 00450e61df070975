"""Email and SMS one-time codes as the second factor over HTTP, with a recording sender
standing in for the gateways (the real senders are tested against real peers in
tests/web/test_e2e_chromium_codes.py): amr/acr in the tokens, an expired code, the
sixth attempt, a code from another sign-in attempt, and a failing sender (issue 9)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.services.senders import Channel, Senders
from authserver.storage.models import AuditEvent, User
from tests.support.browser_flow import html_of, page_after, redirected_to_client, submit
from tests.support.oauth import (
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
    sign_in,
)
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender
from tests.support.sign_in_policy import set_sign_in_policy
from tests.support.tokens import verify_jwt

PHONE = "+15551234567"
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
    set_sign_in_policy(runtime, mfa="optional", methods="sms,email")
    return built


def code_in(sender: RecordingSender, to: str) -> str:
    match = re.search(r"\b(\d{6})\b", sender.last_to(to).text)
    assert match, f"no code in the message: {sender.last_to(to).text!r}"
    return match.group(1)


def after_password(http, pkce: Pkce | None = None) -> str:
    """Through the password page; returns the further-factor page's URL."""
    location, _ = page_after(http, http.get(
        "/t/acme/authorize", query_string=authorize_params(pkce=pkce or Pkce())))
    response = sign_in(http, location)
    assert response.status_code == 303, f"password step: {response.status_code}"
    return response.headers["Location"]


def factor_page(http, location: str) -> str:
    page = http.get(location)
    assert page.status_code == 200, page.status_code
    html = html_of(page)
    assert "Confirm it" in html, f"expected the further-factor page: {html[:300]}"
    return html


def send(http, location: str, method: str):
    html = factor_page(http, location)
    assert f"/factor/{method}/send" in html, f"the page must offer sending by {method}"
    return http.post(f"{location}/factor/{method}/send", data={"csrf_token": csrf_of(html)})


def enter(http, location: str, method: str, code: str):
    html = factor_page(http, location)
    return http.post(f"{location}/factor/{method}", data={"csrf_token": csrf_of(html),
                                                          "code": code})


def tokens_after(http, response, pkce: Pkce, world) -> dict:
    _, consent = page_after(http, response)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    return verify_jwt(http, tokens["id_token"])[1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize(("method", "to", "amr", "masked"), [
    ("email", EMAIL, "mail", "a•••@example.com"), ("sms", PHONE, "sms", "••• 4567")])
def test_a_sent_code_is_the_second_factor(http, world, sender, method, to, amr, masked):
    pkce = Pkce()
    location = after_password(http, pkce)
    sent = send(http, location, method)
    assert sent.status_code == 200, sent.status_code
    assert f"We sent a code to {masked}" in html_of(sent)
    response = enter(http, location, method, code_in(sender, to))
    assert response.status_code == 303, f"right code: {response.status_code}"
    claims = tokens_after(http, response, pkce, world)
    assert (claims["amr"], claims["acr"]) == (["pwd", amr, "mfa"], "2"), claims


def test_an_expired_code_is_refused_with_a_clear_sentence(http, world, sender, clock):
    location = after_password(http)
    send(http, location, "sms")
    clock.advance(minutes=5)
    response = enter(http, location, "sms", code_in(sender, PHONE))
    assert response.status_code == 401
    assert "That code has expired. Send a new one." in html_of(response)


def test_the_sixth_attempt_fails_even_with_the_right_code(http, world, sender):
    location = after_password(http)
    send(http, location, "email")
    code = code_in(sender, EMAIL)
    for i in range(5):
        # The check throttle (5 per address) would refuse first; each guess from its own.
        http.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"
        assert enter(http, location, "email", wrong(code)).status_code == 401
    http.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    sixth = enter(http, location, "email", code)
    assert sixth.status_code == 401, f"the sixth attempt must fail: {sixth.status_code}"
    assert "Too many wrong codes. Send a new one." in html_of(sixth)


def test_a_code_from_another_sign_in_attempt_is_refused(http, world, sender):
    first = after_password(http)
    send(http, first, "sms")
    code = code_in(sender, PHONE)
    second = after_password(http)  # a second tab: another pending interaction
    refused = enter(http, second, "sms", code)
    assert refused.status_code == 401, refused.status_code
    assert "No code is waiting for this sign-in" in html_of(refused)
    assert enter(http, first, "sms", code).status_code == 303, \
        "the code still works in the attempt it was sent for"


def test_sending_again_at_once_is_a_429_with_retry_after(http, world, sender):
    location = after_password(http)
    assert send(http, location, "sms").status_code == 200
    again = send(http, location, "sms")
    assert again.status_code == 429 and again.headers["Retry-After"] == "30"
    assert "Wait 30 seconds" in html_of(again)


def test_a_failing_sender_is_a_clear_page_and_an_audited_event(http, world, sender, runtime):
    sender.failing = True
    location = after_password(http)
    response = send(http, location, "sms")
    assert response.status_code == 503, response.status_code
    assert ("We could not send the code. Try again in a few minutes or use another "
            "method.") in html_of(response)
    with runtime.database.session() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "code.send_failed")).all()
        assert [(e.details["channel"], e.details["purpose"]) for e in events] == [
            ("sms", "sign_in")]


def test_sms_is_not_offered_for_an_unverified_phone(http, world, runtime):
    # Email alone is implicit (every account has one): "optional" would not ask for it.
    set_sign_in_policy(runtime, mfa="required")
    with runtime.database.session() as session:
        session.scalar(select(User).where(User.email == EMAIL)).phone_verified = False
    location = after_password(http)
    html = factor_page(http, location)
    assert "/factor/sms/send" not in html and "/factor/email/send" in html
    refused = http.post(f"{location}/factor/sms/send", data={"csrf_token": csrf_of(html)})
    assert refused.status_code == 400, refused.status_code
