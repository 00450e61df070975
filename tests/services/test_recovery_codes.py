"""Recovery codes: ten, single use, digests only, shown once, a new batch replaces the
old; read forgivingly when typed; throttled per user; audited."""

from __future__ import annotations

import math
import re

import pytest

from authserver.runtime import Runtime
from authserver.services import recovery_codes
from authserver.services.authentication import Outcome
from authserver.services.authn.recovery import REFUSED, RecoveryCodeAuthenticator
from authserver.storage.models import AuditEvent, RecoveryCode
from tests.conftest import Clock
from tests.support.factors import Person, a_person, code_submission


@pytest.fixture
def person(runtime: Runtime) -> Person:
    return a_person(runtime)


def generate(runtime: Runtime, person: Person, clock: Clock) -> list[str]:
    with runtime.database.unit_of_work() as uow:
        return recovery_codes.generate(uow, person.tenant_id, person.user_id,
                                       f"user:{person.user_id}", clock())


def remaining(runtime: Runtime, person: Person) -> int:
    with runtime.database.unit_of_work() as uow:
        return recovery_codes.remaining(uow, person.tenant_id, person.user_id)


def use(runtime: Runtime, person: Person, clock: Clock, typed: str) -> Outcome:
    attempt = RecoveryCodeAuthenticator(runtime.database, runtime.throttle, person.tenant_id) \
        .authenticate(code_submission(person, typed, clock()))
    if attempt.outcome is Outcome.SIGNED_IN:
        assert attempt.result is not None and attempt.result.amr == ("otp",)
    elif attempt.outcome is Outcome.REFUSED:
        assert attempt.error == REFUSED
    return attempt.outcome


def test_ten_distinct_grouped_codes_of_at_least_50_bits_stored_as_digests_only(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    codes = generate(runtime, person, clock)
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", c) for c in codes)
    assert math.log2(len(recovery_codes.ALPHABET)) * recovery_codes.LENGTH >= 50
    with runtime.database.session() as session:
        stored = [r.code_digest for r in session.query(RecoveryCode)]
    assert len(stored) == 10
    for code in codes:
        assert not any(code.replace("-", "") in d or code in d for d in stored)
    assert remaining(runtime, person) == 10


def test_a_code_works_once(runtime: Runtime, person: Person, clock: Clock) -> None:
    code = generate(runtime, person, clock)[3]
    assert use(runtime, person, clock, code) is Outcome.SIGNED_IN
    assert use(runtime, person, clock, code) is Outcome.REFUSED
    assert remaining(runtime, person) == 9


@pytest.mark.parametrize("typing", [
    str.upper, lambda c: c.replace("-", ""), lambda c: f"  {c[:5]} {c[6:]} ",
    lambda c: c.replace("0", "o").replace("1", "l").upper()])
def test_codes_are_read_in_any_case_with_or_without_separators(
        runtime: Runtime, person: Person, clock: Clock, typing: object) -> None:
    code = generate(runtime, person, clock)[0]
    assert use(runtime, person, clock, typing(code)) is Outcome.SIGNED_IN  # type: ignore[operator]


def test_regenerating_invalidates_the_old_batch(runtime: Runtime, person: Person,
                                                clock: Clock) -> None:
    old = generate(runtime, person, clock)
    use(runtime, person, clock, old[0])
    new = generate(runtime, person, clock)
    assert not set(old) & set(new)
    assert use(runtime, person, clock, old[1]) is Outcome.REFUSED
    assert remaining(runtime, person) == 10
    assert use(runtime, person, clock, new[1]) is Outcome.SIGNED_IN


def test_another_persons_code_does_not_work(runtime: Runtime, person: Person,
                                            clock: Clock) -> None:
    code = generate(runtime, person, clock)[0]
    other = Person(person.world, person.tenant_id, person.user_id + 1000)
    assert use(runtime, other, clock, code) is Outcome.REFUSED


def test_wrong_codes_are_throttled_after_five_then_allowed_again(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    code = generate(runtime, person, clock)[0]
    assert [use(runtime, person, clock, "zzzzz-zzzzz") for _ in range(5)] == \
        [Outcome.REFUSED] * 5
    assert use(runtime, person, clock, code) is Outcome.THROTTLED
    clock.advance(minutes=5)
    assert use(runtime, person, clock, code) is Outcome.SIGNED_IN


def test_generation_and_every_use_are_audited_without_the_code(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    codes = generate(runtime, person, clock)
    use(runtime, person, clock, codes[0])
    use(runtime, person, clock, codes[0])
    with runtime.database.session() as session:
        events = [(e.action, e.details) for e in session.query(AuditEvent).order_by(AuditEvent.id)
                  if e.action.startswith(("recovery", "login.factor"))]
    assert events == [
        ("recovery_codes.generated", {"count": 10}),
        ("login.factor_succeeded", {"method": "recovery", "remaining": 9}),
        ("login.factor_failed", {"method": "recovery", "reason": "wrong_or_used_code",
                                 "source": "192.0.2.1"}),
    ]
    assert not any(c in repr(events) or c.replace("-", "") in repr(events) for c in codes)
