"""Operator operations on tenants: create, change, list, show, and the default tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from authserver.services import tenants
from authserver.services.account_policy import AccountPolicyChange, account_policy_view
from authserver.services.admin_context import AdminContext
from authserver.services.branding import BrandingChange, branding_view
from authserver.services.errors import Conflict
from authserver.services.session_limits import SessionLimitsChange
from authserver.services.sign_in_policy import SignInPolicyChange, policy_view
from authserver.storage.models import Tenant
from authserver.storage.repositories import TenantRepository


@dataclass(frozen=True, slots=True)
class TenantRecord:
    slug: str
    display_name: str
    refresh_token_idle_ttl: int | None
    refresh_token_absolute_ttl: int | None
    created_at: dt.datetime
    sign_in: dict[str, Any]
    session_idle_ttl: int | None = None
    session_absolute_ttl: int | None = None
    accounts: dict[str, Any] | None = None
    branding: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: Tenant) -> TenantRecord:
        return cls(row.slug, row.display_name, row.refresh_token_idle_ttl,
                   row.refresh_token_absolute_ttl, row.created_at, policy_view(row),
                   row.session_idle_ttl, row.session_absolute_ttl,
                   account_policy_view(row), branding_view(row))

    def view(self, issuer: str) -> dict[str, Any]:
        """What operators see of the tenant, with ``issuer`` its issuer URL."""
        return {
            "slug": self.slug,
            "display_name": self.display_name,
            "issuer": issuer,
            "discovery": f"{issuer}/.well-known/openid-configuration",
            "jwks_uri": f"{issuer}/jwks",
            "refresh_token_idle_ttl": self.refresh_token_idle_ttl,
            "refresh_token_absolute_ttl": self.refresh_token_absolute_ttl,
            "session_idle_ttl": self.session_idle_ttl,
            "session_absolute_ttl": self.session_absolute_ttl,
            "sign_in": self.sign_in,
            **(self.accounts or {}),
            **(self.branding or {}),
            "created_at": self.created_at.isoformat(),
        }


def create_tenant(ctx: AdminContext, slug: str, display_name: str | None) -> TenantRecord:
    """A new tenant with its own data key and default signing keys."""
    with ctx.transaction() as session:
        row = tenants.create_tenant(session, ctx.master_key, ctx.key_timing, slug,
                                    display_name, ctx.actor, ctx.clock())
        return TenantRecord.of(row)


def update_tenant(ctx: AdminContext, slug: str, display_name: str | None,
                  refresh_idle: int | None, refresh_absolute: int | None,
                  sign_in: SignInPolicyChange | None = None,
                  sessions: SessionLimitsChange | None = None,
                  accounts: AccountPolicyChange | None = None,
                  brand: BrandingChange | None = None) -> TenantRecord:
    """Change the display name, refresh token limits, sign-in policy, session limits,
    account policy or branding (None leaves a setting as it is)."""
    with ctx.transaction() as session:
        row = tenants.update_tenant(session, slug, display_name, refresh_idle,
                                    refresh_absolute, ctx.actor,
                                    global_limits=ctx.refresh_limits, sign_in=sign_in,
                                    sessions=sessions, global_sessions=ctx.session_limits,
                                    accounts=accounts, brand=brand)
        record = TenantRecord.of(row)
    if ctx.tenants is not None:
        ctx.tenants.invalidate()  # this process sees the change now; others within the TTL
    return record


def list_tenants(ctx: AdminContext) -> list[TenantRecord]:
    with ctx.transaction() as session:
        return [TenantRecord.of(row) for row in TenantRepository(session).all()]


def page_tenants(ctx: AdminContext, after_slug: str | None, limit: int) -> list[TenantRecord]:
    """Up to ``limit`` tenants in slug order after ``after_slug``."""
    with ctx.transaction() as session:
        return [TenantRecord.of(row) for row in TenantRepository(session).page(after_slug, limit)]


def show_tenant(ctx: AdminContext, slug: str) -> TenantRecord:
    with ctx.transaction() as session:
        return TenantRecord.of(tenants.get_tenant(session, slug))


def ensure_tenant(ctx: AdminContext, slug: str, display_name: str) -> bool:
    """Create tenant ``slug`` if it is missing; True when this call created it."""
    try:
        with ctx.transaction() as session:
            if TenantRepository(session).by_slug(slug) is not None:
                return False
            tenants.create_tenant(session, ctx.master_key, ctx.key_timing, slug,
                                  display_name, ctx.actor, ctx.clock())
            return True
    except (IntegrityError, Conflict):
        # Another `db upgrade` (say, a second replica starting) created it first: seen as
        # the unique constraint when both insert, or as create_tenant's own existence
        # check when the other commits between our look-up and that check.
        return False
