"""What one tenant keeps about access tokens: which grant issued a user token (by jti),
and which tokens were revoked (RFC 7009) before they expire."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.storage.models import IssuedAccessToken, RevokedToken
from authserver.storage.upsert import insert_if_absent


@dataclass(frozen=True, slots=True)
class AccessTokenRepository:
    session: Session
    tenant_id: int

    def add_issued(self, jti: str, grant_id: str, expires_at: dt.datetime) -> None:
        self.session.add(IssuedAccessToken(tenant_id=self.tenant_id, jti=jti,
                                           grant_id=grant_id, expires_at=expires_at))

    def revoke(self, jti: str, expires_at: dt.datetime) -> None:
        """Remember ``jti`` as revoked until ``expires_at``. Two revocations of one token
        at once must both succeed (RFC 7009 §2.2), hence ON CONFLICT DO NOTHING."""
        insert_if_absent(self.session, RevokedToken, {
            "tenant_id": self.tenant_id, "jti": jti, "expires_at": expires_at},
            unique=("jti",))

    def is_revoked(self, jti: str) -> bool:
        return self.session.scalar(select(RevokedToken.id).where(
            RevokedToken.tenant_id == self.tenant_id, RevokedToken.jti == jti)) is not None
