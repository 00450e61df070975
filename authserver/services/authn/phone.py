"""Sign-in by phone number alone (issue 9, per-tenant switch ``phone_sign_in``): the
person types a number, and if it is an account's *verified* phone an SMS code goes
there, bound to this sign-in attempt; the code is the one factor (amr ``sms``).

Every answer is the same whether or not the number belongs to anyone: asking sends
nothing for an unknown number (and nothing past the sending limits, or when the gateway
fails, which is audited), in the same time and under the same limits (``request``), and
checking a code for an unknown number is refused and throttled exactly like a wrong code
for a known one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.services import deferred
from authserver.services.authn.one_time_codes import (
    CHECK_ACCOUNT,
    CHECK_PAIR,
    Checked,
    CheckResult,
    OneTimeCodes,
    Purpose,
    message_text,
    new_code,
)
from authserver.services.languages import mail_locale
from authserver.services.notifications import Notifier
from authserver.services.phone_numbers import parse_phone
from authserver.services.senders import Channel, OutgoingMessage


@dataclass(frozen=True, slots=True)
class PhoneSignIn:
    codes: OneTimeCodes

    def account(self, typed: str) -> int | None:
        """The enabled account whose verified phone ``typed`` is, if any."""
        phone = parse_phone(typed)
        if phone is None:
            return None
        codes = self.codes
        with codes.database.unit_of_work() as uow:
            user = uow.users(codes.tenant_id).by_phone(phone)
            if user is None or user.disabled or not user.phone_verified:
                return None
            return user.id

    def request(self, typed: str, attempt: str, now: dt.datetime) -> None:
        """Text a code to ``typed`` if it is an enabled account's verified number.

        Enumeration (docs/security.md, "Enumeration resistance"): every well-formed
        number takes the same path. The sending limits are those of the number (the
        account's verified phone is the number typed), counted for a number nobody has
        too, so they are no oracle; one write transaction commits either way (its
        audit record); and what only an account gets, the code and the text, is made
        after the answer (services/deferred.py). A failed delivery is audited as
        ``notification.send_failed``.
        """
        codes = self.codes
        phone = parse_phone(typed)
        if phone is None or not attempt or codes.senders.get(Channel.SMS) is None:
            return
        keys = codes.destination_keys(phone)
        if codes.throttle.longest_wait(codes.tenant_id, [(s, k) for s, k, _ in keys]):
            return
        for scope, key, policy in keys:
            codes.throttle.failure(codes.tenant_id, scope, key, policy)
        with codes.database.unit_of_work() as uow:
            user = uow.users(codes.tenant_id).by_phone(phone)
            if user is None or user.disabled or not user.phone_verified:
                uow.audit(codes.tenant_id).record("anonymous", "code.requested", None,
                                                  channel="sms", account="none")
                return
            uow.audit(codes.tenant_id).record(f"user:{user.id}", "code.requested", None,
                                              channel="sms")
            user_id = user.id
            deferred.after_commit(uow, "phone-sign-in-code",
                                  lambda: self._send(user_id, phone, attempt, now))

    def _send(self, user_id: int, phone: str, attempt: str, now: dt.datetime) -> None:
        codes, code = self.codes, new_code()
        with codes.database.unit_of_work() as uow:
            user = uow.users(codes.tenant_id).by_id(user_id)
            if user is None or user.disabled or user.phone != phone:
                return  # changed in the last millisecond
            codes.store(uow, user_id, Channel.SMS, phone, attempt, Purpose.SIGN_IN, code,
                        now)
            language = mail_locale(user.locale, codes.locale)
            Notifier(codes.database, codes.senders).queue(
                uow, codes.tenant_id, Channel.SMS, OutgoingMessage(
                    phone, message_text(language, codes.service, code, Purpose.SIGN_IN),
                    str(Purpose.SIGN_IN), language))

    def check(self, typed: str, attempt: str, code: str, source: str,
              now: dt.datetime) -> tuple[CheckResult, int | None]:
        """The check's result and, when accepted, whose code it was."""
        user_id = self.account(typed)
        if user_id is not None:
            result = self.codes.check(user_id, Channel.SMS, attempt, code, source, now)
            return result, user_id if result.outcome is Checked.ACCEPTED else None
        # Nobody's number: throttled and refused like a wrong code, on buckets of its own.
        throttle, tenant_id = self.codes.throttle, self.codes.tenant_id
        typed_key = parse_phone(typed) or typed.strip()[:32]
        keys = [("code-pair", f"phone:{typed_key}|{source}", CHECK_PAIR),
                ("code-account", f"phone:{typed_key}", CHECK_ACCOUNT)]
        wait = throttle.longest_wait(tenant_id, [(s, k) for s, k, _ in keys])
        if wait is not None:
            return CheckResult(Checked.THROTTLED, retry_after=wait), None
        for scope, key, policy in keys:
            throttle.failure(tenant_id, scope, key, policy)
        return CheckResult(Checked.WRONG), None
