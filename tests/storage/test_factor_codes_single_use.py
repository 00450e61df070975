"""A TOTP code and a recovery code are accepted once even when two submissions of it
arrive together: the conditional UPDATE decides, on SQLite and on PostgreSQL. Real
threads, real database; a barrier makes both UPDATEs reach the database together."""

from __future__ import annotations

import pytest

from authserver.runtime import Runtime
from authserver.services import recovery_codes
from authserver.services.authentication import Outcome
from authserver.services.authn.recovery import RecoveryCodeAuthenticator
from authserver.services.authn.totp import TotpAuthenticator
from authserver.services.totp_enrolment import Confirmed
from tests.conftest import Clock
from tests.storage.test_token_single_use import in_parallel, statements_meet
from tests.support.factors import Person, a_person, app_code, code_submission, enrolment


@pytest.fixture
def person(runtime: Runtime) -> Person:
    return a_person(runtime)


def test_two_concurrent_submissions_of_one_totp_code_have_one_winner(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    service = enrolment(runtime, person)
    setup = service.begin(person.user_id, "test", clock())
    assert service.confirm(person.user_id, app_code(setup.secret, clock()), "test",
                           clock()) is Confirmed.CONFIRMED
    clock.advance(seconds=30)
    code = app_code(setup.secret, clock())
    check = TotpAuthenticator(runtime.database, runtime.throttle, runtime.master_key,
                              person.tenant_id)
    with statements_meet(runtime.database, "UPDATE totp_credentials"):
        attempts = in_parallel(*[lambda: check.authenticate(
            code_submission(person, code, clock()))] * 2)
    assert sorted(a.outcome.value for a in attempts) == \
        sorted([Outcome.SIGNED_IN.value, Outcome.REFUSED.value]), attempts


def test_two_concurrent_uses_of_one_recovery_code_have_one_winner(
        runtime: Runtime, person: Person, clock: Clock) -> None:
    with runtime.database.unit_of_work() as uow:
        code = recovery_codes.generate(uow, person.tenant_id, person.user_id, "test",
                                       clock())[0]
    check = RecoveryCodeAuthenticator(runtime.database, runtime.throttle, person.tenant_id)
    with statements_meet(runtime.database, "UPDATE recovery_codes"):
        attempts = in_parallel(*[lambda: check.authenticate(
            code_submission(person, code, clock()))] * 2)
    assert sorted(a.outcome.value for a in attempts) == \
        sorted([Outcome.SIGNED_IN.value, Outcome.REFUSED.value]), attempts
