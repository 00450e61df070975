"""Operator operations on a tenant's clients: register, list, show, change, rotate the
secret, delete.

Registration and changes give every signing algorithm the client names a key, in the
same unit of work; changes, rotations and deletions empty the client cache once
committed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from authserver.services import api_admin, client_changes
from authserver.services.admin_context import AdminContext
from authserver.services.client_changes import ClientChanges, get_client, invalidate_after_commit
from authserver.services.client_secrets import NewSecret, require_secret_method, rotated
from authserver.services.clients import ClientSpec, client_summary, register_client
from authserver.services.errors import Conflict
from authserver.services.key_lifecycle import ensure_signing_keys
from authserver.services.tenants import get_tenant
from authserver.storage.models import Client
from authserver.storage.repositories import AuditRepository, ClientRepository


@dataclass(frozen=True, slots=True)
class CreatedClient:
    client_id: str
    client_secret: str | None  # shown once: only its digest is stored
    summary: dict[str, Any] = field(default_factory=dict)  # as client_summary has it


@dataclass(frozen=True, slots=True)
class ListedClient:
    id: int  # the paging key (keyset order), never shown
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UpdatedClient:
    summary: dict[str, Any]  # as client_summary has it, after the change
    changed: list[str]  # names as the summary has them; empty when nothing changed
    # Shown once: made only when the authentication method became a secret one.
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    client_id: str
    client_secret: str  # shown once: only its digest is stored
    client_secret_expires_at: dt.datetime | None  # None: never
    previous_secret_expires_at: dt.datetime | None  # None: the old secret ended at once

    def view(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "client_secret_expires_at": _iso(self.client_secret_expires_at),
                "previous_secret_expires_at": _iso(self.previous_secret_expires_at)}


def create_client(ctx: AdminContext, tenant_slug: str, spec: ClientSpec) -> CreatedClient:
    """Register a client under ``spec``; a generated secret is returned once."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        registered = register_client(
            ClientRepository(session, tenant.id), AuditRepository(session, tenant.id), spec,
            ctx.actor, global_limits=ctx.refresh_limits,
            allow_private_jwks_uri=ctx.allow_private_jwks_uri)
        ensure_signing_keys(ctx, session, tenant, (spec.id_token_alg, spec.access_token_alg))
        return CreatedClient(registered.client.client_id, registered.client_secret,
                             client_summary(registered.client))


def list_clients(ctx: AdminContext, tenant_slug: str) -> list[dict[str, Any]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [client_summary(c) for c in ClientRepository(session, tenant.id).all()]


def page_clients(ctx: AdminContext, tenant_slug: str, after_id: int | None,
                 limit: int) -> list[ListedClient]:
    """Up to ``limit`` clients in registration order, after the one with ``after_id``."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        rows = ClientRepository(session, tenant.id).page(after_id, limit)
        return [ListedClient(c.id, client_summary(c)) for c in rows]


def show_client(ctx: AdminContext, tenant_slug: str, client_id: str) -> dict[str, Any]:
    """The client's registration as client_summary has it (never its secret)."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return client_summary(get_client(ClientRepository(session, tenant.id), client_id))


def update_client(ctx: AdminContext, tenant_slug: str, client_id: str,
                  changes: ClientChanges) -> UpdatedClient:
    """Apply ``changes`` under registration's rules; credentials stay as they are."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        update = client_changes.update_client(
            ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
            client_id, changes, ctx.actor, global_limits=ctx.refresh_limits,
            cache=ctx.clients, allow_private_jwks_uri=ctx.allow_private_jwks_uri,
            now=ctx.clock())
        found = update.client
        ensure_signing_keys(ctx, session, tenant, (found.id_token_signed_response_alg,
                                                   found.access_token_signed_response_alg))
        return UpdatedClient(client_summary(found), update.changed, update.client_secret)


def rotate_secret(ctx: AdminContext, tenant_slug: str, client_id: str,
                  overlap: dt.timedelta, lifetime: dt.timedelta | None = None) -> RotatedSecret:
    """Give the client a new secret (expiring after ``lifetime``, or never); the one it
    replaces keeps working for ``overlap`` (zero: it ends now). A secret kept from an
    earlier rotation ends now: at most two work at once."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = ClientRepository(session, tenant.id)
        client = get_client(repo, client_id, for_update=True)
        require_secret_method(client)
        new = _swap_secret(repo, client, ctx.clock(), lifetime, overlap)
        AuditRepository(session, tenant.id).record(
            ctx.actor, "client.secret_rotated", client_id,
            overlap_seconds=int(overlap.total_seconds()),
            previous_secret_expires_at=_iso(new.previous_secret_expires_at),
            client_secret_expires_at=_iso(new.secret_expires_at),
            before={"client_secret": "[redacted]"}, after={"client_secret": "[redacted]"})
        invalidate_after_commit(repo, ctx.clients)
        return RotatedSecret(client_id, new.client_secret, new.secret_expires_at,
                             new.previous_secret_expires_at)


def _swap_secret(repo: ClientRepository, client: Client, now: dt.datetime,
                 lifetime: dt.timedelta | None, overlap: dt.timedelta) -> NewSecret:
    # Two rotations at once must chain (each new secret working), not both replace the
    # same old secret and lose the first's: the write is a compare and swap, retried
    # from what the other rotation stored.
    for _attempt in range(3):
        new, columns = rotated(client, now, lifetime, overlap)
        if repo.replace_secrets(client, dataclasses.asdict(columns)):
            return new
    raise Conflict(f"client {client.client_id!r}: its secret kept changing during the "
                   "rotation; try again")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def delete_client(ctx: AdminContext, tenant_slug: str, client_id: str) -> None:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client_changes.delete_client(ClientRepository(session, tenant.id),
                                     AuditRepository(session, tenant.id), client_id,
                                     ctx.actor, cache=ctx.clients)
        api_admin.forget_client(ctx, session, tenant.id, client_id)
