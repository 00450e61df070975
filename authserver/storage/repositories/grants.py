"""Grants of one tenant: what one authorization produced, and whether it still lives.

A grant that is not ``offline_access`` lives only as long as the sign-in session it came
from: ended, idle past ``session_idle`` or older than ``session_absolute`` ends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.protocol.ports.records import GrantRecord
from authserver.storage.models import Grant, IssuedAccessToken, LoginSession, User


@dataclass(frozen=True, slots=True)
class GrantRepository:
    session: Session
    tenant_id: int

    def add(self, grant: GrantRecord, now: dt.datetime, revoked_reason: str | None = None
            ) -> None:
        """Insert the grant (born revoked when ``revoked_reason`` is given) and flush it:
        the row must exist before tokens reference it."""
        self.session.add(Grant(
            tenant_id=self.tenant_id, grant_id=grant.grant_id, client_id=grant.client_id,
            user_id=grant.user_id, sid=grant.sid, scope=grant.scope,
            resources=list(grant.resources), claims=grant.claims, auth_time=grant.auth_time,
            acr=grant.acr, amr=list(grant.amr), offline=grant.offline, created_at=now,
            absolute_expires_at=grant.absolute_expires_at,
            revoked_at=None if revoked_reason is None else now, revoked_reason=revoked_reason))
        self.session.flush()

    def get(self, grant_id: str) -> Grant | None:
        return self.session.scalar(select(Grant).where(Grant.tenant_id == self.tenant_id,
                                                       Grant.grant_id == grant_id))

    def of_access_token(self, jti: str) -> Grant | None:
        """The grant a user access token was issued from (None for client credentials)."""
        return self.session.scalar(
            select(Grant).join(IssuedAccessToken, Grant.grant_id == IssuedAccessToken.grant_id)
            .where(IssuedAccessToken.tenant_id == self.tenant_id, IssuedAccessToken.jti == jti))

    def revoke(self, grant_id: str, reason: str, now: dt.datetime) -> Grant | None:
        """Revoke the grant; returns it if this call revoked it (None if absent or
        revoked already), so the caller audits each revocation once."""
        grant = self.get(grant_id)
        if grant is None or grant.revoked_at is not None:
            return None
        grant.revoked_at = now
        grant.revoked_reason = reason
        return grant

    def is_live(self, grant: Grant, now: dt.datetime, session_idle: dt.timedelta,
                session_absolute: dt.timedelta) -> bool:
        """A grant dies with its user, and (unless offline) with its login session."""
        user = self.session.get(User, grant.user_id)
        if user is None or user.disabled:
            return False
        if grant.offline or grant.sid is None:
            return True
        login = self.session.scalar(select(LoginSession).where(
            LoginSession.tenant_id == self.tenant_id, LoginSession.sid == grant.sid))
        return (login is not None and login.ended_at is None
                and now - login.last_seen_at <= session_idle
                and now - login.created_at <= session_absolute)


def grant_record(row: Grant) -> GrantRecord:
    return GrantRecord(
        grant_id=row.grant_id, client_id=row.client_id, user_id=row.user_id, sid=row.sid,
        scope=row.scope, resources=tuple(row.resources or ()), claims=row.claims,
        auth_time=row.auth_time, acr=row.acr, amr=tuple(row.amr or ()), offline=row.offline,
        absolute_expires_at=row.absolute_expires_at)
