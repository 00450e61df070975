"""Operator operations on sign-in sessions: list a tenant's (or one user's) live
sessions, end one by sid or a user's. Ending goes through ``end_sessions`` with reason
``admin`` and the operator as actor, so the audit trail and back-channel logout see it.

Nothing here ever returns a session's token digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from authserver.services import accounts
from authserver.services.admin_context import AdminContext
from authserver.services.errors import InvalidInput, NotFound
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.session_limits import SessionLimits
from authserver.services.session_list import SID_LENGTH, is_live, view_of
from authserver.services.tenants import get_tenant
from authserver.storage.models import Tenant, User
from authserver.storage.repositories import UserRepository
from authserver.storage.repositories.session_pages import SessionPages
from authserver.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class EndedByOperator:
    email: str
    sids: list[str]


def _limits(ctx: AdminContext, tenant: Tenant) -> SessionLimits | None:
    """The limits in force for ``tenant`` (None when the context does not know the
    SESSION_* settings: then every open session is listed)."""
    if ctx.session_limits is None:
        return None
    return ctx.session_limits.for_tenant(tenant.session_idle_ttl, tenant.session_absolute_ttl)


def _user(session: Session, tenant: Tenant, email: str | None, sub: str | None) -> User:
    return accounts.find_user(UserRepository(session, tenant.id), email, sub)


def list_sessions(ctx: AdminContext, tenant_slug: str, email: str | None = None,
                  sub: str | None = None) -> list[dict[str, object]]:
    """Live sessions (most recently seen first) of the user named by ``email`` or
    ``sub``, or of every user of the tenant when neither is given."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user_id = None
        if email is not None or sub is not None:
            user_id = _user(session, tenant, email, sub).id
        uow = UnitOfWork(session)
        limits = _limits(ctx, tenant)
        rows = [row for row in uow.sessions(tenant.id).open_sessions(user_id=user_id)
                if limits is None or is_live(row, limits, now)]
        rows.sort(key=lambda row: (row.last_seen_at, row.id), reverse=True)
        users = UserRepository(session, tenant.id)
        owners: dict[int, User | None] = {}
        views = []
        for row in rows:
            owner = owners.setdefault(row.user_id, users.by_id(row.user_id))
            views.append({**view_of(row).as_dict(),
                          "sub": owner.sub if owner else None,
                          "email": owner.email if owner else None})
        return views


def end_session(ctx: AdminContext, tenant_slug: str, sid: str) -> EndedByOperator:
    """End the open session ``sid``; NotFound when no open session has it."""
    if len(sid) > SID_LENGTH or not sid:
        raise InvalidInput("sid", f"a session id is 1-{SID_LENGTH} characters")
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        ended = end_sessions(UnitOfWork(session), tenant.id, ctx.clock(), EndReason.ADMIN,
                             actor=ctx.actor, sids=[sid])
        if not ended:
            raise NotFound(f"no open session {sid!r} in this tenant "
                           "(see: authserver session list)")
        owner = UserRepository(session, tenant.id).by_id(ended[0].user_id)
        return EndedByOperator(owner.email if owner else "", [sid])


def end_user_sessions(ctx: AdminContext, tenant_slug: str, email: str | None,
                      sub: str | None, every: bool) -> EndedByOperator:
    """End the user's open session, or all of them with ``every``. Without ``every`` a
    user with more than one is refused (InvalidInput): the operator names one by sid."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        uow = UnitOfWork(session)
        if not every:
            open_now = uow.sessions(tenant.id).open_sessions(user_id=user.id)
            if len(open_now) > 1:
                raise InvalidInput("sid", f"{user.email} has {len(open_now)} open sessions: "
                                   "name one with --sid, or end them all with --all")
        ended = end_sessions(uow, tenant.id, ctx.clock(), EndReason.ADMIN, actor=ctx.actor,
                             user_id=user.id)
        return EndedByOperator(user.email, [e.sid for e in ended])


@dataclass(frozen=True, slots=True)
class ListedSession:
    id: int  # the keyset-paging key; never shown
    view: dict[str, object]


def page_sessions(ctx: AdminContext, tenant_slug: str, sub: str | None, after_id: int,
                  limit: int) -> list[ListedSession]:
    """Up to ``limit`` live sessions with ids above ``after_id`` (oldest first), of the
    user ``sub`` or of the whole tenant: the admin API's paged ``/sessions``."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user_id = _user(session, tenant, None, sub).id if sub is not None else None
        limits = _limits(ctx, tenant) or SessionLimits(10 ** 9, 10 ** 9)
        rows = SessionPages(session, tenant.id).live(
            after_id=after_id, limit=limit, user_id=user_id,
            seen_since=now - limits.idle_delta, created_since=now - limits.absolute_delta)
        return [ListedSession(row.id, {**view_of(row).as_dict(), "sub": owner.sub,
                                       "email": owner.email}) for row, owner in rows]
