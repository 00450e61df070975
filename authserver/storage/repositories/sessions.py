"""Sign-in sessions of one tenant, looked up by the digest of the cookie token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from authserver.storage.models import LoginSession, User
from authserver.storage.repositories.base import TenantScoped


class LoginSessionRepository(TenantScoped):
    def add(self, row: LoginSession) -> LoginSession:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        return row

    def by_digest(self, token_digest: str) -> LoginSession | None:
        return self.session.scalar(select(LoginSession).where(
            LoginSession.tenant_id == self.tenant_id, LoginSession.token_digest == token_digest))

    def with_user(self, token_digest: str) -> tuple[LoginSession, User] | None:
        """The session with this token digest and its user, in one query."""
        found = self.session.execute(
            select(LoginSession, User).join(User, User.id == LoginSession.user_id)
            .where(LoginSession.tenant_id == self.tenant_id,
                   LoginSession.token_digest == token_digest)).first()
        return None if found is None else (found[0], found[1])

    def end_all_for_user(self, user_id: int, now: dt.datetime) -> int:
        """End every open session of the user; returns how many."""
        return int(self.session.execute(update(LoginSession).where(
            LoginSession.tenant_id == self.tenant_id, LoginSession.user_id == user_id,
            LoginSession.ended_at.is_(None)).values(ended_at=now)).rowcount)

    def open_sessions(self, *, user_id: int | None = None, sids: list[str] | None = None,
                      except_sid: str | None = None) -> list[LoginSession]:
        """Sessions not yet ended, of ``user_id`` and/or with one of ``sids``."""
        query = select(LoginSession).where(LoginSession.tenant_id == self.tenant_id,
                                           LoginSession.ended_at.is_(None))
        if user_id is not None:
            query = query.where(LoginSession.user_id == user_id)
        if sids is not None:
            query = query.where(LoginSession.sid.in_(sids))
        if except_sid is not None:
            query = query.where(LoginSession.sid != except_sid)
        return list(self.session.scalars(query.order_by(LoginSession.id)).all())

    def end_if_open(self, row: LoginSession, now: dt.datetime, reason: str) -> bool:
        """End ``row`` unless it has ended meanwhile (a conditional UPDATE: of two
        concurrent ends, e.g. a logout and the expiry sweep, only one wins, so the
        relying parties are told once); True when this call ended it."""
        won = self.session.execute(
            update(LoginSession).where(LoginSession.id == row.id,
                                       LoginSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
            .execution_options(synchronize_session=False)).rowcount == 1
        self.session.refresh(row)
        return won

    def lock_owner(self, user_id: int) -> User | None:
        """The user's row, locked (SELECT … FOR UPDATE) until the transaction ends: a
        sign-in under single active session holds it while it ends the other sessions,
        so a concurrent sign-in of the same user waits and then sees this one's."""
        return self.session.scalar(select(User).where(
            User.tenant_id == self.tenant_id, User.id == user_id).with_for_update())
