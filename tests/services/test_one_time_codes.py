"""One-time codes (services/authn/one_time_codes.py) on the real database and the
runtime's clock: 5 minutes, 5 attempts, bound to the attempt, one live code per purpose,
sending limits, and nothing but digests at rest."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.services.authn.one_time_codes import (
    Checked,
    OneTimeCodes,
    Purpose,
    Sent,
)
from authserver.services.senders import Channel, Senders
from authserver.storage.models import AuditEvent, OneTimeCode, User
from tests.support.browser_flow import tenant_id
from tests.support.oauth import build_world
from tests.support.senders import RecordingSender

PHONE = "+15551234567"
ATTEMPT, OTHER_ATTEMPT = "attempt-one-" + "a" * 20, "attempt-two-" + "b" * 20
SOURCE = "192.0.2.1"


@pytest.fixture
def sent() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def codes(runtime, sent) -> OneTimeCodes:
    build_world(runtime)
    tid = tenant_id(runtime)
    with runtime.database.unit_of_work() as uow:
        ann = uow.users(tid).by_email("ann@example.com")
        ann.phone, ann.phone_verified = PHONE, True
    return OneTimeCodes(runtime.database, runtime.throttle,
                        Senders({Channel.EMAIL: sent, Channel.SMS: sent}), tid, "Acme")


def ann_id(codes: OneTimeCodes) -> int:
    with codes.database.unit_of_work() as uow:
        return uow.users(codes.tenant_id).by_email("ann@example.com").id


def code_in(sender: RecordingSender, to: str) -> str:
    match = re.search(r"\b(\d{6})\b", sender.last_to(to).text)
    assert match, f"the message must carry a 6-digit code: {sender.last_to(to).text!r}"
    return match.group(1)


def send(codes, clock, channel=Channel.SMS, attempt=ATTEMPT):
    return codes.send(ann_id(codes), channel, attempt, clock())


def check(codes, clock, code, channel=Channel.SMS, attempt=ATTEMPT, source=SOURCE):
    return codes.check(ann_id(codes), channel, attempt, code, source, clock()).outcome


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_sent_code_is_accepted_once_and_the_page_sees_only_the_masked_number(
        codes, sent, clock) -> None:
    result = send(codes, clock)
    assert (result.outcome, result.masked) == (Sent.SENT, "••• 4567")
    code = code_in(sent, PHONE)
    assert check(codes, clock, code) is Checked.ACCEPTED
    assert check(codes, clock, code) is Checked.NONE_SENT, "a code must work only once"


def test_an_email_code_goes_to_the_account_address(codes, sent, clock) -> None:
    assert send(codes, clock, Channel.EMAIL).masked == "a•••@example.com"
    code = code_in(sent, "ann@example.com")
    assert check(codes, clock, code, Channel.SMS) is Checked.NONE_SENT, \
        "an email code must not pass as an SMS code"
    assert check(codes, clock, code, Channel.EMAIL) is Checked.ACCEPTED


def test_a_code_expires_after_five_minutes_on_the_runtime_clock(codes, sent, clock) -> None:
    send(codes, clock)
    code = code_in(sent, PHONE)
    clock.advance(minutes=4, seconds=59)
    assert check(codes, clock, wrong(code)) is Checked.WRONG
    clock.advance(seconds=1)
    assert check(codes, clock, code) is Checked.EXPIRED


def test_the_sixth_attempt_fails_even_with_the_right_code(codes, sent, clock) -> None:
    send(codes, clock)
    code = code_in(sent, PHONE)
    # From five addresses, so the check throttle (5 per address) is not what refuses.
    outcomes = [check(codes, clock, wrong(code), source=f"192.0.2.{i}") for i in range(5)]
    assert outcomes == [Checked.WRONG] * 5
    assert check(codes, clock, code, source="192.0.2.99") is Checked.EXHAUSTED


def test_the_fifth_attempt_may_still_be_the_right_one(codes, sent, clock) -> None:
    send(codes, clock)
    code = code_in(sent, PHONE)
    for i in range(4):
        assert check(codes, clock, wrong(code), source=f"192.0.2.{i}") is Checked.WRONG
    assert check(codes, clock, code, source="192.0.2.99") is Checked.ACCEPTED


def test_a_code_from_one_sign_in_attempt_fails_in_another(codes, sent, clock) -> None:
    send(codes, clock, attempt=ATTEMPT)
    code = code_in(sent, PHONE)
    assert check(codes, clock, code, attempt=OTHER_ATTEMPT) is Checked.NONE_SENT
    assert check(codes, clock, code, attempt=ATTEMPT) is Checked.ACCEPTED


def test_a_new_send_replaces_the_live_code_of_that_purpose(codes, sent, clock) -> None:
    send(codes, clock)
    first = code_in(sent, PHONE)
    clock.advance(seconds=31)
    send(codes, clock)
    second = code_in(sent, PHONE)
    if first != second:  # one in 10^6 they coincide
        assert check(codes, clock, first) is Checked.WRONG
    assert check(codes, clock, second) is Checked.ACCEPTED
    with codes.database.unit_of_work() as uow:
        rows = uow.session.scalars(select(OneTimeCode)).all()
        assert [r.purpose for r in rows] == ["sign_in"], "one row per (user, purpose)"


def test_a_phone_verification_code_lives_beside_the_sign_in_code(codes, sent, clock) -> None:
    send(codes, clock)
    sign_in = code_in(sent, PHONE)
    clock.advance(seconds=31)
    codes.send(ann_id(codes), Channel.SMS, "sid-1", clock(), Purpose.VERIFY_PHONE,
               to="+15559876543")
    verify = code_in(sent, "+15559876543")
    assert codes.check(ann_id(codes), Channel.SMS, "sid-1", verify, SOURCE, clock(),
                       Purpose.VERIFY_PHONE).destination == "+15559876543"
    assert check(codes, clock, sign_in) is Checked.ACCEPTED


def test_sending_is_limited_to_one_per_30_seconds_and_five_per_15_minutes(
        codes, sent, clock) -> None:
    assert send(codes, clock).outcome is Sent.SENT
    too_soon = send(codes, clock)
    assert (too_soon.outcome, too_soon.retry_after) == (Sent.THROTTLED, 30)
    for _ in range(4):
        clock.advance(seconds=30)
        assert send(codes, clock).outcome is Sent.SENT
    clock.advance(seconds=30)
    sixth = send(codes, clock)
    assert sixth.outcome is Sent.THROTTLED and sixth.retry_after > 30, sixth
    assert len(sent.sent) == 5
    clock.advance(minutes=15)
    assert send(codes, clock).outcome is Sent.SENT, "the limit must end"


def test_the_destination_limit_holds_across_purposes_and_attempts(codes, sent, clock) -> None:
    send(codes, clock)
    result = codes.send(ann_id(codes), Channel.SMS, "sid-1", clock(), Purpose.VERIFY_PHONE,
                        to=PHONE)
    assert result.outcome is Sent.THROTTLED


def test_only_digests_are_stored(codes, sent, clock) -> None:
    send(codes, clock)
    code = code_in(sent, PHONE)
    with codes.database.unit_of_work() as uow:
        row = uow.session.scalars(select(OneTimeCode)).one()
        stored = " ".join(str(getattr(row, c.name)) for c in OneTimeCode.__table__.columns)
        events = " ".join(str(e.details) for e in uow.session.scalars(select(AuditEvent)))
    assert code not in stored and ATTEMPT not in stored, stored
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_digest)
    assert code not in events


def test_sms_is_not_offered_without_a_verified_phone_or_without_a_sender(
        codes, sent, clock) -> None:
    with codes.database.unit_of_work() as uow:
        uow.session.scalars(select(User)).one().phone_verified = False
    assert send(codes, clock).outcome is Sent.NOT_OFFERED
    email_only = OneTimeCodes(codes.database, codes.throttle,
                              Senders({Channel.EMAIL: sent}), codes.tenant_id, "Acme")
    assert email_only.destination(ann_id(codes), Channel.SMS) is None
    assert send(email_only, clock, Channel.EMAIL).outcome is Sent.SENT
    assert sent.sent and all(m.to == "ann@example.com" for m in sent.sent)


def test_a_failing_sender_is_audited_without_the_code(codes, sent, clock) -> None:
    sent.failing = True
    assert send(codes, clock).outcome is Sent.FAILED
    with codes.database.unit_of_work() as uow:
        events = [(e.action, e.details) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "code.send_failed"))]
    assert events == [("code.send_failed", {"channel": "sms", "purpose": "sign_in",
                                            "reason": "test gateway refused the message"})]


def test_checks_are_throttled_per_source_like_passwords(codes, sent, clock) -> None:
    for _ in range(5):
        send(codes, clock)
        code = code_in(sent, PHONE)
        assert check(codes, clock, wrong(code)) is Checked.WRONG
        clock.advance(seconds=30)
    result = codes.check(ann_id(codes), Channel.SMS, ATTEMPT, code, SOURCE, clock())
    assert result.outcome is Checked.THROTTLED and result.retry_after, result
    assert check(codes, clock, code, source="198.51.100.7") is Checked.ACCEPTED, \
        "another address must not be blocked by this one's failures"
