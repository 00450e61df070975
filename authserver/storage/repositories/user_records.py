"""User lookups of the token path, returned as protocol records; and the user row lock
that keeps a new grant from outliving a concurrent ``user disable``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.protocol.ports.records import UserRecord
from authserver.storage.models import User


@dataclass(frozen=True, slots=True)
class UserRecordRepository:
    session: Session
    tenant_id: int

    def by_id(self, user_id: int) -> UserRecord | None:
        row = self.session.get(User, user_id)
        return user_record(row) if row and row.tenant_id == self.tenant_id else None

    def by_sub(self, sub: str) -> UserRecord | None:
        row = self.session.scalar(select(User).where(User.tenant_id == self.tenant_id,
                                                     User.sub == sub))
        return user_record(row) if row else None

    def lock_if_enabled(self, user_id: int) -> bool:
        """Lock the user's row (SELECT … FOR UPDATE) and say whether it exists, enabled.

        ``user disable`` updates the user row before it revokes the user's grants, in
        one transaction; locking that row here (after this transaction's first write,
        which on SQLite already serialises it) means a concurrent disable either commits
        first, and is seen now, or waits for this transaction and then revokes what it
        stored. Without the lock a grant could land between the revocation and its
        commit, and ``user enable`` would revive it.
        """
        disabled = self.session.scalar(select(User.disabled).where(
            User.tenant_id == self.tenant_id, User.id == user_id).with_for_update())
        return disabled is not None and not disabled


def user_record(row: User) -> UserRecord:
    return UserRecord(id=row.id, sub=row.sub, email=row.email,
                      email_verified=row.email_verified, username=row.username,
                      given_name=row.given_name, family_name=row.family_name,
                      disabled=row.disabled, updated_at=row.updated_at)
