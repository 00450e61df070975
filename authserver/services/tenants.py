"""Tenants: creation (with a wrapped data key and default signing keys) and lookup."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from authserver.protocol.policies import PASSWORD_ALONE, FactorPolicy
from authserver.services import account_policy, branding, envelope, session_limits
from authserver.services.account_policy import (
    DEFAULT_ACCOUNT_POLICY,
    AccountPolicy,
    AccountPolicyChange,
    account_policy_of,
)
from authserver.services.branding import NO_BRANDING, Branding, BrandingChange, branding_of
from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.services.keys import KeyManager, KeyTiming
from authserver.services.refresh_limits import (
    RefreshLimits,
    check_refresh_limits,
    describe,
    global_absolute,
    inherited_absolute,
)
from authserver.services.roles import get_role
from authserver.services.session_limits import SessionLimits, SessionLimitsChange
from authserver.services.sign_in_policy import SignInPolicyChange, apply_change, policy_of
from authserver.storage.database import Database
from authserver.storage.models import Tenant
from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    SigningKeyRepository,
    TenantRepository,
)

DEFAULT_TENANT = "default"
# A DNS-label-like slug: it appears in issuer URLs and must never need escaping.
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: int
    slug: str
    display_name: str
    refresh_token_idle_ttl: int | None = None
    refresh_token_absolute_ttl: int | None = None
    factor_policy: FactorPolicy = PASSWORD_ALONE
    session_idle_ttl: int | None = None  # None: the SESSION_IDLE_TTL setting
    session_absolute_ttl: int | None = None
    accounts: AccountPolicy = DEFAULT_ACCOUNT_POLICY  # sign-up, passwords, single session
    branding: Branding = NO_BRANDING  # logo and colour of the hosted pages


def validate_slug(slug: str) -> str:
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(
            "slug",
            f"{slug!r} is not a valid tenant slug: use 1-63 lower-case letters, digits and "
            "inner hyphens",
        )
    return slug


def create_tenant(session: Session, master_key: bytes, timing: KeyTiming, slug: str,
                  display_name: str | None, actor: str, now: dt.datetime) -> Tenant:
    """Create a tenant with its own data key and RS256 + ES256 signing keys."""
    validate_slug(slug)
    name = (display_name if display_name is not None else slug).strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "must be 1-200 characters")
    tenants = TenantRepository(session)
    if tenants.by_slug(slug) is not None:
        raise Conflict(f"tenant {slug!r} already exists")
    key_id = envelope.key_id(master_key)
    others = {t.master_key_id for t in tenants.all()}
    if others and key_id not in others:
        # One database, one master key: a tenant wrapped under a stray key would be
        # unreadable by every correctly configured instance.
        raise Conflict(f"the configured master key ({key_id}) is not the one this database "
                       f"uses ({', '.join(sorted(others))})")
    tenant = tenants.add(Tenant(
        slug=slug, display_name=name,
        wrapped_data_key=envelope.wrap_data_key(master_key, envelope.new_data_key(), slug),
        master_key_id=key_id,
    ))
    audit = AuditRepository(session, tenant.id)
    audit.record(actor, "tenant.created", slug, display_name=name)
    manager = KeyManager(SigningKeyRepository(session, tenant.id), audit, tenant, master_key,
                         timing)
    manager.ensure_defaults(now, actor)
    return tenant


def update_tenant(session: Session, slug: str, display_name: str | None,
                  refresh_idle: int | None, refresh_absolute: int | None, actor: str, *,
                  global_limits: RefreshLimits | None = None,
                  sign_in: SignInPolicyChange | None = None,
                  sessions: SessionLimitsChange | None = None,
                  global_sessions: SessionLimits | None = None,
                  accounts: AccountPolicyChange | None = None,
                  brand: BrandingChange | None = None) -> Tenant:
    """Change a tenant. ``global_limits``: the REFRESH_TOKEN_* settings, so that an idle
    limit longer than the global absolute limit is refused (services read no settings)."""
    tenant = get_tenant(session, slug)
    if display_name is not None:
        name = display_name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("name", "must be 1-200 characters")
        tenant.display_name = name
    if refresh_idle is not None:
        tenant.refresh_token_idle_ttl = refresh_idle
    if refresh_absolute is not None:
        tenant.refresh_token_absolute_ttl = refresh_absolute
    if sign_in is not None:
        apply_change(tenant, sign_in)
    if sessions is not None:
        session_limits.apply_change(tenant, sessions, global_sessions)
    if accounts is not None:
        account_policy.apply_change(tenant, accounts)
        if accounts.default_role and tenant.default_role is not None:
            # Sign-up gives it for real (services/roles.py): it must exist.
            try:
                get_role(session, tenant.id, tenant.default_role)
            except NotFound:
                raise InvalidInput("default_role", f"no role {tenant.default_role!r} in "
                                   "this tenant; create it first (role create)") from None
    if brand is not None:
        branding.apply_change(tenant, brand)
    idle, absolute = tenant.refresh_token_idle_ttl, tenant.refresh_token_absolute_ttl
    check_refresh_limits(RefreshLimits(idle, absolute), global_absolute(global_limits))
    _check_inheriting_clients(session, tenant, global_limits)
    AuditRepository(session, tenant.id).record(
        actor, "tenant.updated", slug, display_name=tenant.display_name,
        refresh_token_idle_ttl=idle, refresh_token_absolute_ttl=absolute,
        mfa=tenant.mfa_mode, mfa_methods=tenant.mfa_methods, magic_links=tenant.magic_links,
        phone_sign_in=tenant.phone_sign_in, session_idle_ttl=tenant.session_idle_ttl,
        session_absolute_ttl=tenant.session_absolute_ttl,
        **account_policy.account_policy_view(tenant), **branding.branding_view(tenant))
    return tenant


def _check_inheriting_clients(session: Session, tenant: Tenant,
                              global_limits: RefreshLimits | None) -> None:
    """A lower tenant absolute limit must not leave a client's own idle limit above the
    absolute limit that client inherits."""
    inherited = inherited_absolute(
        RefreshLimits(tenant.refresh_token_idle_ttl, tenant.refresh_token_absolute_ttl),
        global_limits)
    for client in ClientRepository(session, tenant.id).all():
        if client.refresh_token_absolute_ttl is not None:
            continue
        try:
            check_refresh_limits(RefreshLimits(client.refresh_token_idle_ttl), inherited)
        except InvalidInput:
            raise InvalidInput(
                "refresh_token_absolute_ttl",
                f"client {client.client_id!r} has an idle limit of "
                f"{describe(client.refresh_token_idle_ttl or 0)}, longer than this; lower "
                "the client's limit first (authserver client update)") from None


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = TenantRepository(session).by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r} (see: authserver tenant list)")
    return tenant


class TenantDirectory:
    """slug → TenantInfo, cached briefly so request routing costs no query."""

    def __init__(self, database: Database, ttl_seconds: float = 30.0) -> None:
        self.database = database
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, TenantInfo | None]] = {}
        self._lock = threading.Lock()

    def find(self, slug: str) -> TenantInfo | None:
        if not _SLUG.fullmatch(slug):
            return None
        hit = self._cache.get(slug)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.database.unit_of_work() as uow:
            row = uow.tenants.by_slug(slug)
            info = TenantInfo(row.id, row.slug, row.display_name, row.refresh_token_idle_ttl,
                              row.refresh_token_absolute_ttl, policy_of(row),
                              row.session_idle_ttl, row.session_absolute_ttl,
                              account_policy_of(row), branding_of(row)) if row else None
        with self._lock:
            if len(self._cache) > 10_000:  # unknown slugs must not grow memory without bound
                self._cache.clear()
            self._cache[slug] = (time.monotonic() + self.ttl, info)
        return info

    def invalidate(self, tenant_id: int | None = None) -> None:
        """Forget every tenant (``tenant_id`` is accepted for the TenantCache protocol)."""
        with self._lock:
            self._cache.clear()
