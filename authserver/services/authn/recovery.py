"""The recovery-code factor (RFC 8176 ``otp``, policies.METHOD_AMR): one of the person's
ten single-use codes, in place of the authenticator app.

Using a code marks it used with a conditional UPDATE (used only while unused), so a
code, and any concurrent submissions of it, signs in once. Throttled per user in a
bucket of its own (code_throttle.py) and audited, with how many codes are left.
"""

from __future__ import annotations

from dataclasses import dataclass

from authserver.i18n import N_
from authserver.protocol.interaction import AuthResult
from authserver.protocol.policies import ACR_MULTI, METHOD_AMR
from authserver.services import recovery_codes
from authserver.services.authentication import Outcome
from authserver.services.authn import Attempt, Submission
from authserver.services.authn.code_throttle import CodeThrottle
from authserver.services.throttle import Throttle
from authserver.storage.database import Database

AMR = (METHOD_AMR["recovery"],)
SCOPE = "recovery-code"
REFUSED = N_("That recovery code is not correct, or it has already been used.")


@dataclass(frozen=True, slots=True)
class RecoveryCodeAuthenticator:
    database: Database
    throttle: Throttle
    tenant_id: int

    def authenticate(self, submission: Submission) -> Attempt:
        user_id = submission.user_id
        if user_id is None:
            return Attempt(Outcome.REFUSED, error=REFUSED)
        limiter = CodeThrottle(self.throttle, self.tenant_id, SCOPE, user_id)
        wait = limiter.retry_after()
        if wait is not None:
            return Attempt(Outcome.THROTTLED, retry_after=wait)
        if not self.use(user_id, submission.fields.get("code", ""), submission):
            limiter.failed()
            return Attempt(Outcome.REFUSED, error=REFUSED)
        limiter.succeeded()
        return Attempt(Outcome.SIGNED_IN, AuthResult(user_id, AMR, ACR_MULTI, submission.now))

    def use(self, user_id: int, typed: str, submission: Submission) -> bool:
        code = recovery_codes.normalise(typed)
        with self.database.unit_of_work() as uow:
            repo, audit = uow.recovery_codes(self.tenant_id), uow.audit(self.tenant_id)
            used = code is not None and repo.use(
                user_id, recovery_codes.code_digest(self.tenant_id, user_id, code),
                submission.now)
            actor = f"user:{user_id}"
            if used:
                audit.record(actor, "login.factor_succeeded", actor, method="recovery",
                             remaining=repo.remaining(user_id))
            else:
                audit.record(actor, "login.factor_failed", actor, method="recovery",
                             reason="wrong_or_used_code", source=submission.source)
            return used
