"""TOTP enrolment and sign-in (RFC 6238) against the real database and crypto: seeds
sealed at rest, ±1 step, each code once, throttled per user, every outcome audited."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from authserver.runtime import Runtime
from authserver.services import envelope
from authserver.services.authentication import Outcome
from authserver.services.authn import Submission
from authserver.services.authn.totp import MESSAGES, TotpAuthenticator, Verdict
from authserver.services.totp_enrolment import Confirmed, open_seed, tenant_row
from authserver.storage.models import AuditEvent, TotpCredential
from tests.conftest import Clock
from tests.support.factors import Person, a_person, app_code, code_submission, enrolment


@pytest.fixture
def person(runtime: Runtime) -> Person:
    return a_person(runtime)


def authenticator(runtime: Runtime, person: Person) -> TotpAuthenticator:
    return TotpAuthenticator(runtime.database, runtime.throttle, runtime.master_key,
                             person.tenant_id)


def enrolled(runtime: Runtime, person: Person, clock: Clock) -> str:
    """Enrol and confirm; returns the seed. The clock moves past the confirming step."""
    setup = enrolment(runtime, person).begin(person.user_id, "user:1", clock())
    assert enrolment(runtime, person).confirm(
        person.user_id, app_code(setup.secret, clock()), "user:1", clock()) \
        is Confirmed.CONFIRMED
    clock.advance(seconds=30)
    return setup.secret


def actions(runtime: Runtime) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    with runtime.database.session() as session:
        return [(e.action, e.details) for e in session.query(AuditEvent).order_by(AuditEvent.id)
                if e.action.startswith(("totp.", "login.factor"))]


def test_begin_gives_a_160_bit_base32_seed_a_uri_naming_tenant_and_email_and_an_svg(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    setup = enrolment(runtime, person).begin(person.user_id, "user:1", clock())
    assert len(setup.secret) == 32 and setup.secret.isalnum(), "base32 of 20 bytes is 32 chars"
    assert setup.grouped.replace(" ", "") == setup.secret
    parts = urlsplit(setup.uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Acme:ann@example.com"
    assert parse_qs(parts.query) == {"secret": [setup.secret], "issuer": ["Acme"]}
    assert setup.qr_svg.startswith("<svg") and "<script" not in setup.qr_svg


def test_the_seed_is_sealed_at_rest_and_bound_to_its_user(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    setup = enrolment(runtime, person).begin(person.user_id, "user:1", clock())
    with runtime.database.unit_of_work() as uow:
        row = uow.totp(person.tenant_id).of_user(person.user_id)
        assert row is not None
        assert setup.secret.encode() not in row.secret_sealed
        tenant = tenant_row(uow, person.tenant_id)
        assert open_seed(tenant, runtime.master_key, person.user_id, row.secret_sealed) \
            == setup.secret
        with pytest.raises(envelope.DecryptionError):
            open_seed(tenant, runtime.master_key, person.user_id + 1, row.secret_sealed)


def test_an_unconfirmed_seed_does_not_sign_in(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    setup = enrolment(runtime, person).begin(person.user_id, "user:1", clock())
    attempt = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(setup.secret, clock()), clock()))
    assert attempt.outcome is Outcome.REFUSED
    assert enrolment(runtime, person).status(person.user_id).enrolled is False


def test_confirming_needs_a_code_of_the_new_seed_and_burns_it_for_sign_in(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    service = enrolment(runtime, person)
    setup = service.begin(person.user_id, "user:1", clock())
    assert service.confirm(person.user_id, "000000" if app_code(setup.secret, clock())
                           != "000000" else "111111", "user:1", clock()) is Confirmed.WRONG_CODE
    code = app_code(setup.secret, clock())
    assert service.confirm(person.user_id, code, "user:1", clock()) is Confirmed.CONFIRMED
    assert service.status(person.user_id).enrolled is True
    attempt = authenticator(runtime, person).authenticate(code_submission(person, code, clock()))
    assert (attempt.outcome, attempt.error) == (Outcome.REFUSED, MESSAGES[Verdict.REPLAYED]), \
        "the code typed to confirm must not also sign in"
    assert service.confirm(person.user_id, code, "user:1", clock()) is Confirmed.NOTHING_PENDING


def test_a_code_signs_in_once_with_otp_and_the_replay_is_refused(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    seed = enrolled(runtime, person, clock)
    code = app_code(seed, clock())
    first = authenticator(runtime, person).authenticate(code_submission(person, code, clock()))
    assert first.outcome is Outcome.SIGNED_IN and first.result is not None
    assert (first.result.user_id, first.result.amr, first.result.acr) == \
        (person.user_id, ("otp",), "2")
    again = authenticator(runtime, person).authenticate(code_submission(person, code, clock()))
    assert (again.outcome, again.error) == (Outcome.REFUSED, MESSAGES[Verdict.REPLAYED])
    earlier = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(seed, clock(), -1), clock()))
    assert earlier.outcome is Outcome.REFUSED, "a code older than the last accepted one"
    assert actions(runtime)[-3:] == [
        ("login.factor_succeeded", {"method": "totp"}),
        ("login.factor_failed", {"method": "totp", "reason": "replayed", "source": "192.0.2.1"}),
        ("login.factor_failed", {"method": "totp", "reason": "replayed", "source": "192.0.2.1"}),
    ]


@pytest.mark.parametrize(("steps", "outcome"), [
    (-2, Outcome.REFUSED), (-1, Outcome.SIGNED_IN), (0, Outcome.SIGNED_IN),
    (1, Outcome.SIGNED_IN), (2, Outcome.REFUSED)])
def test_codes_one_step_either_side_are_accepted_and_two_steps_are_not(
        runtime: Runtime, person: Person, clock: Clock, steps: int, outcome: Outcome) -> None:
    seed = enrolled(runtime, person, clock)
    clock.advance(seconds=90)  # well past the confirming step, so -2 is not "used" already
    attempt = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(seed, clock(), steps), clock()))
    assert attempt.outcome is outcome, f"a code {steps:+d} steps away"


def test_codes_are_read_with_spaces_and_hyphens_and_anything_else_is_wrong(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    seed = enrolled(runtime, person, clock)
    code = app_code(seed, clock())
    for typed in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        attempt = authenticator(runtime, person).authenticate(
            code_submission(person, typed, clock()))
        assert (attempt.outcome, attempt.error) == (Outcome.REFUSED,
                                                    MESSAGES[Verdict.WRONG_CODE]), typed
    runtime.throttle.success(person.tenant_id, "totp", f"user:{person.user_id}")
    attempt = authenticator(runtime, person).authenticate(
        code_submission(person, f" {code[:3]} {code[3:]} ", clock()))
    assert attempt.outcome is Outcome.SIGNED_IN


def test_wrong_codes_are_throttled_per_user_after_five_and_a_success_resets(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    seed = enrolled(runtime, person, clock)
    wrong = "000000" if app_code(seed, clock()) != "000000" else "111111"
    for n in range(5):
        attempt = authenticator(runtime, person).authenticate(
            code_submission(person, wrong, clock(), source=f"192.0.2.{n}"))
        assert attempt.outcome is Outcome.REFUSED, f"attempt {n + 1} is refused, not blocked"
    blocked = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(seed, clock()), clock(), source="198.51.100.7"))
    assert (blocked.outcome, blocked.retry_after) == (Outcome.THROTTLED, 300), \
        "past five failures even the right code from another address waits 5 minutes"
    clock.advance(minutes=5)
    ok = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(seed, clock()), clock()))
    assert ok.outcome is Outcome.SIGNED_IN, "blocks end"
    clock.advance(seconds=30)
    after = authenticator(runtime, person).authenticate(
        code_submission(person, wrong, clock()))
    assert after.outcome is Outcome.REFUSED, "the success forgot the earlier failures"


def test_re_enrolling_keeps_the_confirmed_seed_until_the_new_one_is_confirmed(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    old = enrolled(runtime, person, clock)
    service = enrolment(runtime, person)
    first = service.begin(person.user_id, "user:1", clock())
    new = service.begin(person.user_id, "user:1", clock())  # replaces the unconfirmed one
    assert service.status(person.user_id).pending is True
    assert service.pending(person.user_id).secret == new.secret  # type: ignore[union-attr]
    assert authenticator(runtime, person).authenticate(
        code_submission(person, app_code(old, clock()), clock())).outcome is Outcome.SIGNED_IN
    clock.advance(seconds=30)
    assert service.confirm(person.user_id, app_code(first.secret, clock()), "user:1",
                           clock()) is Confirmed.WRONG_CODE
    assert service.confirm(person.user_id, app_code(new.secret, clock()), "user:1",
                           clock()) is Confirmed.CONFIRMED
    clock.advance(seconds=30)
    assert authenticator(runtime, person).authenticate(
        code_submission(person, app_code(old, clock()), clock())).outcome is Outcome.REFUSED
    assert authenticator(runtime, person).authenticate(
        code_submission(person, app_code(new.secret, clock()), clock())).outcome \
        is Outcome.SIGNED_IN


def test_removing_ends_totp_sign_in_and_is_audited(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    seed = enrolled(runtime, person, clock)
    assert enrolment(runtime, person).remove(person.user_id, "user:1") is True
    assert enrolment(runtime, person).remove(person.user_id, "user:1") is False
    attempt = authenticator(runtime, person).authenticate(
        code_submission(person, app_code(seed, clock()), clock()))
    assert attempt.outcome is Outcome.REFUSED
    with runtime.database.session() as session:
        assert session.query(TotpCredential).count() == 0
    assert [a for a, _ in actions(runtime)][:3] == [
        "totp.enrolment_started", "totp.enrolled", "totp.removed"]


def test_confirming_is_throttled_too(runtime: Runtime, person: Person, clock: Clock) -> None:
    service = enrolment(runtime, person)
    setup = service.begin(person.user_id, "user:1", clock())
    wrong = "000000" if app_code(setup.secret, clock()) != "000000" else "111111"
    assert [service.confirm(person.user_id, wrong, "user:1", clock()) for _ in range(6)] == \
        [Confirmed.WRONG_CODE] * 5 + [Confirmed.THROTTLED]
    clock.advance(minutes=5)
    assert service.confirm(person.user_id, app_code(setup.secret, clock()), "user:1",
                           clock()) is Confirmed.CONFIRMED


def test_the_code_is_never_in_the_audit_log(runtime: Runtime, person: Person,
                                            clock: Clock) -> None:
    seed = enrolled(runtime, person, clock)
    code = app_code(seed, clock())
    authenticator(runtime, person).authenticate(code_submission(person, code, clock()))
    authenticator(runtime, person).authenticate(code_submission(person, code, clock()))
    logged = repr(actions(runtime))
    assert code not in logged and seed not in logged


def test_a_first_factor_submission_is_refused(runtime: Runtime, person: Person,
                                              clock: Clock) -> None:
    enrolled(runtime, person, clock)
    attempt = authenticator(runtime, person).authenticate(
        Submission({"code": "123456"}, "192.0.2.1", None, clock()))
    assert attempt.outcome is Outcome.REFUSED

