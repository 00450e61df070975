"""A tenant's recovery codes: single-use, stored as digests, in batches of ten per user.

:meth:`RecoveryCodeRepository.use` marks a code used only while it is unused, so a code
(and every concurrent submission of it) is accepted once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, func, select, update

from authserver.storage.models import RecoveryCode
from authserver.storage.repositories.base import TenantScoped


class RecoveryCodeRepository(TenantScoped):
    def replace(self, user_id: int, digests: Iterable[str], now: dt.datetime) -> None:
        """The user's batch becomes ``digests``: every earlier code, used or not, goes."""
        self.session.execute(delete(RecoveryCode).where(
            RecoveryCode.tenant_id == self.tenant_id, RecoveryCode.user_id == user_id))
        self.session.add_all([RecoveryCode(tenant_id=self.tenant_id, user_id=user_id,
                                           code_digest=d, created_at=now) for d in digests])
        self.session.flush()

    def use(self, user_id: int, code_digest: str, now: dt.datetime) -> bool:
        """Mark the unused code with this digest used; True exactly once per code."""
        done = self.session.execute(update(RecoveryCode).where(
            RecoveryCode.tenant_id == self.tenant_id, RecoveryCode.user_id == user_id,
            RecoveryCode.code_digest == code_digest, RecoveryCode.used_at.is_(None),
        ).values(used_at=now))
        return int(done.rowcount) == 1

    def remaining(self, user_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.tenant_id == self.tenant_id, RecoveryCode.user_id == user_id,
            RecoveryCode.used_at.is_(None))) or 0)

    def remove_all(self, user_id: int) -> int:
        done = self.session.execute(delete(RecoveryCode).where(
            RecoveryCode.tenant_id == self.tenant_id, RecoveryCode.user_id == user_id))
        return int(done.rowcount)
