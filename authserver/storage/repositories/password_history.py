"""A user's earlier password hashes (password policy: history), newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select

from authserver.storage.models import PasswordHistoryEntry
from authserver.storage.repositories.base import TenantScoped


class PasswordHistoryRepository(TenantScoped):
    def of_user(self, user_id: int) -> Sequence[PasswordHistoryEntry]:
        """Every kept entry of the user, the most recently replaced first."""
        return self.session.scalars(select(PasswordHistoryEntry).where(
            PasswordHistoryEntry.tenant_id == self.tenant_id,
            PasswordHistoryEntry.user_id == user_id)
            .order_by(PasswordHistoryEntry.replaced_at.desc(),
                      PasswordHistoryEntry.id.desc())).all()

    def add(self, user_id: int, password_hash: str, set_at: dt.datetime,
            replaced_at: dt.datetime) -> None:
        self.session.add(PasswordHistoryEntry(
            tenant_id=self.tenant_id, user_id=user_id, password_hash=password_hash,
            set_at=set_at, replaced_at=replaced_at))
        self.session.flush()

    def drop(self, entry_ids: Sequence[int]) -> int:
        if not entry_ids:
            return 0
        return int(self.session.execute(delete(PasswordHistoryEntry).where(
            PasswordHistoryEntry.tenant_id == self.tenant_id,
            PasswordHistoryEntry.id.in_(list(entry_ids)))).rowcount)
