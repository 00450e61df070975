"""Refresh tokens of one tenant, keyed by digest; each link of a rotation chain works once.

Which concurrent rotation wins is decided by a conditional UPDATE (``… WHERE used_at IS
NULL``) and its row count (RFC 9700 §4.14.2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from authserver.storage.models import Grant, LoginSession, RefreshToken


@dataclass(frozen=True, slots=True)
class RefreshTokenRepository:
    session: Session
    tenant_id: int

    def add(self, digest: str, grant_id: str, now: dt.datetime, expires_at: dt.datetime
            ) -> None:
        self.session.add(RefreshToken(tenant_id=self.tenant_id, token_digest=digest,
                                      grant_id=grant_id, created_at=now, expires_at=expires_at))

    def spend(self, digest: str, now: dt.datetime) -> bool:
        """Mark the token used if still unused: True for exactly one concurrent caller."""
        return bool(self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.tenant_id == self.tenant_id,
                   RefreshToken.token_digest == digest, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount == 1)

    def touch_login_session(self, digest: str, now: dt.datetime) -> None:
        """Count a use of the token as activity on the sign-in session its grant came
        from (as Keycloak does), unless the grant is offline."""
        sid = self.session.scalar(
            select(Grant.sid).join(RefreshToken, Grant.grant_id == RefreshToken.grant_id)
            .where(RefreshToken.tenant_id == self.tenant_id,
                   RefreshToken.token_digest == digest, Grant.offline.is_(False)))
        if sid is not None:
            self.session.execute(update(LoginSession).where(
                LoginSession.tenant_id == self.tenant_id, LoginSession.sid == sid,
                LoginSession.ended_at.is_(None)).values(last_seen_at=now))

    def expires_at(self, digest: str) -> dt.datetime | None:
        return self.session.scalar(select(RefreshToken.expires_at).where(
            RefreshToken.tenant_id == self.tenant_id, RefreshToken.token_digest == digest))

    def with_grant(self, digest: str) -> tuple[RefreshToken, Grant] | None:
        """The token and its grant, in one query."""
        found = self.session.execute(
            select(RefreshToken, Grant).join(Grant, Grant.grant_id == RefreshToken.grant_id)
            .where(RefreshToken.tenant_id == self.tenant_id,
                   RefreshToken.token_digest == digest)).first()
        return None if found is None else (found[0], found[1])

    def grant_of(self, digest: str) -> Grant | None:
        return self.session.scalar(
            select(Grant).join(RefreshToken, Grant.grant_id == RefreshToken.grant_id)
            .where(RefreshToken.tenant_id == self.tenant_id,
                   RefreshToken.token_digest == digest))
