"""A person adds or changes their phone number on the account page and proves it with
an SMS code (purpose ``verify_phone``, bound to their session id); removes it likewise.

Asking for a code answers the same whether or not the number belongs to another
account (no code is sent then), so the account page cannot be used to find out whose a
number is; the confirmation then simply fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.services import accounts
from authserver.services.authn.one_time_codes import (
    Checked,
    OneTimeCodes,
    Purpose,
    SendResult,
    Sent,
    masked,
)
from authserver.services.errors import Conflict
from authserver.services.senders import Channel


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
                now: dt.datetime) -> Checked:
        codes = self.codes
        result = codes.check(user_id, Channel.SMS, sid, code, source, now,
                             Purpose.VERIFY_PHONE)
        if result.outcome is not Checked.ACCEPTED or result.destination is None:
            return result.outcome
        try:
            with codes.database.unit_of_work() as uow:
                users = uow.users(codes.tenant_id)
                user = users.by_id(user_id)
                if user is None:
                    return Checked.NONE_SENT
                accounts.set_verified_phone(users, uow.audit(codes.tenant_id), user,
                                            result.destination, f"user:{user_id}")
        except Conflict:
            return Checked.WRONG  # another account has it: as if the code were wrong
        return Checked.ACCEPTED

    def remove(self, user_id: int) -> None:
        codes = self.codes
        with codes.database.unit_of_work() as uow:
            users = uow.users(codes.tenant_id)
            user = users.by_id(user_id)
            if user is not None and user.phone is not None:
                accounts.set_verified_phone(users, uow.audit(codes.tenant_id), user, None,
                                            f"user:{user_id}")
