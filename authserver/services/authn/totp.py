"""The TOTP factor (RFC 6238; RFC 8176 ``otp``): a code from the person's authenticator
app, asked once the first factor named them.

A code is accepted once per user: the matched time step must be later than the last
accepted one, decided by a conditional UPDATE (storage/repositories/totp.py), so a
replayed code and two concurrent submissions of one code have one winner. Checks are
throttled per user (code_throttle.py) and every outcome is audited; the code itself is
never logged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from authserver.i18n import N_
from authserver.protocol.interaction import AuthResult
from authserver.protocol.policies import ACR_MULTI, METHOD_AMR
from authserver.services import totp_codes
from authserver.services.authentication import Outcome
from authserver.services.authn import Attempt, Submission
from authserver.services.authn.code_throttle import CodeThrottle
from authserver.services.throttle import Throttle
from authserver.services.totp_enrolment import open_seed, tenant_row
from authserver.storage.database import Database

AMR = (METHOD_AMR["totp"],)
SCOPE = "totp"  # the throttle bucket's scope


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    WRONG_CODE = "wrong_code"
    REPLAYED = "replayed"
    NOT_ENROLLED = "not_enrolled"


MESSAGES = {
    Verdict.WRONG_CODE: N_("That code is not correct. Type the code your app shows now."),
    Verdict.REPLAYED: N_("That code has already been used. Wait for your app to show the "
                         "next one."),
    Verdict.NOT_ENROLLED: N_("That code is not correct. Type the code your app shows now."),
}


@dataclass(frozen=True, slots=True)
class TotpAuthenticator:
    database: Database
    throttle: Throttle
    master_key: bytes
    tenant_id: int

    def authenticate(self, submission: Submission) -> Attempt:
        user_id = submission.user_id
        if user_id is None:  # a second factor only: nobody to check the code against
            return Attempt(Outcome.REFUSED, error=MESSAGES[Verdict.NOT_ENROLLED])
        limiter = CodeThrottle(self.throttle, self.tenant_id, SCOPE, user_id)
        wait = limiter.retry_after()
        if wait is not None:
            return Attempt(Outcome.THROTTLED, retry_after=wait)
        verdict = self.check(user_id, submission.fields.get("code", ""), submission)
        if verdict is not Verdict.ACCEPTED:
            limiter.failed()  # the next attempt finds out about a block, as with passwords
            return Attempt(Outcome.REFUSED, error=MESSAGES[verdict])
        limiter.succeeded()
        return Attempt(Outcome.SIGNED_IN, AuthResult(user_id, AMR, ACR_MULTI, submission.now))

    def check(self, user_id: int, typed: str, submission: Submission) -> Verdict:
        """Check ``typed`` and, if it is new, burn its step; audited either way."""
        with self.database.unit_of_work() as uow:
            repo, audit = uow.totp(self.tenant_id), uow.audit(self.tenant_id)
            row = repo.confirmed(user_id)
            step = None
            if row is not None:
                seed = open_seed(tenant_row(uow, self.tenant_id), self.master_key, user_id,
                                 row.secret_sealed)
                step = totp_codes.matching_step(seed, typed, submission.now)
            if row is None:
                verdict = Verdict.NOT_ENROLLED
            elif step is None:
                verdict = Verdict.WRONG_CODE
            else:
                verdict = Verdict.ACCEPTED if repo.accept_step(row.id, step) \
                    else Verdict.REPLAYED
            actor = f"user:{user_id}"
            if verdict is Verdict.ACCEPTED:
                audit.record(actor, "login.factor_succeeded", actor, method="totp")
            else:
                audit.record(actor, "login.factor_failed", actor, method="totp",
                             reason=verdict.value, source=submission.source)
            return verdict
