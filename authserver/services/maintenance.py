"""Operator operations on the database as a whole: schema upgrades and expiry purges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from authserver.services.admin_context import AdminContext
from authserver.services.authn.code_throttle import SECOND_FACTOR
from authserver.services.key_lifecycle import purge_expired_keys
from authserver.services.tenant_admin import ensure_tenant
from authserver.services.tenants import DEFAULT_TENANT
from authserver.services.throttle import LONGEST_WINDOW
from authserver.storage import migrate
from authserver.storage.repositories import TenantRepository
from authserver.storage.repositories.outbox import OutboxRepository
from authserver.storage.repositories.webauthn import purge_expired_challenges

# Throttle buckets idle this long hold nothing a limit still counts: at least an hour,
# and never less than the longest window any limit counts over (sign-in, second factor).
THROTTLE_BUCKET_AGE = max(dt.timedelta(hours=1), LONGEST_WINDOW, SECOND_FACTOR.window)

# Delivered outbox messages are kept a day (what was sent, for support questions); dead
# ones a week after they were written, for the operator to look into (the audit event
# outbox.gave_up stays as long as the audit log).
OUTBOX_DELIVERED_KEPT = dt.timedelta(days=1)
OUTBOX_DEAD_KEPT = dt.timedelta(days=7)


class ExpiringStore(Protocol):
    """One tenant's token store: codes, grants, sessions, revocation records."""

    def purge_expired(self, now: dt.datetime) -> dict[str, int]: ...


class ExpiringBuckets(Protocol):
    def purge(self, now: dt.datetime, older_than: dt.timedelta) -> int: ...


def upgrade_schema(ctx: AdminContext) -> tuple[str | None, bool]:
    """Apply every migration and make sure the default tenant exists; returns the
    revision the database is now at and whether the default tenant was created."""
    migrate.upgrade(ctx.database)
    created = ensure_tenant(ctx, DEFAULT_TENANT, "Default")
    return migrate.current_revision(ctx.database), created


def schema_revision(ctx: AdminContext) -> tuple[str | None, str | None]:
    """The revision the database is at (None when empty) and the newest one known."""
    return migrate.current_revision(ctx.database), migrate.head_revision()


def purge_expired(ctx: AdminContext, store_for: Callable[[int], ExpiringStore],
                  throttle: ExpiringBuckets) -> dict[str, int]:
    """Delete what has expired everywhere; returns how many rows left each table.

    ``store_for`` gives a tenant's token store by tenant id: the runtime's per-tenant
    wiring, which services do not build.
    """
    now = ctx.clock()
    totals: dict[str, int] = {}
    with ctx.transaction() as session:
        tenant_ids = [t.id for t in TenantRepository(session).all()]
        keys = purge_expired_keys(ctx, session, now)
    if keys is not None:
        totals["signing_keys"] = keys
    for tenant_id in tenant_ids:
        for table, count in store_for(tenant_id).purge_expired(now).items():
            totals[table] = totals.get(table, 0) + count
    totals["throttle_buckets"] = throttle.purge(now, THROTTLE_BUCKET_AGE)
    with ctx.transaction() as session:  # a passkey ceremony's challenge lives 5 minutes
        totals["webauthn_challenges"] = purge_expired_challenges(session, now)
    with ctx.transaction() as session:
        totals["outbox_messages"] = OutboxRepository(session).purge(
            now - OUTBOX_DELIVERED_KEPT, now - OUTBOX_DEAD_KEPT)
    return totals
