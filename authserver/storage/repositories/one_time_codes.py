"""One-time codes sent by email or SMS: one live row per (user, purpose), attempts
counted and the code consumed by conditional UPDATEs, so concurrent guesses cannot
exceed the limit and a right code is accepted once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from authserver.storage.models import OneTimeCode
from authserver.storage.repositories.base import TenantScoped


@dataclass(frozen=True, slots=True)
class NewCode:
    user_id: int
    purpose: str
    channel: str
    destination: str
    attempt_digest: str
    code_digest: str
    expires_at: dt.datetime


class OneTimeCodeRepository(TenantScoped):
    def replace(self, new: NewCode, now: dt.datetime) -> None:
        """Store ``new`` as the only code of its (user, purpose): a new send makes the
        code sent before it worthless. Two concurrent sends serialise on the unique
        (user_id, purpose) constraint: the loser's flush raises IntegrityError."""
        self.session.execute(delete(OneTimeCode).where(
            OneTimeCode.tenant_id == self.tenant_id, OneTimeCode.user_id == new.user_id,
            OneTimeCode.purpose == new.purpose))
        self.session.add(OneTimeCode(
            tenant_id=self.tenant_id, user_id=new.user_id, purpose=new.purpose,
            channel=new.channel, destination=new.destination,
            attempt_digest=new.attempt_digest, code_digest=new.code_digest, attempts=0,
            created_at=now, expires_at=new.expires_at))
        self.session.flush()

    def live(self, user_id: int, purpose: str) -> OneTimeCode | None:
        """The code of (user, purpose), whatever its state (the caller checks it)."""
        return self.session.scalar(select(OneTimeCode).where(
            OneTimeCode.tenant_id == self.tenant_id, OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose))

    def count_attempt(self, code_id: int, max_attempts: int, now: dt.datetime) -> bool:
        """Spend one attempt on a live code; False when none is left (or it expired or
        was used). The condition is in the UPDATE, so the database decides between
        concurrent guesses: at most ``max_attempts`` of them ever get past here."""
        counted = self.session.execute(update(OneTimeCode).where(
            OneTimeCode.tenant_id == self.tenant_id, OneTimeCode.id == code_id,
            OneTimeCode.attempts < max_attempts, OneTimeCode.consumed_at.is_(None),
            OneTimeCode.expires_at > now,
        ).values(attempts=OneTimeCode.attempts + 1)).rowcount
        return bool(counted == 1)

    def consume(self, code_id: int, now: dt.datetime) -> bool:
        """Mark the code used; True for exactly one of concurrent right answers."""
        used = self.session.execute(update(OneTimeCode).where(
            OneTimeCode.tenant_id == self.tenant_id, OneTimeCode.id == code_id,
            OneTimeCode.consumed_at.is_(None)).values(consumed_at=now)).rowcount
        return bool(used == 1)
