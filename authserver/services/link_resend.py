"""A fresh link for a person stopped at the verification gate (issue 10 items 1, 2).

Only someone who has just proved who they are reaches the gate (web/signup.py runs it
after the factors), so the answer may say what happened. An account still awaiting
verification gets a new verification link; a pending invitee (who signed in some other
way than a password, which they do not have) gets a new invitation instead, since that
is where their first password is chosen. Either way the earlier link stops working.
Requests are limited per account and per destination address (services/throttle.py):
a person whose mail is slow asks once or twice, not a flood into one inbox.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from authserver.services import invitations
from authserver.services.error_codes import define
from authserver.services.languages import mail_locale
from authserver.services.notifications import Notifier
from authserver.services.signup import send_verification
from authserver.services.throttle import Policy, Throttle
from authserver.storage.database import Database

RESEND_WAIT = define("AUTH-2110", "link_resend_wait",
                     "We sent you a link a moment ago. Check your inbox and spam folder, "
                     "or wait a few minutes before asking for another one.", 429)

_MINUTE = dt.timedelta(minutes=1)
RESEND_ACCOUNT = Policy(3, 60 * _MINUTE, 15 * _MINUTE, 60 * _MINUTE)
RESEND_DESTINATION = Policy(5, 60 * _MINUTE, 15 * _MINUTE, 24 * 60 * _MINUTE)


class Resent(enum.Enum):
    VERIFICATION = "verification"
    INVITATION = "invitation"
    THROTTLED = "throttled"
    NOT_NEEDED = "not_needed"  # verified meanwhile
    REFUSED = "refused"  # the account was disabled or deleted meanwhile


@dataclass(frozen=True, slots=True)
class LinkResend:
    """One tenant's resend of verification and invitation links."""

    database: Database
    throttle: Throttle
    notifier: Notifier
    tenant_id: int
    service: str
    locale: str | None = None  # the request's language; users.locale comes first

    def resend(self, user_id: int, now: dt.datetime, verify_link: Callable[[str], str],
               invitation_link: Callable[[str], str]) -> Resent:
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None or user.disabled:
                return Resent.REFUSED
            if not user.verification_required:
                return Resent.NOT_NEEDED
            account = f"user:{user.id}"
            keys = [("resend-account", account), ("resend-destination", user.email)]
            if self.throttle.longest_wait(self.tenant_id, keys):
                return Resent.THROTTLED
            self.throttle.failure(self.tenant_id, "resend-account", account, RESEND_ACCOUNT)
            self.throttle.failure(self.tenant_id, "resend-destination", user.email,
                                  RESEND_DESTINATION)
            if invitations.is_pending(user):
                invitations.send(uow, self.notifier, self.tenant_id, self.service, user,
                                 account, now, invitation_link, self.locale)
                return Resent.INVITATION
            send_verification(uow, self.notifier, self.tenant_id, self.service, user.id,
                              user.email, mail_locale(user.locale, self.locale), verify_link,
                              now)
            uow.audit(self.tenant_id).record(account, "signup.verification_resent", user.sub)
            return Resent.VERIFICATION
