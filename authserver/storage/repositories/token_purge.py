"""Deleting one tenant's token-side and sign-in rows that can no longer matter
(``db purge``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from authserver.storage.models import (
    AuthorizationCode,
    Grant,
    IssuedAccessToken,
    LoginSession,
    MagicLink,
    OneTimeCode,
    PendingInteraction,
    RefreshToken,
    RevokedToken,
    Tenant,
    UsedAssertion,
)


@dataclass(frozen=True, slots=True)
class TokenPurge:
    session: Session
    tenant_id: int

    def expired(self, now: dt.datetime, access_token_ttl: dt.timedelta,
                session_absolute: dt.timedelta) -> dict[str, int]:
        """Delete what expired before ``now``; returns how many rows, per table."""
        counts: dict[str, int] = {}
        # Sign-in leftovers too: pending requests, sent codes and magic links are worth
        # nothing once expired (each is refused past expires_at anyway).
        for model in (AuthorizationCode, RevokedToken, UsedAssertion, IssuedAccessToken,
                      PendingInteraction, OneTimeCode, MagicLink):
            counts[model.__tablename__] = self.session.execute(delete(model).where(
                model.tenant_id == self.tenant_id, model.expires_at < now)).rowcount
        # Grants past their absolute limit take their refresh tokens with them (cascade
        # is not relied on: SQLite only cascades with foreign keys on).
        # Kept until every access token issued from them has expired too.
        cutoff = now - access_token_ttl
        dead = select(Grant.grant_id).where(Grant.tenant_id == self.tenant_id,
                                            Grant.absolute_expires_at < cutoff)
        counts["refresh_tokens"] = self.session.execute(delete(RefreshToken).where(
            RefreshToken.grant_id.in_(dead))).rowcount
        counts["grants"] = self.session.execute(delete(Grant).where(
            Grant.tenant_id == self.tenant_id, Grant.absolute_expires_at < cutoff)).rowcount
        # A tenant's own absolute limit, when it has one, is what its sessions live by.
        own = self.session.scalar(select(Tenant.session_absolute_ttl).where(
            Tenant.id == self.tenant_id))
        if own:
            session_absolute = dt.timedelta(seconds=own)
        counts["login_sessions"] = self.session.execute(delete(LoginSession).where(
            LoginSession.tenant_id == self.tenant_id,
            LoginSession.created_at < now - session_absolute)).rowcount
        return counts
