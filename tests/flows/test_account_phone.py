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
from tests.support.runtimes import make_runtime
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
