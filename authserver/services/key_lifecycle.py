"""Operator operations on a tenant's signing keys: list, rotate, revoke.

Each runs in one unit of work and empties the key ring's cache only after the commit, so
that no request caches the keys as they were before the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.services.admin_context import AdminContext
from authserver.services.keys import KeyManager, KeyState, key_state
from authserver.services.tenants import get_tenant
from authserver.storage.models import SigningKey, Tenant
from authserver.storage.repositories import (
    AuditRepository,
    SigningKeyRepository,
    TenantRepository,
)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key as operators see it: never its private half."""

    kid: str
    alg: str
    state: KeyState
    activates_at: dt.datetime
    retires_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime | None = None

    @classmethod
    def of(cls, key: SigningKey, now: dt.datetime) -> KeyRecord:
        return cls(key.kid, key.alg, key_state(key, now), key.activates_at, key.retires_at,
                   key.expires_at, key.revoked_at, key.created_at)

    def view(self) -> dict[str, Any]:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"kid": self.kid, "alg": self.alg, "state": self.state.value,
                "activates_at": iso(self.activates_at), "retires_at": iso(self.retires_at),
                "expires_at": iso(self.expires_at), "revoked_at": iso(self.revoked_at),
                "created_at": iso(self.created_at)}


def key_manager(ctx: AdminContext, session: Session, tenant: Tenant) -> KeyManager:
    """The tenant's key operations inside the caller's unit of work."""
    return KeyManager(SigningKeyRepository(session, tenant.id),
                      AuditRepository(session, tenant.id), tenant, ctx.master_key,
                      ctx.key_timing)


def ensure_signing_keys(ctx: AdminContext, session: Session, tenant: Tenant,
                        algs: Sequence[str]) -> None:
    """Give each of ``algs`` a key that signs now, in the caller's unit of work: a client
    may choose an algorithm the tenant has no key for yet (PS256, EdDSA)."""
    key_manager(ctx, session, tenant).ensure_defaults(ctx.clock(), ctx.actor,
                                                      algs=sorted(set(algs)))


def list_keys(ctx: AdminContext, tenant_slug: str) -> list[KeyRecord]:
    """Every key the tenant has, with its state at this moment."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        now = ctx.clock()
        return [KeyRecord.of(k, now) for k in SigningKeyRepository(session, tenant.id).all()]


def page_keys(ctx: AdminContext, tenant_slug: str, after_id: int | None,
              limit: int) -> list[tuple[int, KeyRecord]]:
    """Up to ``limit`` keys in creation order after the one with ``after_id``, each with
    its paging key."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        now = ctx.clock()
        rows = SigningKeyRepository(session, tenant.id).page(after_id, limit)
        return [(k.id, KeyRecord.of(k, now)) for k in rows]


def rotate_keys(ctx: AdminContext, tenant_slug: str, algs: Sequence[str],
                immediate: bool) -> list[KeyRecord]:
    """Publish a successor for each of ``algs`` (every one in use when empty): it signs
    after KEY_PUBLISH_LEAD, or at once with ``immediate``. Expired keys go first."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        now = ctx.clock()
        manager = key_manager(ctx, session, tenant)
        manager.purge_expired(now)
        # Once each: a repeated algorithm would create two successors that both sign.
        created = manager.rotate(now, ctx.actor, list(dict.fromkeys(algs)) or None, immediate)
        records = [KeyRecord.of(k, now) for k in created]
    ctx.keyring.invalidate()
    return records


def revoke_key(ctx: AdminContext, tenant_slug: str, kid: str) -> KeyRecord | None:
    """Withdraw ``kid`` from JWKS now; returns the key that signs in its place, when it
    was signing and a new one had to be made."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        now = ctx.clock()
        replacement = key_manager(ctx, session, tenant).revoke(kid, now, ctx.actor)
        record = KeyRecord.of(replacement, now) if replacement is not None else None
    ctx.keyring.invalidate()
    return record


def purge_expired_keys(ctx: AdminContext, session: Session, now: dt.datetime) -> int | None:
    """Delete every tenant's keys that nothing they signed can still need, in the
    caller's unit of work; None when there are no tenants at all."""
    counts = [key_manager(ctx, session, t).purge_expired(now)
              for t in TenantRepository(session).all()]
    return sum(counts) if counts else None
