"""Sign-in by phone number alone (issue 9, per-tenant switch ``phone_sign_in``): the
person types a number, and if it is an account's *verified* phone an SMS code goes
there, bound to this sign-in attempt; the code is the one factor (amr ``sms``).

Every answer is the same whether or not the number belongs to anyone: asking sends
nothing for an unknown number (and nothing past the sending limits, or when the gateway
fails, which is audited), and checking a code for an unknown number is refused and
throttled exactly like a wrong code for a known one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.services.authn.one_time_codes import (
    CHECK_ACCOUNT,
    CHECK_PAIR,
    Checked,
    CheckResult,
    OneTimeCodes,
)
from authserver.services.phone_numbers import parse_phone
from authserver.services.senders import Channel


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
        user_id = self.account(typed)
        if user_id is not None:
            self.codes.send(user_id, Channel.SMS, attempt, now)

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
