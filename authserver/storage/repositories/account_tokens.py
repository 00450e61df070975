"""Account links (verification, invitation, reset) by the digest of their token, spent
once by a conditional UPDATE: of two concurrent clicks exactly one wins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from authserver.storage.models import AccountToken
from authserver.storage.repositories.base import TenantScoped


class AccountTokenRepository(TenantScoped):
    def add(self, user_id: int, purpose: str, token_digest: str, now: dt.datetime,
            expires_at: dt.datetime, interaction_uid: str | None = None) -> None:
        self.session.add(AccountToken(
            tenant_id=self.tenant_id, user_id=user_id, purpose=purpose,
            token_digest=token_digest, interaction_uid=interaction_uid, created_at=now,
            expires_at=expires_at))
        self.session.flush()

    def by_digest(self, purpose: str, token_digest: str) -> AccountToken | None:
        return self.session.scalar(select(AccountToken).where(
            AccountToken.tenant_id == self.tenant_id, AccountToken.purpose == purpose,
            AccountToken.token_digest == token_digest))

    def spend(self, token_id: int, now: dt.datetime) -> bool:
        """Mark the token used; True for exactly one caller, never for an expired or
        used token."""
        spent = self.session.execute(update(AccountToken).where(
            AccountToken.tenant_id == self.tenant_id, AccountToken.id == token_id,
            AccountToken.used_at.is_(None), AccountToken.expires_at > now)
            .values(used_at=now)).rowcount
        return bool(spent == 1)

    def drop_unused(self, user_id: int, purpose: str) -> int:
        """Forget the user's unspent tokens of ``purpose``: only the newest link works."""
        return int(self.session.execute(delete(AccountToken).where(
            AccountToken.tenant_id == self.tenant_id, AccountToken.user_id == user_id,
            AccountToken.purpose == purpose, AccountToken.used_at.is_(None))).rowcount)

    def purge_expired(self, now: dt.datetime) -> int:
        return int(self.session.execute(delete(AccountToken).where(
            AccountToken.tenant_id == self.tenant_id, AccountToken.expires_at <= now))
            .rowcount)
