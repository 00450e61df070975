"""Password reset by an emailed link (issue 10 item 3).

Asking for a link answers the same whether or not the address has an account, is
enabled, or the sending limits were reached: the caller shows one "check your inbox"
page for all of them, and the mail is queued with the token in the same unit of work
(services/notifications.py), so nothing about the answer depends on delivery.
Requests are throttled per source address (against a stranger mailing everyone) and
per typed address (against flooding one inbox; counted for addresses without an account
too, so the limit is no oracle); a throttled request is simply not sent.

The link (services/account_tokens.py, Purpose.PASSWORD_RESET) works once, for 30
minutes, and only the newest one does. Setting the new password spends it and ends
every sign-in session of the account (services/session_end.py, EndReason.PASSWORD_RESET,
which takes the non-offline refresh tokens with them) in the same transaction; a
password the policy refuses rolls everything back, so the link still works.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.services import account_tokens, deferred, invitations
from authserver.services.account_policy import password_rules_in
from authserver.services.account_tokens import Purpose
from authserver.services.accounts import normalise_email, set_password
from authserver.services.error_codes import define
from authserver.services.errors import InvalidInput
from authserver.services.languages import mail_locale
from authserver.services.notifications import Notifier
from authserver.services.passwords import Passwords
from authserver.services.senders import Channel, OutgoingMessage
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.throttle import Policy, Throttle
from authserver.storage.database import Database

LINK_GONE = define("AUTH-3501", "reset_link_gone",
                   "This password reset link has expired or was already used. Ask for a "
                   "new one.", 410)
PASSWORD_REFUSED = define("AUTH-3502", "reset_password_refused",
                          "That password cannot be used. Choose another one.", 400)

_MINUTE = dt.timedelta(minutes=1)
# Per source address, whatever addresses were typed: a person asks once or twice; a
# script mailing strangers' inboxes is stopped after 10 a quarter hour.
REQUEST_SOURCE = Policy(10, 15 * _MINUTE, 15 * _MINUTE, 60 * _MINUTE)
# Per account, from anywhere: enough for a slow inbox and a retry, not a flood.
REQUEST_ACCOUNT = Policy(3, 15 * _MINUTE, 15 * _MINUTE, 60 * _MINUTE)


class ResetOutcome(enum.Enum):
    DONE = "done"
    GONE = "gone"  # unknown, expired, used or superseded link, or a disabled account


LINK_TEXT = N_(
    "Someone asked to reset the password of your %(service)s account. To choose a new "
    "password, open this link:\n\n%(link)s\n\nIt works once, within %(minutes)s "
    "minutes. If you did not ask for it, ignore this message: your password stays as "
    "it is.")
CHANGED_TEXT = N_(
    "The password of your %(service)s account was just changed with a reset link, and "
    "every device signed in to it was signed out. If this was not you, reset your "
    "password again at once and tell your administrator.")


def link_text(locale: str | None, service: str, link: str) -> str:
    minutes = int(account_tokens.LIFETIMES[Purpose.PASSWORD_RESET].total_seconds() // 60)
    return gettext(locale, LINK_TEXT, service=service, link=link, minutes=minutes)


def changed_text(locale: str | None, service: str) -> str:
    return gettext(locale, CHANGED_TEXT, service=service)


@dataclass(frozen=True, slots=True)
class PasswordReset:
    """One tenant's password resets."""

    database: Database
    throttle: Throttle
    notifier: Notifier
    passwords: Passwords
    tenant_id: int
    service: str
    # The language of the request (None: none we speak); the account's saved locale
    # comes first (services/languages.py mail_locale).
    locale: str | None = None

    def request(self, typed_email: str, source: str, link_for: Callable[[str], str],
                now: dt.datetime,
                invitation_link_for: Callable[[str], str] | None = None) -> None:
        """Mail a reset link if ``typed_email`` names an enabled account and the limits
        allow; otherwise do nothing. The caller answers the same either way. A pending
        invitee has no password to reset: with ``invitation_link_for`` they get a fresh
        invitation instead (services/invitations.py), under the same limits."""
        if self.throttle.longest_wait(self.tenant_id, [("reset-source", source)]):
            return
        self.throttle.failure(self.tenant_id, "reset-source", source, REQUEST_SOURCE)
        try:
            email = normalise_email(typed_email)
        except InvalidInput:
            return
        # Enumeration (docs/security.md, "Enumeration resistance"): from here on an
        # address takes the same path whether or not it names an enabled account. The
        # per-account limit is counted under the address (one account, one address), so
        # it is counted and applied to an unknown address exactly as to a known one; one
        # write transaction commits either way (its audit record); and what only an
        # account gets, the token and the mail, is made after the answer
        # (services/deferred.py), so neither the throttle nor the time to answer says
        # which it was.
        address = f"email:{email}"
        if self.throttle.longest_wait(self.tenant_id, [("reset-account", address)]):
            return
        self.throttle.failure(self.tenant_id, "reset-account", address, REQUEST_ACCOUNT)
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_email(email)
            audit = uow.audit(self.tenant_id)
            if user is None or user.disabled or not user.email:
                audit.record("anonymous", "user.password_reset_requested", None,
                             account="none")
                return
            audit.record(f"user:{user.id}", "user.password_reset_requested", user.sub)
            user_id = user.id
            deferred.after_commit(uow, "password-reset-link", lambda: self._send_link(
                user_id, link_for, now, invitation_link_for))

    def _send_link(self, user_id: int, link_for: Callable[[str], str], now: dt.datetime,
                   invitation_link_for: Callable[[str], str] | None = None) -> None:
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None or user.disabled or not user.email:
                return  # disabled or deleted in the last millisecond
            if invitation_link_for is not None and invitations.is_pending(user):
                invitations.send(uow, self.notifier, self.tenant_id, self.service, user,
                                 f"user:{user.id}", now, invitation_link_for, self.locale)
                return
            token = account_tokens.issue(uow, self.tenant_id, user.id,
                                         Purpose.PASSWORD_RESET, now)
            language = mail_locale(user.locale, self.locale)
            self.notifier.queue(uow, self.tenant_id, Channel.EMAIL, OutgoingMessage(
                user.email, link_text(language, self.service, link_for(token)),
                "password_reset", language))

    def link_works(self, token: str, now: dt.datetime) -> bool:
        """Whether ``token`` is a valid, unspent reset link of an enabled account."""
        with self.database.unit_of_work() as uow:
            holder = account_tokens.check(uow, self.tenant_id, Purpose.PASSWORD_RESET,
                                          token, now)
            if holder is None:
                return False
            user = uow.users(self.tenant_id).by_id(holder.user_id)
            return user is not None and not user.disabled

    def complete(self, token: str, password: str, now: dt.datetime) -> ResetOutcome:
        """Spend the link, set ``password`` and end every session of the account, all in
        one transaction. Raises InvalidInput (nothing changed, the link still works) when
        the password policy refuses ``password``."""
        with self.database.unit_of_work() as uow:
            holder = account_tokens.spend(uow, self.tenant_id, Purpose.PASSWORD_RESET,
                                          token, now)
            if holder is None:
                return ResetOutcome.GONE
            users = uow.users(self.tenant_id)
            user = users.by_id(holder.user_id)
            if user is None or user.disabled:
                return ResetOutcome.GONE
            actor = f"user:{user.id}"
            audit = uow.audit(self.tenant_id)
            rules = password_rules_in(uow, self.tenant_id)
            # Under the tenant's rules, history included: a reset link is no way round
            # "cannot reuse". It clears password_change_required.
            set_password(users, audit, user, password, actor, now, self.passwords, rules)
            # The link came by mail: the address is proven, and the new password is the
            # one the person just chose, so nothing else stands before their next sign-in.
            user.email_verified = True
            user.verification_required = False
            ended = end_sessions(uow, self.tenant_id, now, EndReason.PASSWORD_RESET,
                                 actor=actor, user_id=user.id)
            audit.record(actor, "user.password_reset", user.sub, sessions_ended=len(ended))
            if user.email:
                language = mail_locale(user.locale, self.locale)
                self.notifier.queue(uow, self.tenant_id, Channel.EMAIL, OutgoingMessage(
                    user.email, changed_text(language, self.service), "password_changed",
                    language))
            return ResetOutcome.DONE
