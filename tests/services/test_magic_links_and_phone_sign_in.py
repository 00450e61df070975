"""Magic links (services/authn/magic_link.py) and phone-only sign-in
(services/authn/phone.py) on the real database and the runtime's clock."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from authserver.services import deferred
from authserver.services.authn.magic_link import LinkUse, MagicLinks
from authserver.services.authn.one_time_codes import Checked, OneTimeCodes
from authserver.services.authn.phone import PhoneSignIn
from authserver.services.senders import Channel, Senders
from authserver.storage.models import AuditEvent, MagicLink
from tests.support.browser_flow import tenant_id
from tests.support.oauth import build_world
from tests.support.senders import RecordingSender

UID, BROWSER, OTHER_BROWSER = "uid-" + "u" * 30, "handle-" + "h" * 30, "handle-" + "x" * 30
SOURCE = "192.0.2.1"
PHONE = "+15551234567"


@pytest.fixture
def sent() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def links(runtime, sent) -> MagicLinks:
    build_world(runtime)
    return MagicLinks(runtime.database, runtime.throttle, Senders({Channel.EMAIL: sent}),
                      tenant_id(runtime), "Acme")


def link_for(token: str) -> str:
    return f"https://id.example/t/acme/interaction/{UID}/magic?token={token}"


def token_in(sent: RecordingSender) -> str:
    # Made and sent after the answer (services/deferred.py).
    text = sent.wait_for(1, to="ann@example.com")[-1].text
    match = re.search(r"/magic\?token=([A-Za-z0-9_-]+)", text)
    assert match, "the message must carry the link"
    return match.group(1)


def ask(links, clock, email="ann@example.com") -> None:
    links.request(email, UID, BROWSER, link_for, clock())


def use(links, clock, token, browser=BROWSER, uid=UID, source=SOURCE):
    return links.use(token, uid, browser, source, clock())


def test_a_link_signs_in_once_in_the_browser_that_asked(links, sent, clock) -> None:
    ask(links, clock)
    token = token_in(sent)
    assert len(token) >= 43, "256 bits of token"
    result = use(links, clock, token)
    assert result.outcome is LinkUse.SIGNED_IN and result.user_id is not None
    assert use(links, clock, token).outcome is LinkUse.GONE, "single use"


def test_another_browser_is_told_where_to_open_it_and_does_not_spend_it(
        links, sent, clock) -> None:
    ask(links, clock)
    token = token_in(sent)
    assert use(links, clock, token, browser=OTHER_BROWSER).outcome is LinkUse.OTHER_BROWSER
    assert use(links, clock, token, browser=None).outcome is LinkUse.OTHER_BROWSER
    assert use(links, clock, token).outcome is LinkUse.SIGNED_IN


def test_a_link_expires_after_ten_minutes(links, sent, clock) -> None:
    ask(links, clock)
    token = token_in(sent)
    clock.advance(minutes=10)
    assert use(links, clock, token).outcome is LinkUse.GONE


def test_a_link_belongs_to_its_interaction(links, sent, clock) -> None:
    ask(links, clock)
    assert use(links, clock, token_in(sent), uid="another-uid").outcome is LinkUse.GONE


def test_an_unknown_address_sends_nothing_and_the_table_keeps_digests_only(
        links, sent, clock) -> None:
    ask(links, clock, "nobody@example.com")
    ask(links, clock, "not an address")
    deferred.wait_idle()
    assert sent.sent == []
    ask(links, clock)
    token = token_in(sent)
    with links.database.unit_of_work() as uow:
        row = uow.session.scalars(select(MagicLink)).one()
        assert token not in str(row.token_digest) and BROWSER not in row.browser_digest


def test_made_up_links_are_throttled_per_source(links, sent, clock) -> None:
    ask(links, clock)
    token = token_in(sent)
    for i in range(10):
        assert use(links, clock, f"made-up-{i}").outcome is LinkUse.GONE
    assert use(links, clock, token).outcome is LinkUse.THROTTLED
    assert use(links, clock, token, source="198.51.100.7").outcome is LinkUse.SIGNED_IN


def test_a_failed_send_is_audited(links, sent, clock) -> None:
    sent.failing = True
    ask(links, clock)
    # Sent after the answer, so the failure is recorded a moment later.
    deadline = time.monotonic() + 5
    while True:
        with links.database.unit_of_work() as uow:
            events = [(e.action, e.details) for e in uow.session.scalars(select(AuditEvent))]
        failed = [d for a, d in events if a == "notification.send_failed"]
        if failed or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert [d["purpose"] for d in failed] == ["magic_link"], events


@pytest.fixture
def phone(runtime, sent) -> PhoneSignIn:
    build_world(runtime)
    tid = tenant_id(runtime)
    with runtime.database.unit_of_work() as uow:
        ann = uow.users(tid).by_email("ann@example.com")
        ann.phone, ann.phone_verified = PHONE, True
    return PhoneSignIn(OneTimeCodes(runtime.database, runtime.throttle,
                                    Senders({Channel.SMS: sent}), tid, "Acme"))


def test_phone_sign_in_sends_to_a_verified_number_in_any_spelling(phone, sent, clock) -> None:
    phone.request("+1 (555) 123-4567", UID, clock())
    code = re.search(r"\b(\d{6})\b", sent.wait_for(1, to=PHONE)[-1].text).group(1)
    result, user_id = phone.check("+15551234567", UID, code, SOURCE, clock())
    assert result.outcome is Checked.ACCEPTED and user_id is not None


def test_phone_sign_in_sends_nothing_to_unknown_or_unverified_numbers(
        phone, sent, clock) -> None:
    phone.request("+15550000000", UID, clock())
    with phone.codes.database.unit_of_work() as uow:
        uow.users(phone.codes.tenant_id).by_phone(PHONE).phone_verified = False
    phone.request(PHONE, UID, clock())
    deferred.wait_idle()
    assert sent.sent == []


def test_an_unknown_number_is_refused_and_throttled_like_a_wrong_code(phone, clock) -> None:
    outcomes = [phone.check("+15550000000", UID, "123456", SOURCE, clock())[0].outcome
                for _ in range(6)]
    assert outcomes == [Checked.WRONG] * 5 + [Checked.THROTTLED]
