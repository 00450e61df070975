"""Operator operations on clients' direct grants to APIs (access groups add to them:
services/access_groups.py). One unit of work each, with its audit record; the tenant's
caches are emptied once committed, since a client's permissions travel in its cached
record. Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from authserver.protocol.ports import ApiRecord
from authserver.services.admin_context import AdminContext
from authserver.services.api_admin import (
    ADMIN_API_ID,
    catalogue_of,
    get_api,
    invalidate_after_commit,
    raise_input,
)
from authserver.services.api_catalogue import Catalogue
from authserver.services.client_changes import get_client
from authserver.services.errors import NotFound
from authserver.services.tenants import get_tenant
from authserver.storage.models import Client, ClientApiGrant, Tenant
from authserver.storage.repositories import AuditRepository, ClientRepository
from authserver.storage.repositories.apis import ApiRepository


def defined_api(session: Session, tenant: Tenant, catalogue: Catalogue,
                identifier: str) -> ApiRecord:
    """The API ``identifier`` names (registered, or the built-in admin API)."""
    if identifier in (catalogue.admin_identifier, ADMIN_API_ID):
        return catalogue.admin_api
    row = get_api(session, tenant, identifier)
    return ApiRecord(identifier=row.identifier, name=row.name, scopes=frozenset(row.scopes))


def checked_scopes(api: ApiRecord, scopes: Sequence[str], field_name: str = "scopes"
                   ) -> list[str]:
    values = list(dict.fromkeys(scopes))
    unknown = [s for s in values if s not in api.scopes]
    if unknown:
        raise_input(field_name, f"{unknown[0][:100]!r} is not a scope of {api.identifier!r} "
                    f"(its scopes: {', '.join(sorted(api.scopes)) or 'none'})")
    return values


def grants_view(catalogue: Catalogue, rows: Sequence[ClientApiGrant]) -> list[dict[str, Any]]:
    return [{"api": catalogue.api_identifier(g.api_key), "scopes": sorted(g.scopes)}
            for g in rows]


def _client(session: Session, tenant: Tenant, client_id: str) -> Client:
    return get_client(ClientRepository(session, tenant.id), client_id)


def grant_api(ctx: AdminContext, tenant_slug: str, identifier: str, client_id: str,
              scopes: Sequence[str]) -> list[dict[str, Any]]:
    """Allow ``client_id`` the API, and add ``scopes`` to what it holds there directly."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        api = defined_api(session, tenant, catalogue, identifier)
        added = checked_scopes(api, scopes)
        client = _client(session, tenant, client_id)
        repo = ApiRepository(session, tenant.id)
        key = catalogue.api_key(api.identifier)
        grant = repo.grant(client.id, key)
        before = sorted(grant.scopes) if grant else None
        if grant is None:
            repo.add_grant(ClientApiGrant(client_pk=client.id, api_key=key, scopes=added,
                                          created_at=ctx.clock()))
        else:
            grant.scopes = sorted({*grant.scopes, *added})
            session.flush()
        after = sorted({*(before or ()), *added})
        if before != after:
            AuditRepository(session, tenant.id).record(
                ctx.actor, "api_grant.changed", client_id, api=api.identifier,
                before={"scopes": before}, after={"scopes": after})
            invalidate_after_commit(ctx, session, tenant.id)
        return grants_view(catalogue, repo.grants_of(client.id))


def revoke_api(ctx: AdminContext, tenant_slug: str, identifier: str, client_id: str,
               scopes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Take ``scopes`` away from the client's direct grant; none: the whole grant."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = _client(session, tenant, client_id)
        repo = ApiRepository(session, tenant.id)
        grant = repo.grant(client.id, catalogue.api_key(identifier))
        if grant is None:
            raise NotFound(f"client {client_id!r} has no direct grant to {identifier[:200]!r}")
        before = sorted(grant.scopes)
        missing = [s for s in scopes if s not in grant.scopes]
        if missing:
            raise_input("scopes", f"{missing[0][:100]!r} is not granted (granted: "
                        f"{', '.join(before) or 'none'})")
        if scopes:
            grant.scopes = [s for s in before if s not in scopes]
            session.flush()
            after: list[str] | None = sorted(grant.scopes)
        else:
            repo.delete_grant(grant)
            after = None
        AuditRepository(session, tenant.id).record(
            ctx.actor, "api_grant.changed", client_id, api=identifier,
            before={"scopes": before}, after={"scopes": after})
        invalidate_after_commit(ctx, session, tenant.id)
        return grants_view(catalogue, repo.grants_of(client.id))


def client_api_grants(ctx: AdminContext, tenant_slug: str, client_id: str
                      ) -> list[dict[str, Any]]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = _client(session, tenant, client_id)
        return grants_view(catalogue, ApiRepository(session, tenant.id).grants_of(client.id))


def set_client_api_grants(ctx: AdminContext, tenant_slug: str, client_id: str,
                          grants: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """Replace every direct grant of the client with ``grants`` (API → scopes)."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = _client(session, tenant, client_id)
        wanted = {catalogue.api_key(identifier): checked_scopes(
            defined_api(session, tenant, catalogue, identifier), scopes)
            for identifier, scopes in grants.items()}
        repo = ApiRepository(session, tenant.id)
        current = repo.grants_of(client.id)
        before = {catalogue.api_identifier(g.api_key): sorted(g.scopes) for g in current}
        for row in current:
            repo.delete_grant(row)
        for key, scopes in wanted.items():
            repo.add_grant(ClientApiGrant(client_pk=client.id, api_key=key,
                                          scopes=sorted(scopes), created_at=ctx.clock()))
        after = {catalogue.api_identifier(k): sorted(v) for k, v in wanted.items()}
        if before != after:
            AuditRepository(session, tenant.id).record(
                ctx.actor, "api_grants.replaced", client_id, before=before, after=after)
            invalidate_after_commit(ctx, session, tenant.id)
        return grants_view(catalogue, repo.grants_of(client.id))
