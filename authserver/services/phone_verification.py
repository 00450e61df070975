"""A person adds or changes their phone number on the account page and proves it with
an SMS code (purpose ``verify_phone``, bound to their session id); removes it likewise.

Asking for a code answers the same whether or not the number belongs to another
account (no code is sent then), so the account page cannot be used to find out whose a
number is; the confirmation then simply fails.

Failures the account page shows with their own codes are defined here (AUTH-1070..1073,
next to the sign-in factors' codes); a wrong, expired or used-up code and the throttles
are the sign-in pages' own (services/sign_in_errors.py), as they are the same failure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.services import accounts
from authserver.services.authn.one_time_codes import (
    Checked,
    CheckResult,
    OneTimeCodes,
    Purpose,
    SendResult,
    Sent,
    masked,
)
from authserver.services.error_codes import define
from authserver.services.errors import Conflict
from authserver.services.senders import Channel

NOT_A_NUMBER = define("AUTH-1070", "phone_number_invalid",
                      "That is not a phone number in international form, such as "
                      "+15551234567.")
SEND_FAILED = define("AUTH-1071", "phone_code_send_failed",
                     "We could not send the code. Try again in a few minutes.", 503)
NO_SMS = define("AUTH-1072", "phone_sms_not_offered",
                "Text messages cannot be sent from this server.")
NO_CODE_WAITING = define("AUTH-1073", "phone_no_code_waiting",
                         "No code is waiting for this number. Send a code first.", 401)


@dataclass(frozen=True, slots=True)
class PhoneVerification:
    codes: OneTimeCodes

    def send(self, user_id: int, phone: str, sid: str, now: dt.datetime) -> SendResult:
        codes = self.codes
        with codes.database.unit_of_work() as uow:
            other = uow.users(codes.tenant_id).by_phone(phone)
            taken = other is not None and other.id != user_id
        if taken:
            if codes.senders.get(Channel.SMS) is None:
                return SendResult(Sent.NOT_OFFERED)
            return SendResult(Sent.SENT, masked(Channel.SMS, phone))
        return codes.send(user_id, Channel.SMS, sid, now, Purpose.VERIFY_PHONE, to=phone)

    def confirm(self, user_id: int, sid: str, code: str, source: str,
                now: dt.datetime) -> CheckResult:
        """The check's result (with ``retry_after`` when throttled); ACCEPTED only once
        the number is this account's verified number."""
        codes = self.codes
        result = codes.check(user_id, Channel.SMS, sid, code, source, now,
                             Purpose.VERIFY_PHONE)
        if result.outcome is not Checked.ACCEPTED or result.destination is None:
            return result
        try:
            with codes.database.unit_of_work() as uow:
                users = uow.users(codes.tenant_id)
                user = users.by_id(user_id)
                if user is None:
                    return CheckResult(Checked.NONE_SENT)
                accounts.set_verified_phone(users, uow.audit(codes.tenant_id), user,
                                            result.destination, f"user:{user_id}")
        except Conflict:
            # Another account has it: as if the code were wrong.
            return CheckResult(Checked.WRONG)
        return result

    def remove(self, user_id: int) -> None:
        codes = self.codes
        with codes.database.unit_of_work() as uow:
            users = uow.users(codes.tenant_id)
            user = users.by_id(user_id)
            if user is not None and user.phone is not None:
                accounts.set_verified_phone(users, uow.audit(codes.tenant_id), user, None,
                                            f"user:{user_id}")
