"""The account page's phone section: a number set by the person is verified by an SMS
code sent to it; a number that belongs to another account gets the same answer and
never becomes this one's; removing it works (web/account/phone.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.services.senders import Channel, Senders
from authserver.storage.models import User
from tests.support.browser_flow import add_user, html_of
from tests.support.oauth import ISSUER_PATH, build_world, csrf_of, sign_in
from tests.support.runtimes import make_app, make_runtime
from tests.support.senders import RecordingSender
from tests.support.sign_in_policy import set_sign_in_policy

NEW_PHONE = "+15557654321"


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def runtime(settings, database, clock, sender):
    return make_runtime(settings, database, clock, senders=Senders({Channel.SMS: sender}))


@pytest.fixture
def account(http, runtime):
    build_world(runtime)
    set_sign_in_policy(runtime, phone_sign_in=True)  # the phone section is offered
    first = http.get(f"{ISSUER_PATH}/account")
    assert sign_in(http, first.headers["Location"]).status_code == 303
    page = http.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 200 and "Phone number" in html_of(page)
    return html_of(page)


def stored_phone(runtime, email="ann@example.com"):
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        return user.phone, user.phone_verified


def post(http, path, html, **fields):
    return http.post(f"{ISSUER_PATH}/account/{path}", data={"csrf_token": csrf_of(html),
                                                            **fields})


def test_a_new_number_is_verified_by_the_code_sent_to_it(http, runtime, sender, account):
    sent = post(http, "phone", account, phone="+1 555 765 4321")
    assert sent.status_code == 200 and "We sent a code to ••• 4321" in html_of(sent)
    assert stored_phone(runtime) == (None, False), "nothing changes before the code"
    code = re.search(r"\b(\d{6})\b", sender.last_to(NEW_PHONE).text).group(1)
    wrong = post(http, "phone/confirm", html_of(sent), code="000000" if code != "000000"
                 else "111111")
    assert wrong.status_code == 401
    done = post(http, "phone/confirm", html_of(sent), code=code)
    assert done.status_code == 200 and "Your phone number is verified." in html_of(done)
    assert stored_phone(runtime) == (NEW_PHONE, True)
    removed = post(http, "phone/remove", html_of(done))
    assert removed.status_code == 200 and stored_phone(runtime) == (None, False)


def test_another_accounts_number_gets_the_same_answer_and_no_code(
        http, runtime, sender, account):
    add_user(runtime, "bob@example.com")
    with runtime.database.session() as session:
        bob = session.scalar(select(User).where(User.email == "bob@example.com"))
        bob.phone, bob.phone_verified = NEW_PHONE, True
    sent = post(http, "phone", account, phone=NEW_PHONE)
    assert sent.status_code == 200 and "We sent a code to ••• 4321" in html_of(sent)
    assert sender.sent == [], "no code may go to another account's number"
    refused = post(http, "phone/confirm", html_of(sent), code="123456")
    assert refused.status_code == 401 and stored_phone(runtime) == (None, False)


def test_a_non_number_is_refused_with_a_sentence(http, account):
    refused = post(http, "phone", account, phone="call me")
    assert refused.status_code == 400 and "not a phone number" in html_of(refused)


# --- every failure carries its stable code -------------------------------------------------

CODE = re.compile(r'<p class="error" role="alert">(.*?) <span class="code">\((AUTH-\d{4})\)</span>',
                  re.S)


def refusal(response) -> tuple[int, str, str]:
    """(status, code, message) of the failure the account page shows."""
    match = CODE.search(html_of(response))
    assert match, f"the failure must carry its code: {html_of(response)[:1500]}"
    return response.status_code, match.group(2), match.group(1)


def sent_code(http, sender, account) -> tuple[str, str]:
    sent = post(http, "phone", account, phone=NEW_PHONE)
    assert sent.status_code == 200, html_of(sent)[:500]
    code = re.search(r"\b(\d{6})\b", sender.last_to(NEW_PHONE).text).group(1)
    return html_of(sent), code


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


@pytest.mark.parametrize("typed", ["call me", "", "+1", "1" * 64, "+1555<script>"])
def test_a_non_number_is_refused_with_AUTH_1070(http, sender, account, typed):
    assert refusal(post(http, "phone", account, phone=typed)) == (
        400, "AUTH-1070",
        "That is not a phone number in international form, such as +15551234567.")
    assert sender.sent == []


def test_a_wrong_code_is_AUTH_1011(http, runtime, sender, account):
    html, code = sent_code(http, sender, account)
    assert refusal(post(http, "phone/confirm", html, code=wrong(code))) == (
        401, "AUTH-1011", "That code is not right. Check it and try again.")
    assert stored_phone(runtime) == (None, False)


def test_an_expired_code_is_AUTH_1012(http, runtime, sender, account, clock):
    html, code = sent_code(http, sender, account)
    clock.advance(seconds=5 * 60 + 1)  # a code lives 5 minutes; the sign-in is still fresh
    assert refusal(post(http, "phone/confirm", html, code=code)) == (
        401, "AUTH-1012", "That code has expired. Send a new one.")
    assert stored_phone(runtime) == (None, False)


def test_a_sixth_try_after_five_wrong_codes_is_throttled_AUTH_1002(http, runtime, sender,
                                                                   account):
    html, code = sent_code(http, sender, account)
    seen = [refusal(post(http, "phone/confirm", html, code=wrong(code)))[:2] for _ in range(5)]
    assert seen == [(401, "AUTH-1011")] * 5, seen
    throttled = post(http, "phone/confirm", html, code=code)
    status, found, message = refusal(throttled)
    assert (status, found) == (429, "AUTH-1002"), "even the right code waits now"
    assert re.fullmatch(r"Too many attempts\. Try again in \d+ minutes?\.", message), message
    assert int(throttled.headers["Retry-After"]) >= 1
    assert stored_phone(runtime) == (None, False)


def test_a_code_tried_five_times_is_used_up_AUTH_1013(http, runtime, sender, account):
    """From another address (the per-address throttle does not stop it), the code is
    still used up: AUTH-1013, a new one must be sent."""
    html, code = sent_code(http, sender, account)
    for _ in range(5):
        post(http, "phone/confirm", html, code=wrong(code))
    elsewhere = http.post(f"{ISSUER_PATH}/account/phone/confirm",
                          data={"csrf_token": csrf_of(html), "code": code},
                          environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert refusal(elsewhere) == (401, "AUTH-1013", "Too many wrong codes. Send a new one.")
    assert stored_phone(runtime) == (None, False)


def test_confirming_before_any_code_was_sent_is_AUTH_1073(http, account):
    assert refusal(post(http, "phone/confirm", account, code="123456")) == (
        401, "AUTH-1073", "No code is waiting for this number. Send a code first.")


def test_asking_again_at_once_is_AUTH_1018_with_retry_after(http, sender, account):
    html, _ = sent_code(http, sender, account)
    again = post(http, "phone", html, phone=NEW_PHONE)
    status, code, message = refusal(again)
    assert (status, code) == (429, "AUTH-1018")
    assert re.fullmatch(r"A code was sent a moment ago\. Wait \d+ seconds? before asking for "
                        r"another\.", message), message
    assert int(again.headers["Retry-After"]) >= 1
    assert len(sender.sent) == 1, "no second code"


def test_a_gateway_that_refuses_is_AUTH_1071(http, sender, account):
    sender.failing = True
    assert refusal(post(http, "phone", account, phone=NEW_PHONE)) == (
        503, "AUTH-1071", "We could not send the code. Try again in a few minutes.")


def test_without_an_sms_sender_a_number_cannot_be_added_AUTH_1072(settings, database, clock):
    plain = make_runtime(settings, database, clock, senders=Senders({}))  # no SMS sender
    build_world(plain)
    set_sign_in_policy(plain, phone_sign_in=True)
    http = make_app(plain).test_client()
    assert sign_in(http, http.get(f"{ISSUER_PATH}/account").headers["Location"]
                   ).status_code == 303
    page = http.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 200
    assert refusal(post(http, "phone", html_of(page), phone=NEW_PHONE)) == (
        400, "AUTH-1072", "Text messages cannot be sent from this server.")


def test_the_codes_are_shown_in_german_too(http, sender, account):
    refused = http.post(f"{ISSUER_PATH}/account/phone", headers={"Accept-Language": "de"},
                        data={"csrf_token": csrf_of(account), "phone": "call me"})
    status, code, message = refusal(refused)
    assert (status, code) == (400, "AUTH-1070")
    assert message.startswith("Das ist keine Telefonnummer"), message
