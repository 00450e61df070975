"""Invitations (issue 10 item 2): an operator creates an account without a password and
the person sets their first one by following a mailed link; no password is ever mailed.

A *pending invitee* is an account with ``verification_required`` and no password: the
password check fails for it exactly as for a wrong password (it has no hash to match),
and any other way of signing in stops at the verification gate (web/signup.py), so it
cannot sign in until the invitation is accepted. The link (services/account_tokens.py,
Purpose.INVITATION) works once, for 7 days, and only the newest one does: inviting
again invalidates the earlier link. Accepting it checks the tenant's password rules
first (services/password_policy.py), then spends the link, sets the password, and marks
the address verified, in one unit of work; a refused password changes nothing and the
link keeps working.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.services import account_tokens
from authserver.services.account_policy import PasswordRules
from authserver.services.account_tokens import Purpose
from authserver.services.accounts import invitation_pending, set_password
from authserver.services.error_codes import ErrorCode, define
from authserver.services.errors import InvalidInput
from authserver.services.languages import mail_locale, supported
from authserver.services.notifications import Notifier
from authserver.services.password_policy import TOO_LONG, password_problems
from authserver.services.passwords import Passwords
from authserver.services.senders import Channel, OutgoingMessage
from authserver.storage.database import Database
from authserver.storage.models import User
from authserver.storage.unit_of_work import UnitOfWork

LINK_GONE = define("AUTH-2101", "invitation_link_invalid",
                   "This invitation link does not work any more: it was already used, has "
                   "expired, was replaced by a newer invitation or was mistyped. Ask the "
                   "person who invited you to send a new one.", 410)
PASSWORD_REFUSED = define("AUTH-2102", "invitation_password_refused",
                          "That password cannot be used. Choose another one.")
PASSWORDS_DIFFER = define("AUTH-2103", "invitation_passwords_differ",
                          "The two passwords are not the same. Type the same password "
                          "twice.")
NOT_ACCEPTED = define("AUTH-2104", "invitation_not_accepted",
                      "Set up your account first: open the invitation we emailed you and "
                      "choose a password.", 403)

# Far above any tenant's max_length (account_policy.MAX_LENGTH_CEILING); longer input is
# refused as too long before anything else looks at it.
MAX_PASSWORD_INPUT = 1024


class AcceptOutcome(enum.Enum):
    ACCEPTED = "accepted"
    GONE = "gone"  # unknown, expired, used or superseded link, or the account changed


class PasswordRefused(Exception):
    """The chosen password breaks the tenant's rules: every code, in order."""

    def __init__(self, codes: list[ErrorCode], detail: str = "") -> None:
        super().__init__(detail or ", ".join(c.code for c in codes))
        self.codes = codes
        self.detail = detail


def is_pending(user: User) -> bool:
    """Whether ``user`` was invited and has not accepted yet."""
    return invitation_pending(user)


def days_valid() -> int:
    return account_tokens.LIFETIMES[Purpose.INVITATION].days


INVITATION_TEXT = N_(
    "You have been invited to %(service)s. To set up your account and choose your "
    "password, open this link:\n\n%(link)s\n\nIt works once, within %(days)s days. If "
    "you did not expect this invitation, ignore this message: nothing happens without "
    "it.")


def invitation_text(locale: str | None, service: str, link: str) -> str:
    return gettext(locale, INVITATION_TEXT, service=service, link=link, days=days_valid())


def send(uow: UnitOfWork, notifier: Notifier, tenant_id: int, service: str, user: User,
         actor: str, now: dt.datetime, link_for: Callable[[str], str],
         locale: str | None = None) -> dt.datetime:
    """Make ``user`` a pending invitee and queue the mail with a fresh link (earlier links
    stop working); returns when the new link expires. The mail is in the user's saved
    locale, else ``locale`` (the causing request's language; None from the CLI)."""
    user.verification_required = True
    token = account_tokens.issue(uow, tenant_id, user.id, Purpose.INVITATION, now)
    language = mail_locale(user.locale, locale)
    notifier.queue(uow, tenant_id, Channel.EMAIL, OutgoingMessage(
        user.email, invitation_text(language, service, link_for(token)), "invitation",
        language))
    uow.audit(tenant_id).record(actor, "user.invited", user.sub)
    return now + account_tokens.LIFETIMES[Purpose.INVITATION]


@dataclass(frozen=True, slots=True)
class Invitee:
    """Whom a working link is for, as the accept page greets them."""

    email: str
    given_name: str | None


@dataclass(frozen=True, slots=True)
class Invitations:
    """One tenant's invitation links, as the accept page uses them."""

    database: Database
    passwords: Passwords
    tenant_id: int
    rules: PasswordRules

    def invitee(self, token: str, now: dt.datetime) -> Invitee | None:
        """Whom ``token`` invites, when it is a working link of a pending, enabled
        account; else None."""
        with self.database.unit_of_work() as uow:
            user = self._holder(uow, account_tokens.check(
                uow, self.tenant_id, Purpose.INVITATION, token, now))
            return Invitee(user.email, user.given_name) if user is not None else None

    def _holder(self, uow: UnitOfWork,
                holder: account_tokens.LinkHolder | None) -> User | None:
        if holder is None:
            return None
        user = uow.users(self.tenant_id).by_id(holder.user_id)
        if user is None or user.disabled or not is_pending(user):
            return None
        return user

    def accept(self, token: str, password: str, repeated: str,
               now: dt.datetime, locale: str | None = None) -> AcceptOutcome:
        """Set the first password and spend the link. Raises :class:`PasswordRefused`
        (nothing changed, the link still works) when the password is refused.
        ``locale``, the language of the accept page's request, becomes the account's
        ``users.locale`` unless one was already saved (an operator's choice stands)."""
        if len(password) > MAX_PASSWORD_INPUT:
            raise PasswordRefused([TOO_LONG])
        if password != repeated:
            raise PasswordRefused([PASSWORDS_DIFFER])
        # Checked before the link is spent, and whatever set_password enforces itself.
        if problems := password_problems(password, self.rules):
            raise PasswordRefused(problems)
        with self.database.unit_of_work() as uow:
            user = self._holder(uow, account_tokens.spend(
                uow, self.tenant_id, Purpose.INVITATION, token, now))
            if user is None:
                return AcceptOutcome.GONE
            actor = f"user:{user.id}"
            try:
                set_password(uow.users(self.tenant_id), uow.audit(self.tenant_id), user,
                             password, actor, now, self.passwords, self.rules)
            except InvalidInput as refused:
                # Leaving the block by raising rolls back the spent link too.
                raise PasswordRefused([PASSWORD_REFUSED], refused.problem) from None
            # The link came by mail: whoever holds it receives mail at the address.
            user.email_verified = True
            user.verification_required = False
            user.password_change_required = False
            if not user.locale and supported(locale):
                user.locale = supported(locale)
            uow.audit(self.tenant_id).record(actor, "user.invitation_accepted", user.sub)
            return AcceptOutcome.ACCEPTED
