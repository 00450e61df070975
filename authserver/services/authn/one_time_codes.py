"""One-time codes sent by email or SMS (issue 9): 6 digits, 5 minutes, 5 attempts, one
live code per (user, purpose), bound to the sign-in attempt that asked for it.

Stored as a SHA-256 digest over tenant, user, purpose, the attempt's id and the code.
The attempt id (the pending interaction's uid, 192 random bits) is never stored beside
it (only ``attempt_digest``), so a precomputed table of the 10^6 codes' digests is worth
nothing against any row, and a code typed into another attempt cannot match. Attempts
are spent by a conditional UPDATE before the comparison (storage/repositories/
one_time_codes.py): the sixth try fails even with the right code, however many race.

Sending is rate-limited per user and per destination: at most one code per 30 seconds
(a person who did not get the first waits that long anyway before asking again; it
stops a script ringing a phone in a loop) and five per 15 minutes (five codes of five
attempts each are 25 guesses per quarter hour at a 1-in-10^6 code, and five texts is
as many as a real person waiting for a slow SMS asks for). Checks are throttled like
passwords (services/throttle.py), per (user, source) and per user.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import secrets
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.protocol.tokens import digest
from authserver.services.languages import mail_locale
from authserver.services.phone_numbers import mask_email, mask_phone
from authserver.services.senders import Channel, OutgoingMessage, Senders, SendFailed
from authserver.services.throttle import LOGIN_ACCOUNT, LOGIN_PAIR, Policy, Throttle
from authserver.storage.database import Database
from authserver.storage.repositories.one_time_codes import NewCode
from authserver.storage.unit_of_work import UnitOfWork

DIGITS = 6
TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
_SECONDS = dt.timedelta(seconds=1)
SEND_BURST = Policy(1, 30 * _SECONDS, 30 * _SECONDS, 30 * _SECONDS)
SEND_WINDOW = Policy(5, dt.timedelta(minutes=15), dt.timedelta(minutes=15),
                     dt.timedelta(minutes=15))
CHECK_PAIR, CHECK_ACCOUNT = LOGIN_PAIR, LOGIN_ACCOUNT


class Purpose(enum.StrEnum):
    SIGN_IN = "sign_in"
    VERIFY_PHONE = "verify_phone"


class Sent(enum.Enum):
    SENT = "sent"
    NOT_OFFERED = "not_offered"  # no sender for the channel, or nowhere to send
    THROTTLED = "throttled"
    FAILED = "failed"  # the sender raised SendFailed (audited)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Sent
    masked: str | None = None  # "••• 4567": where it went, as a page may show it
    retry_after: int | None = None


class Checked(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    NONE_SENT = "none_sent"  # no code for this attempt (never sent, replaced, used)
    EXHAUSTED = "exhausted"  # the fifth attempt has been spent
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Checked
    destination: str | None = None  # where the accepted code was sent
    retry_after: int | None = None


def code_digest(tenant_id: int, user_id: int, purpose: str, attempt: str, code: str) -> str:
    return digest(f"otc|{tenant_id}|{user_id}|{purpose}|{attempt}|{code}")


def new_code(digits: int = DIGITS) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def masked(channel: Channel, destination: str) -> str:
    return mask_phone(destination) if channel is Channel.SMS else mask_email(destination)


SIGN_IN_TEXT = N_(
    "Your %(service)s sign-in code is %(code)s. It expires in %(minutes)s minutes. If "
    "you did not ask for it, ignore this message.")
VERIFY_PHONE_TEXT = N_(
    "Your %(service)s code to confirm this number is %(code)s. It expires in "
    "%(minutes)s minutes. If you did not ask for it, ignore this message.")


def message_text(locale: str | None, service: str, code: str, purpose: Purpose) -> str:
    text = SIGN_IN_TEXT if purpose is Purpose.SIGN_IN else VERIFY_PHONE_TEXT
    minutes = int(TTL.total_seconds() // 60)
    return gettext(locale, text, service=service, code=code, minutes=minutes)


@dataclass(frozen=True, slots=True)
class OneTimeCodes:
    """One tenant's one-time codes: send, then check."""

    database: Database
    throttle: Throttle
    senders: Senders
    tenant_id: int
    service: str  # how the message names us (the tenant's name)
    # The language of the request (None: none we speak); the account's saved locale
    # comes first (services/languages.py mail_locale).
    locale: str | None = None

    def destination(self, user_id: int, channel: Channel) -> str | None:
        """Where a sign-in code for ``user_id`` goes on ``channel``: the email address,
        or the phone number once verified; None when the channel is not offered."""
        if self.senders.get(channel) is None:
            return None
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None or user.disabled:
                return None
            if channel is Channel.EMAIL:
                return str(user.email)
            return str(user.phone) if user.phone and user.phone_verified else None

    def send(self, user_id: int, channel: Channel, attempt: str, now: dt.datetime,
             purpose: Purpose = Purpose.SIGN_IN, to: str | None = None) -> SendResult:
        """Send a new code (replacing the live one of this purpose). ``to`` overrides
        the destination (a phone number being verified)."""
        sender = self.senders.get(channel)
        destination = to if to is not None else self.destination(user_id, channel)
        if sender is None or destination is None or not attempt:
            return SendResult(Sent.NOT_OFFERED)
        keys = self._send_keys(user_id, destination)
        wait = self.throttle.longest_wait(self.tenant_id, [(s, k) for s, k, _ in keys])
        if wait is not None:
            return SendResult(Sent.THROTTLED, retry_after=wait)
        for scope, key, policy in keys:
            self.throttle.failure(self.tenant_id, scope, key, policy)
        code = new_code()
        saved = self._store(user_id, channel, destination, attempt, purpose, code, now)
        language = mail_locale(saved, self.locale)
        text = message_text(language, self.service, code, purpose)
        try:
            # After the commit, never inside the transaction: a gateway's retries must
            # not hold a database connection.
            sender.send(OutgoingMessage(destination, text, str(purpose), language))
        except SendFailed as failure:
            self._audit(user_id, "code.send_failed", channel=str(channel),
                        purpose=str(purpose), reason=str(failure))
            return SendResult(Sent.FAILED)
        return SendResult(Sent.SENT, masked(channel, destination))

    def _send_keys(self, user_id: int, destination: str) -> list[tuple[str, str, Policy]]:
        return [("code-send-burst", f"user:{user_id}", SEND_BURST),
                ("code-send", f"user:{user_id}", SEND_WINDOW),
                *self.destination_keys(destination)]

    @staticmethod
    def destination_keys(destination: str) -> list[tuple[str, str, Policy]]:
        """The sending limits of one destination (whoever it belongs to, if anyone)."""
        return [("code-send-burst", f"to:{destination}", SEND_BURST),
                ("code-send", f"to:{destination}", SEND_WINDOW)]

    def _store(self, user_id: int, channel: Channel, destination: str, attempt: str,
               purpose: Purpose, code: str, now: dt.datetime) -> str | None:
        """Store the code; returns the user's saved locale (read in the same unit of
        work, so the message needs no second look-up)."""
        with self.database.unit_of_work() as uow:
            self.store(uow, user_id, channel, destination, attempt, purpose, code, now)
            user = uow.users(self.tenant_id).by_id(user_id)
            return user.locale if user is not None else None

    def store(self, uow: UnitOfWork, user_id: int, channel: Channel, destination: str,
              attempt: str, purpose: Purpose, code: str, now: dt.datetime) -> None:
        """Keep ``code`` (its digest) as the live one, in the caller's unit of work."""
        uow.one_time_codes(self.tenant_id).replace(NewCode(
            user_id=user_id, purpose=str(purpose), channel=str(channel),
            destination=destination, attempt_digest=digest(attempt),
            code_digest=code_digest(self.tenant_id, user_id, purpose, attempt, code),
            expires_at=now + TTL), now)
        uow.audit(self.tenant_id).record(f"user:{user_id}", "code.sent", None,
                                         channel=str(channel), purpose=str(purpose))

    def _audit(self, user_id: int, action: str, **details: object) -> None:
        with self.database.unit_of_work() as uow:
            uow.audit(self.tenant_id).record(f"user:{user_id}", action, None, **details)

    def check(self, user_id: int, channel: Channel, attempt: str, code: str, source: str,
              now: dt.datetime, purpose: Purpose = Purpose.SIGN_IN) -> CheckResult:
        """Check ``code`` for this user, channel and attempt, behind the throttle."""
        keys = [("code-pair", f"user:{user_id}|{source}", CHECK_PAIR),
                ("code-account", f"user:{user_id}", CHECK_ACCOUNT)]
        wait = self.throttle.longest_wait(self.tenant_id, [(s, k) for s, k, _ in keys])
        if wait is not None:
            return CheckResult(Checked.THROTTLED, retry_after=wait)
        result = self._check(user_id, channel, attempt, code.strip(), now, purpose)
        if result.outcome is Checked.ACCEPTED:
            self.throttle.success(self.tenant_id, keys[0][0], keys[0][1])
        else:
            for scope, key, policy in keys:
                self.throttle.failure(self.tenant_id, scope, key, policy)
        return result

    def _check(self, user_id: int, channel: Channel, attempt: str, code: str,
               now: dt.datetime, purpose: Purpose) -> CheckResult:
        with self.database.unit_of_work() as uow:
            codes = uow.one_time_codes(self.tenant_id)
            row = codes.live(user_id, str(purpose))
            if (row is None or row.consumed_at is not None or row.channel != channel
                    or not hmac.compare_digest(row.attempt_digest, digest(attempt))):
                return CheckResult(Checked.NONE_SENT)
            if row.expires_at <= now:
                return CheckResult(Checked.EXPIRED)
            if not codes.count_attempt(row.id, MAX_ATTEMPTS, now):
                return CheckResult(Checked.EXHAUSTED)
            typed = code_digest(self.tenant_id, user_id, purpose, attempt, code)
            if not hmac.compare_digest(typed, row.code_digest):
                return CheckResult(Checked.WRONG)
            if not codes.consume(row.id, now):
                return CheckResult(Checked.NONE_SENT)  # a concurrent right answer won
            uow.audit(self.tenant_id).record(f"user:{user_id}", "code.accepted", None,
                                             channel=str(channel), purpose=str(purpose))
            return CheckResult(Checked.ACCEPTED, destination=row.destination)
