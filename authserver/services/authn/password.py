"""The password factor (RFC 8176 ``pwd``), behind the sign-in throttle.

It wraps :class:`~authserver.services.authentication.PasswordSignIn`, which keeps the
timing-safe check, the throttle outcomes and the known-device token.
"""

from __future__ import annotations

from dataclasses import dataclass

from authserver.protocol.interaction import AuthResult
from authserver.services.authentication import Outcome, PasswordSignIn
from authserver.services.authn import Attempt, Submission

AMR = ("pwd",)  # RFC 8176 §2: password-based authentication
ACR = "1"  # single-factor (ISO/IEC 29115 level 1); stronger levels need more factors


@dataclass(frozen=True, slots=True)
class PasswordAuthenticator:
    sign_in: PasswordSignIn

    def authenticate(self, submission: Submission) -> Attempt:
        fields = submission.fields
        identifier = (fields.get("identifier", "") if submission.user_id is None
                      else self.sign_in.sign_in_name(submission.user_id))
        checked = self.sign_in.attempt(identifier, fields.get("password", ""),
                                       submission.source, submission.device_token,
                                       submission.now)
        if checked.outcome is not Outcome.SIGNED_IN or checked.user_id is None:
            refused = Outcome.THROTTLED if checked.outcome is Outcome.THROTTLED \
                else Outcome.REFUSED
            return Attempt(refused, retry_after=checked.retry_after)
        return Attempt(Outcome.SIGNED_IN, AuthResult(checked.user_id, AMR, ACR, submission.now),
                       device_token=checked.device_token)
