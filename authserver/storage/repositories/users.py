"""User accounts of one tenant, for the account services and the sign-in lookup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update

from authserver.storage.models import AuthorizationCode, Grant, LoginSession, User
from authserver.storage.repositories.base import TenantScoped


@dataclass(frozen=True, slots=True)
class Ended:
    """What :meth:`UserRepository.end_everything` ended, by kind."""

    sessions: int
    grants: int
    codes: int


class UserRepository(TenantScoped):
    def by_sub(self, sub: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.sub == sub)
        )

    def by_email(self, email: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.email == email.lower())
        )

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.username == username)
        )

    def by_id(self, user_id: int) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.id == user_id))

    def by_phone(self, phone: str) -> User | None:
        """The user with this phone number (E.164, as stored), verified or not."""
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.phone == phone))

    def by_identifier(self, identifier: str) -> User | None:
        """The user a sign-in identifier names: the email (case-insensitive) or the
        user name (exact), as typed; the caller strips and bounds it."""
        return self.session.scalar(select(User).where(
            User.tenant_id == self.tenant_id,
            or_(User.email == identifier.lower(), User.username == identifier)))

    def page(self, limit: int, after_id: int = 0) -> Sequence[User]:
        """Up to ``limit`` users with ids above ``after_id``, oldest first."""
        query = (
            select(User)
            .where(User.tenant_id == self.tenant_id, User.id > after_id)
            .order_by(User.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def add(self, user: User) -> User:
        user.tenant_id = self.tenant_id
        self.session.add(user)
        self.session.flush()
        return user

    def end_everything(self, user_id: int, now: dt.datetime, reason: str) -> Ended:
        """End the user's open sessions, revoke their live grants (``reason`` recorded)
        and discard their unredeemed codes, each in one statement."""
        session, tenant_id = self.session, self.tenant_id
        sessions = session.execute(update(LoginSession).where(
            LoginSession.tenant_id == tenant_id, LoginSession.user_id == user_id,
            LoginSession.ended_at.is_(None)).values(ended_at=now)).rowcount
        # A revoked grant is what refresh, introspection and userinfo check (by the
        # access token's jti): no write per token, and client-credentials tokens, which
        # have no grant, are untouched.
        grants = session.execute(update(Grant).where(
            Grant.tenant_id == tenant_id, Grant.user_id == user_id,
            Grant.revoked_at.is_(None)).values(revoked_at=now, revoked_reason=reason)
        ).rowcount
        # Redeemed codes (used_at set) are kept: replay detection needs them.
        codes = session.execute(delete(AuthorizationCode).where(
            AuthorizationCode.tenant_id == tenant_id, AuthorizationCode.user_id == user_id,
            AuthorizationCode.used_at.is_(None))).rowcount
        return Ended(sessions=int(sessions), grants=int(grants), codes=int(codes))
