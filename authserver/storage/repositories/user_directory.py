"""A tenant's users as operators page through and search them, and what deleting one
removes (the admin API's and the CLI's ``user list`` and ``user delete``)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, not_, or_, select

from authserver.storage.models import (
    Consent,
    Grant,
    RecoveryCode,
    RefreshToken,
    TotpCredential,
    User,
    WebAuthnCredential,
)
from authserver.storage.repositories.base import TenantScoped


class UserStatus(enum.StrEnum):
    ACTIVE = "active"  # may sign in (or could, once they have a password)
    DISABLED = "disabled"
    INVITED = "invited"  # invited, the link not followed yet


@dataclass(frozen=True, slots=True)
class UserQuery:
    limit: int
    after_id: int = 0
    # Matched case-insensitively: inside the given or family name, and inside the email
    # address, or, with ``email_exact``, against the whole address only.
    q: str | None = None
    email_exact: bool = False
    status: UserStatus | None = None


def _invited() -> ColumnElement[bool]:
    return and_(User.verification_required.is_(True), User.password_hash.is_(None))


def _status(status: UserStatus) -> ColumnElement[bool]:
    if status is UserStatus.DISABLED:
        return User.disabled.is_(True)
    if status is UserStatus.INVITED:
        return and_(User.disabled.is_(False), _invited())
    return and_(User.disabled.is_(False), not_(_invited()))


def _search(q: str, email_exact: bool) -> ColumnElement[bool]:
    needle = q.strip().lower()
    email = User.email == needle if email_exact \
        else User.email.contains(needle, autoescape=True)
    return or_(email, func.lower(User.given_name).contains(needle, autoescape=True),
               func.lower(User.family_name).contains(needle, autoescape=True))


@dataclass(frozen=True, slots=True)
class Removed:
    """What deleting a user took with it (ON DELETE CASCADE), counted first."""

    grants: int
    refresh_tokens: int
    consents: int
    totp: int
    passkeys: int
    recovery_codes: int


class UserDirectory(TenantScoped):
    def find(self, query: UserQuery) -> Sequence[User]:
        """Up to ``query.limit`` matching users with ids above ``after_id``, oldest first."""
        where = [User.tenant_id == self.tenant_id, User.id > query.after_id]
        if query.q:
            where.append(_search(query.q, query.email_exact))
        if query.status is not None:
            where.append(_status(query.status))
        return self.session.scalars(
            select(User).where(*where).order_by(User.id).limit(query.limit)).all()

    def _count(self, model: type, user_id: int) -> int:
        column = model.user_id  # type: ignore[attr-defined]
        return int(self.session.scalar(select(func.count()).select_from(model).where(
            model.tenant_id == self.tenant_id, column == user_id)) or 0)  # type: ignore

    def delete(self, user: User) -> Removed:
        """Delete ``user``; their sessions, grants (and so refresh tokens and access
        token records), consents, factors, links and codes go with the row (every
        ``users.id`` foreign key is ON DELETE CASCADE)."""
        refresh = int(self.session.scalar(
            select(func.count()).select_from(RefreshToken).join(
                Grant, Grant.grant_id == RefreshToken.grant_id).where(
                Grant.tenant_id == self.tenant_id, Grant.user_id == user.id)) or 0)
        removed = Removed(grants=self._count(Grant, user.id), refresh_tokens=refresh,
                          consents=self._count(Consent, user.id),
                          totp=self._count(TotpCredential, user.id),
                          passkeys=self._count(WebAuthnCredential, user.id),
                          recovery_codes=self._count(RecoveryCode, user.id))
        self.session.execute(delete(User).where(User.tenant_id == self.tenant_id,
                                                User.id == user.id)
                             .execution_options(synchronize_session=False))
        self.session.expunge(user)
        return removed
