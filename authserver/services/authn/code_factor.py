"""The email and SMS code factors (RFC 8176 ``mail`` and ``sms``) as authenticators of
the interaction layer: the code typed in field ``code``, checked for the person the
interaction already recognised (``Submission.user_id``) and the attempt it belongs to
(``Submission.attempt``)."""

from __future__ import annotations

from dataclasses import dataclass

from authserver.i18n import N_
from authserver.protocol.interaction import AuthResult
from authserver.services.authentication import Outcome
from authserver.services.authn import Attempt, Submission
from authserver.services.authn.one_time_codes import Checked, CheckResult, OneTimeCodes
from authserver.services.senders import Channel

ACR = "1"  # one factor; the policy joins it to another for "2"
AMR = {Channel.SMS: ("sms",), Channel.EMAIL: ("mail",)}  # RFC 8176 §2
REFUSALS = {
    Checked.WRONG: N_("That code is not right. Check it and try again."),
    Checked.EXPIRED: N_("That code has expired. Send a new one."),
    Checked.EXHAUSTED: N_("Too many wrong codes. Send a new one."),
    Checked.NONE_SENT: N_("No code is waiting for this sign-in. Send a code first."),
}


def attempt_of(result: CheckResult, user_id: int, channel: Channel,
               submission: Submission) -> Attempt:
    """The interaction's view of a code check."""
    if result.outcome is Checked.ACCEPTED:
        return Attempt(Outcome.SIGNED_IN, AuthResult(user_id, AMR[channel], ACR,
                                                     submission.now))
    if result.outcome is Checked.THROTTLED:
        return Attempt(Outcome.THROTTLED, retry_after=result.retry_after)
    return Attempt(Outcome.REFUSED, error=REFUSALS[result.outcome])


@dataclass(frozen=True, slots=True)
class CodeAuthenticator:
    codes: OneTimeCodes
    channel: Channel

    def authenticate(self, submission: Submission) -> Attempt:
        user_id = submission.user_id
        if user_id is None or not submission.attempt:
            # A code is a further factor: without the person it belongs to, nothing.
            return Attempt(Outcome.REFUSED, error=REFUSALS[Checked.NONE_SENT])
        code = submission.fields.get("code", "")[:20]
        result = self.codes.check(user_id, self.channel, submission.attempt, code,
                                  submission.source, submission.now)
        return attempt_of(result, user_id, self.channel, submission)
