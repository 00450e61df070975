"""Operator operations on a tenant's users: create, list, show, change, password, disable.

A user is named by email (case-insensitive) or by sub, exactly one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.services import accounts, user_attributes
from authserver.services.account_policy import PasswordRules, account_policy_of
from authserver.services.accounts import NewUser, UserChanges
from authserver.services.admin_context import AdminContext
from authserver.services.password_policy import PasswordRefused, password_problems
from authserver.services.tenants import get_tenant
from authserver.storage.models import Tenant, User
from authserver.storage.repositories import AuditRepository, UserRepository


@dataclass(frozen=True, slots=True)
class CreatedUser:
    sub: str
    email: str


@dataclass(frozen=True, slots=True)
class UpdatedUser:
    view: dict[str, Any]  # as accounts.user_view has it, after the change
    changed: list[str]  # empty when every value was already as asked


def _repos(session: Session, tenant: Tenant) -> tuple[UserRepository, AuditRepository]:
    return UserRepository(session, tenant.id), AuditRepository(session, tenant.id)


def _find(session: Session, tenant_slug: str, email: str | None,
          sub: str | None) -> tuple[Tenant, User]:
    tenant = get_tenant(session, tenant_slug)
    return tenant, accounts.find_user(UserRepository(session, tenant.id), email, sub)


def create_user(ctx: AdminContext, tenant_slug: str, new: NewUser) -> CreatedUser:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        rules = account_policy_of(tenant).passwords
        _check_rules(new.password, rules)
        user = accounts.create_user(*_repos(session, tenant), new, ctx.actor, ctx.clock(),
                                    ctx.passwords, rules)
        return CreatedUser(user.sub, user.email)


def list_users(ctx: AdminContext, tenant_slug: str, limit: int) -> list[dict[str, Any]]:
    """At most ``limit`` users, oldest first, as accounts.user_view has them."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [accounts.user_view(u)
                for u in accounts.list_users(UserRepository(session, tenant.id), limit)]


def show_user(ctx: AdminContext, tenant_slug: str, email: str | None,
              sub: str | None) -> dict[str, Any]:
    with ctx.transaction() as session:
        return accounts.user_view(_find(session, tenant_slug, email, sub)[1])


def update_user(ctx: AdminContext, tenant_slug: str, email: str | None, sub: str | None,
                changes: UserChanges) -> UpdatedUser:
    with ctx.transaction() as session:
        tenant, user = _find(session, tenant_slug, email, sub)
        changed = accounts.update_user(*_repos(session, tenant), user, changes, ctx.actor)
        view = accounts.user_view(user)
        if changes.attributes is not None:
            view["attributes"], keys = user_attributes.edit_attributes(
                session, tenant.id, user, changes.attributes.assign,
                changes.attributes.remove, ctx.actor)
            changed = sorted([*changed, "attributes"]) if keys else changed
        return UpdatedUser(view, changed)


def set_password(ctx: AdminContext, tenant_slug: str, email: str | None, sub: str | None,
                 password: str) -> str:
    """Set the user's password (argon2id); returns their email address."""
    with ctx.transaction() as session:
        tenant, user = _find(session, tenant_slug, email, sub)
        rules = account_policy_of(tenant).passwords
        _check_rules(password, rules)
        accounts.set_password(*_repos(session, tenant), user, password, ctx.actor,
                              ctx.clock(), ctx.passwords, rules)
        return user.email


def _check_rules(password: str | None, rules: PasswordRules) -> None:
    """The tenant's rules before the bare limits of services/passwords.py, so that an
    operator's too short or too long password is refused with its reason code too."""
    if password is not None and (problems := password_problems(password, rules)):
        raise PasswordRefused(problems)


def set_disabled(ctx: AdminContext, tenant_slug: str, email: str | None, disabled: bool,
                 sub: str | None = None) -> str:
    """Disable (ending every session, grant and unused code) or enable the user named by
    ``email`` or ``sub``; returns their email address."""
    with ctx.transaction() as session:
        tenant, user = _find(session, tenant_slug, email, sub)
        accounts.set_user_disabled(*_repos(session, tenant), user.email, disabled, ctx.actor,
                                   ctx.clock())
        return user.email
