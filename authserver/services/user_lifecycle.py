"""Operator operations that end things for a user: delete the account, reset its
sign-in factors (a lost device), and the searchable, paged list (issue 11 items 1, 9).

Both ending operations end the user's sessions through ``end_sessions`` (audited, and
the relying parties told by back-channel logout) before anything else, in the same unit
of work as the rest of the change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from authserver.services import accounts
from authserver.services.admin_context import AdminContext
from authserver.services.errors import InvalidInput
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.tenants import get_tenant
from authserver.storage.models import User
from authserver.storage.repositories.user_directory import UserDirectory, UserQuery, UserStatus
from authserver.storage.unit_of_work import UnitOfWork

MAX_LIMIT = 10_000
MAX_QUERY = 320  # the longest email address


@dataclass(frozen=True, slots=True)
class DeletedUser:
    sub: str
    email: str
    removed: dict[str, int]  # what went with the account, by kind


@dataclass(frozen=True, slots=True)
class FactorsReset:
    sub: str
    email: str
    removed: dict[str, int]  # totp, passkeys, recovery_codes, phone_verified, sessions …


@dataclass(frozen=True, slots=True)
class ListedUser:
    id: int  # the keyset-paging key; never shown
    view: dict[str, Any]


def delete_user(ctx: AdminContext, tenant_slug: str, email: str | None,
                sub: str | None) -> DeletedUser:
    """Delete the user and everything of theirs: sessions (ended first, so each is
    audited and its relying parties get a back-channel logout), grants with their
    refresh tokens (so every access token of theirs stops introspecting active),
    consents, factors, links and codes. Audit records about them are kept."""
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        user = accounts.find_user(uow.users(tenant.id), email, sub)
        sessions = end_sessions(uow, tenant.id, ctx.clock(), EndReason.USER_DELETED,
                                actor=ctx.actor, user_id=user.id)
        who = (user.sub, user.email)
        removed = asdict(UserDirectory(uow.session, tenant.id).delete(user))
        removed["sessions_ended"] = len(sessions)
        uow.audit(tenant.id).record(ctx.actor, "user.deleted", who[0], **removed)
    return DeletedUser(who[0], who[1], removed)


def reset_factors(ctx: AdminContext, tenant_slug: str, email: str | None,
                  sub: str | None) -> FactorsReset:
    """The operator's "lost device" action: remove the user's authenticator app,
    passkeys and recovery codes, mark their phone number unverified (the number stays;
    a code must come back from it again), and end their sessions and grants, which the
    lost device may hold. The password stays; where the tenant's policy requires a
    second factor the person enrols one at their next sign-in."""
    now = ctx.clock()
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        users = uow.users(tenant.id)
        user = accounts.find_user(users, email, sub)
        removed = _remove_factors(uow, tenant.id, user)
        sessions = end_sessions(uow, tenant.id, now, EndReason.ADMIN, actor=ctx.actor,
                                user_id=user.id)
        ended = users.end_everything(user.id, now, reason="factors_reset")
        removed |= {"sessions_ended": len(sessions) + ended.sessions,
                    "grants_revoked": ended.grants}
        uow.audit(tenant.id).record(ctx.actor, "user.factors_reset", user.sub, **removed)
        return FactorsReset(user.sub, user.email, removed)


def _remove_factors(uow: UnitOfWork, tenant_id: int, user: User) -> dict[str, int]:
    phone_verified = user.phone_verified
    user.phone_verified = False
    uow.flush()
    return {"totp": int(uow.totp(tenant_id).remove(user.id)),
            "passkeys": uow.webauthn(tenant_id).remove_all(user.id),
            "recovery_codes": uow.recovery_codes(tenant_id).remove_all(user.id),
            "phone_verification": int(phone_verified)}


def find_users(ctx: AdminContext, tenant_slug: str, query: UserQuery) -> list[ListedUser]:
    """The users ``query`` selects, oldest first, as accounts.user_view has them."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be 1-{MAX_LIMIT}")
    if query.q is not None and len(query.q) > MAX_QUERY:
        raise InvalidInput("q", f"at most {MAX_QUERY} characters")
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        rows = UserDirectory(uow.session, tenant.id).find(query)
        return [ListedUser(row.id, accounts.user_view(row)) for row in rows]


def after_sub(ctx: AdminContext, tenant_slug: str, sub: str) -> int:
    """The paging key of the user ``sub`` (the CLI's ``--after SUB``); NotFound if none."""
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        return accounts.find_user(uow.users(tenant.id), sub=sub).id


__all__ = ["DeletedUser", "FactorsReset", "ListedUser", "UserQuery", "UserStatus",
           "after_sub", "delete_user", "find_users", "reset_factors"]
