"""Reading and keeping the audit log: list, export, verify, purge (the CLI and the admin
API call these). Each first ships this process's spool and seals the tenant's chain, so
what it reads is everything written so far (docs/audit.md)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from authserver.services.admin_context import AdminContext
from authserver.services.audit_chain import (
    AuditKeys,
    Verdict,
    head_mac,
    seal,
    seal_all,
    verify,
)
from authserver.services.audit_spool import AuditSpool
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.tenants import get_tenant
from authserver.storage.database import Database
from authserver.storage.models import AuditEvent, Tenant
from authserver.storage.repositories.audit import AuditFilter, AuditRepository

__all__ = ["AuditFilter", "PurgeResult", "event_view", "export_events", "list_events",
           "parse_instant", "purge_events", "ship_and_seal", "verify_chain"]
MAX_PAGE = 1000


def ship_and_seal(database: Database, keys: AuditKeys, spool: AuditSpool | None,
                  now: dt.datetime) -> int:
    """The worker's chore: this process's spool closed and every shippable spool file
    stored, then every chain with waiting records sealed. Returns the records sealed."""
    if spool is not None:
        spool.rotate()
        spool.ship(database, keys)
    return seal_all(database, keys, now)


def parse_instant(field: str, text: str | None) -> dt.datetime | None:
    """An ISO 8601 instant (``2026-12-03``, ``2026-12-03T10:00:00Z``); UTC when it names
    no offset."""
    if text is None or text == "":
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, "must be an ISO 8601 date or time, "
                           "e.g. 2026-12-03T10:00:00Z") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def event_view(row: AuditEvent, tenant_slug: str) -> dict[str, Any]:
    details = dict(row.details or {})
    before, after = details.pop("before", None), details.pop("after", None)
    return {
        "id": row.id, "event_id": row.event_id, "tenant": tenant_slug,
        "occurred_at": row.occurred_at.isoformat(timespec="microseconds"),
        "actor": row.actor, "actor_kind": row.actor_kind, "action": row.action,
        "target": row.target, "before": before, "after": after, "details": details,
        "ip": row.ip, "user_agent": row.user_agent, "request_id": row.request_id,
        "seq": row.seq, "prev_hash": row.prev_hash, "chain_hash": row.chain_hash,
    }


def _keys(ctx: AdminContext) -> AuditKeys:
    return AuditKeys(ctx.master_key)


def _tenant(ctx: AdminContext, slug: str) -> Tenant:
    with ctx.transaction() as session:
        return get_tenant(session, slug)


def _up_to_date(ctx: AdminContext, tenant: Tenant, keys: AuditKeys) -> None:
    if ctx.audit_spool is not None:
        ctx.audit_spool.rotate()
        ctx.audit_spool.ship(ctx.database, keys)
    seal(ctx.database, keys, tenant.id, ctx.clock())


def list_events(ctx: AdminContext, tenant_slug: str, wanted: AuditFilter, limit: int = 50,
                before_id: int | None = None) -> list[dict[str, Any]]:
    """Newest first: at most ``limit`` records older than ``before_id`` (keyset paging)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be from 1 to {MAX_PAGE}")
    tenant = _tenant(ctx, tenant_slug)
    _up_to_date(ctx, tenant, _keys(ctx))
    with ctx.transaction() as session:
        rows = AuditRepository(session, tenant.id).page(wanted, limit, before_id)
        return [event_view(row, tenant.slug) for row in rows]


def export_events(ctx: AdminContext, tenant_slug: str, wanted: AuditFilter
                  ) -> Iterator[bytes]:
    """Every matching record, oldest first, as JSON Lines (one ``bytes`` per line),
    read in batches: an export of any size streams. The tenant is checked at once
    (NotFound before the first line), the rows are read as the caller iterates."""
    tenant = _tenant(ctx, tenant_slug)
    _up_to_date(ctx, tenant, _keys(ctx))

    def lines() -> Iterator[bytes]:
        with ctx.transaction() as session:
            for row in AuditRepository(session, tenant.id).stream(wanted):
                yield orjson.dumps(event_view(row, tenant.slug)) + b"\n"

    return lines()


def verify_chain(ctx: AdminContext, tenant_slug: str) -> Verdict:
    tenant = _tenant(ctx, tenant_slug)
    keys = _keys(ctx)
    _up_to_date(ctx, tenant, keys)
    return verify(ctx.database, keys, tenant.id, ctx.clock())


@dataclass(frozen=True, slots=True)
class PurgeResult:
    purged: int
    anchor_seq: int  # the last purged record's seq: the chain now starts after it


def purge_events(ctx: AdminContext, tenant_slug: str, older_than: dt.datetime,
                 export: IO[bytes] | None) -> PurgeResult:
    """Delete the sealed records older than ``older_than`` (the chain's prefix up to the
    first record that is not), after writing them to ``export`` (flushed and synced
    before anything is deleted); the chain head keeps the last one's seq and hash as its
    anchor, so ``verify`` still checks what remains. Refused on a chain that does not
    verify: a purge must not erase the evidence."""
    tenant = _tenant(ctx, tenant_slug)
    keys = _keys(ctx)
    _up_to_date(ctx, tenant, keys)
    now = ctx.clock()
    verdict = verify(ctx.database, keys, tenant.id, now)
    if verdict.problem is not None:
        raise Conflict(f"the audit chain of {tenant.slug!r} does not verify "
                       f"({verdict.problem.kind}: {verdict.problem.record}); "
                       "nothing purged")
    with ctx.transaction() as session:
        repo = AuditRepository(session, tenant.id)
        head = repo.lock_head(now)
        first_kept = repo.first_seq_from(older_than)
        last = head.seq if first_kept is None else min(first_kept - 1, head.seq)
        if last <= head.anchor_seq:
            return PurgeResult(0, head.anchor_seq)
        anchor = repo.by_seq(last)
        if anchor is None or anchor.chain_hash is None:
            raise Conflict(f"record seq {last} is missing; run `authserver audit verify`")
        if export is not None:
            for row in repo.sealed():
                if (row.seq or 0) > last:
                    break
                export.write(orjson.dumps(event_view(row, tenant.slug)) + b"\n")
            export.flush()
            os.fsync(export.fileno())  # on disk before a single row is deleted
        purged = repo.purge_through(last)
        head.anchor_seq, head.anchor_hash = last, anchor.chain_hash
        head.mac = head_mac(keys.key(session, tenant.id), head)
        repo.record(ctx.actor, "audit.purged", tenant.slug, through_seq=last,
                    older_than=older_than.isoformat(), purged=purged,
                    exported=export is not None)
        return PurgeResult(purged, last)
