"""Operator operations on a tenant's clients: register, list, show, change, delete.

Registration and changes give every signing algorithm the client names a key, in the
same unit of work; changes and deletions empty the client cache once committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authserver.services import api_admin, client_changes
from authserver.services.admin_context import AdminContext
from authserver.services.client_changes import ClientChanges, get_client
from authserver.services.clients import ClientSpec, client_summary, register_client
from authserver.services.key_lifecycle import ensure_signing_keys
from authserver.services.tenants import get_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository


@dataclass(frozen=True, slots=True)
class CreatedClient:
    client_id: str
    client_secret: str | None  # shown once: only its digest is stored


@dataclass(frozen=True, slots=True)
class UpdatedClient:
    summary: dict[str, Any]  # as client_summary has it, after the change
    changed: list[str]  # names as the summary has them; empty when nothing changed


def create_client(ctx: AdminContext, tenant_slug: str, spec: ClientSpec) -> CreatedClient:
    """Register a client under ``spec``; a generated secret is returned once."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        registered = register_client(
            ClientRepository(session, tenant.id), AuditRepository(session, tenant.id), spec,
            ctx.actor, global_limits=ctx.refresh_limits,
            allow_private_jwks_uri=ctx.allow_private_jwks_uri)
        ensure_signing_keys(ctx, session, tenant, (spec.id_token_alg, spec.access_token_alg))
        return CreatedClient(registered.client.client_id, registered.client_secret)


def list_clients(ctx: AdminContext, tenant_slug: str) -> list[dict[str, Any]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [client_summary(c) for c in ClientRepository(session, tenant.id).all()]


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
        found, changed = client_changes.update_client(
            ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
            client_id, changes, ctx.actor, global_limits=ctx.refresh_limits,
            cache=ctx.clients, allow_private_jwks_uri=ctx.allow_private_jwks_uri)
        ensure_signing_keys(ctx, session, tenant, (found.id_token_signed_response_alg,
                                                   found.access_token_signed_response_alg))
        return UpdatedClient(client_summary(found), changed)


def delete_client(ctx: AdminContext, tenant_slug: str, client_id: str) -> None:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client_changes.delete_client(ClientRepository(session, tenant.id),
                                     AuditRepository(session, tenant.id), client_id,
                                     ctx.actor, cache=ctx.clients)
        api_admin.forget_client(ctx, session, tenant.id, client_id)
