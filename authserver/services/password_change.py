"""A person changes their own password (issue 10 item 4): on the account page, with the
current password, or at sign-in when the password expired or an operator asked for a
new one (the password-change gate).

Both go through password_policy.set_password_under_rules (length, strength, history).
On the account page the current password is checked behind the throttle, per account,
counted like sign-in failures (a stolen session cookie is not a way to guess it
quickly). A change ends every other session of the person (services/session_end.py,
EndReason.PASSWORD_CHANGED) in the same transaction and mails them a notice; a refused
password rolls all of it back.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.services.account_policy import password_rules_in
from authserver.services.error_codes import ErrorCode
from authserver.services.languages import mail_locale
from authserver.services.notifications import Notifier
from authserver.services.password_policy import password_change_due, set_password_under_rules
from authserver.services.passwords import MAX_LENGTH, Passwords
from authserver.services.senders import Channel, OutgoingMessage
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.throttle import LOGIN_PAIR, Throttle
from authserver.storage.database import Database
from authserver.storage.unit_of_work import UnitOfWork

SCOPE = "password-change"


class Changed(enum.Enum):
    CHANGED = "changed"
    WRONG_CURRENT = "wrong_current"
    THROTTLED = "throttled"
    NO_PASSWORD = "no_password"  # no such (enabled) user, or one without a password


@dataclass(frozen=True, slots=True)
class ChangeResult:
    outcome: Changed
    retry_after: int | None = None  # seconds, when THROTTLED
    sessions_ended: int = 0


CHANGED_TEXT = N_(
    "The password of your %(service)s account was just changed. If this was not you, "
    "reset your password at once and tell your administrator.")


def changed_text(locale: str | None, service: str) -> str:
    return gettext(locale, CHANGED_TEXT, service=service)


@dataclass(frozen=True, slots=True)
class PasswordChanges:
    """One tenant's password changes by the account holder."""

    database: Database
    throttle: Throttle
    notifier: Notifier
    passwords: Passwords
    tenant_id: int
    service: str
    locale: str | None = None  # the request's language; users.locale comes first

    def due(self, user_id: int, now: dt.datetime) -> ErrorCode | None:
        """Why this user must choose a new password before signing in, or None."""
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None:
                return None
            return password_change_due(user, password_rules_in(uow, self.tenant_id), now)

    def change(self, user_id: int, current: str, new: str, sid: str,
               now: dt.datetime) -> ChangeResult:
        """Check ``current``, set ``new`` and end the user's sessions but ``sid``.
        Raises PasswordRefused (nothing changed) when the rules refuse ``new``."""
        key = f"user:{user_id}"
        wait = self.throttle.retry_after(self.tenant_id, SCOPE, key)
        if wait is not None:
            return ChangeResult(Changed.THROTTLED, retry_after=wait)
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None or user.disabled or not user.password_hash:
                return ChangeResult(Changed.NO_PASSWORD)
            actor = f"user:{user.id}"
            audit = uow.audit(self.tenant_id)
            ok = len(current) <= MAX_LENGTH and self.passwords.verify(user.password_hash,
                                                                      current)
            if not ok:
                audit.record(actor, "user.password_change_failed", user.sub,
                             reason="wrong_current")
        if not ok:
            # This try was answered (wrong); a block it caused stops the next ones.
            wait = self.throttle.failure(self.tenant_id, SCOPE, key, LOGIN_PAIR)
            return ChangeResult(Changed.WRONG_CURRENT, retry_after=wait)
        with self.database.unit_of_work() as uow:
            ended = self._set(uow, user_id, new, now, except_sid=sid)
        self.throttle.success(self.tenant_id, SCOPE, key)
        return ChangeResult(Changed.CHANGED, sessions_ended=ended)

    def change_due(self, user_id: int, new: str, now: dt.datetime) -> bool:
        """Set ``new`` for a user the gate stopped (they have just proved who they are,
        so no current password is asked). False when no change is due any more (the
        page was stale); raises PasswordRefused when the rules refuse ``new``."""
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            rules = password_rules_in(uow, self.tenant_id)
            if user is None or user.disabled or password_change_due(user, rules, now) is None:
                return False
            # Sessions elsewhere ran on the old, expired password: they end too.
            self._set(uow, user_id, new, now, except_sid=None)
            return True

    def _set(self, uow: UnitOfWork, user_id: int, new: str, now: dt.datetime,
             except_sid: str | None) -> int:
        users, audit = uow.users(self.tenant_id), uow.audit(self.tenant_id)
        user = users.by_id(user_id)
        assert user is not None  # looked up by the caller in this tenant
        actor = f"user:{user.id}"
        rules = password_rules_in(uow, self.tenant_id)
        set_password_under_rules(users, audit, uow.password_history(self.tenant_id), user,
                                 new, rules, actor, now, self.passwords)
        ended = end_sessions(uow, self.tenant_id, now, EndReason.PASSWORD_CHANGED,
                             actor=actor, user_id=user.id, except_sid=except_sid)
        audit.record(actor, "user.password_changed", user.sub, sessions_ended=len(ended))
        if user.email:
            language = mail_locale(user.locale, self.locale)
            self.notifier.queue(uow, self.tenant_id, Channel.EMAIL, OutgoingMessage(
                user.email, changed_text(language, self.service), "password_changed",
                language))
        return len(ended)
