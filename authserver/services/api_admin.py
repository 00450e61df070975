"""Operator operations on a tenant's APIs (resource servers).

Clients' direct grants to them are in services/api_grants.py. Each operation runs one
unit of work, records its audit event, and once committed empties the tenant's API
directory and client cache (a client's permissions travel in its cached record). The
built-in admin API is listed like any other but cannot be changed.
Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from authserver.protocol.grants.common import is_resource_identifier
from authserver.protocol.ports import ApiRecord
from authserver.services.admin_context import AdminContext
from authserver.services.api_catalogue import Catalogue, valid_scope
from authserver.services.api_errors import BuiltinReadOnly, CodedConflict
from authserver.services.errors import InvalidInput, NotFound
from authserver.services.key_lifecycle import ensure_signing_keys
from authserver.services.keys import SUPPORTED_ALGS
from authserver.services.tenants import get_tenant
from authserver.storage.models import ApiResource, Tenant
from authserver.storage.repositories import AuditRepository, ClientRepository
from authserver.storage.repositories.apis import ApiRepository
from authserver.storage.repositories.base import Repository

MAX_SCOPES = 100
MIN_TTL = 60


@dataclass(frozen=True, slots=True)
class ApiSpec:
    identifier: str
    name: str
    scopes: Sequence[str] = ()
    access_token_ttl: int | None = None
    access_token_alg: str | None = None
    introspection_clients: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ApiChanges:
    """None leaves a field as it is; ``access_token_ttl=0`` and ``access_token_alg=""``
    go back to the defaults."""

    name: str | None = None
    scopes: Sequence[str] | None = None
    access_token_ttl: int | None = None
    access_token_alg: str | None = None
    introspection_clients: Sequence[str] | None = None


def catalogue_of(ctx: AdminContext) -> Catalogue:
    if ctx.apis is None:
        raise RuntimeError("the admin context has no API directory")
    return ctx.apis.catalogue


def invalidate_after_commit(ctx: AdminContext, session: Session, tenant_id: int) -> None:
    """After the commit, not before (client_changes.py says why)."""
    def forget() -> None:
        if ctx.apis is not None:
            ctx.apis.invalidate(tenant_id)
        ctx.clients.invalidate(tenant_id)
    Repository(session).after_commit(forget)


ADMIN_API_ID = "builtin-admin"
_API_ID = re.compile(r"^api-([0-9]{1,18})$")


def builtin_view(api: ApiRecord) -> dict[str, Any]:
    return {"id": ADMIN_API_ID, "identifier": api.identifier, "name": api.name,
            "scopes": sorted(api.scopes),
            "access_token_ttl": None, "access_token_alg": None, "introspection_clients": [],
            "builtin": True, "created_at": None, "updated_at": None, "created_by": None,
            "updated_by": None}


def api_view(row: ApiResource) -> dict[str, Any]:
    return {"id": f"api-{row.id}", "identifier": row.identifier, "name": row.name,
            "scopes": list(row.scopes),
            "access_token_ttl": row.access_token_ttl, "access_token_alg": row.access_token_alg,
            "introspection_clients": list(row.introspection_clients or ()), "builtin": False,
            "created_at": row.created_at, "updated_at": row.updated_at,
            "created_by": row.created_by, "updated_by": row.updated_by}


# --- validation -------------------------------------------------------------------------


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 200:
        raise_input("name", "1-200 characters")
    return cleaned


def raise_input(field_name: str, problem: str) -> NoReturn:
    raise InvalidInput(field_name, problem)


def validated_scopes(scopes: Sequence[str]) -> list[str]:
    values = list(dict.fromkeys(scopes))
    if len(values) > MAX_SCOPES:
        raise_input("scopes", f"at most {MAX_SCOPES}")
    bad = [s for s in values if not valid_scope(s)]
    if bad:
        raise_input("scopes", f"{bad[0][:100]!r} is not in resource:action form "
                    "(letters, digits, '_', '.', '-', segments joined by ':')")
    return values


def _ttl(ctx: AdminContext, ttl: int | None) -> int | None:
    if ttl is None or ttl == 0:
        return None
    longest = int(ctx.key_timing.max_token_ttl.total_seconds())
    if ttl < MIN_TTL or ttl > longest:
        # Retired keys stay published only as long as the longest-lived token we sign.
        raise_input("access_token_ttl", f"{MIN_TTL}-{longest} seconds (the longest is "
                    "max(ACCESS_TOKEN_TTL, ID_TOKEN_TTL))")
    return ttl


def _alg(alg: str | None) -> str | None:
    if not alg:
        return None
    if alg not in SUPPORTED_ALGS:
        raise_input("access_token_alg", f"one of {', '.join(SUPPORTED_ALGS)}")
    return alg


def _introspection_clients(session: Session, tenant_id: int,
                           client_ids: Sequence[str]) -> list[str]:
    repo = ClientRepository(session, tenant_id)
    values = list(dict.fromkeys(client_ids))
    for client_id in values:
        found = repo.get(client_id)
        if found is None:
            raise_input("introspection_clients", f"no client {client_id[:64]!r}")
        elif found.is_public:
            raise_input("introspection_clients",
                        f"{client_id!r} is public: only confidential clients introspect")
    return values


def _identifier(catalogue: Catalogue, tenant: Tenant, identifier: str, issuer: str) -> str:
    if not is_resource_identifier(identifier):
        raise_input("identifier", "an absolute URI (https://…) or a URN (urn:…:…), "
                    "no fragment, at most 2000 characters")
    if identifier == catalogue.admin_identifier:
        raise BuiltinReadOnly("api_builtin", "the admin API is built in; it needs no "
                              "registration")
    if identifier == issuer:
        raise_input("identifier", "the tenant's issuer is authserver itself (userinfo)")
    return identifier


# --- APIs -------------------------------------------------------------------------------


def _issuer(catalogue: Catalogue, tenant: Tenant) -> str:
    base = catalogue.admin_identifier.removesuffix("/admin/api")
    return f"{base}/t/{tenant.slug}"


def create_api(ctx: AdminContext, tenant_slug: str, spec: ApiSpec) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        identifier = _identifier(catalogue, tenant, spec.identifier, _issuer(catalogue, tenant))
        repo = ApiRepository(session, tenant.id)
        if repo.get(identifier) is not None:
            raise CodedConflict("api_exists", f"an API {identifier!r} is already registered",
                                identifier=identifier)
        alg = _alg(spec.access_token_alg)
        row = repo.add(ApiResource(
            identifier=identifier, name=_name(spec.name), scopes=validated_scopes(spec.scopes),
            access_token_ttl=_ttl(ctx, spec.access_token_ttl), access_token_alg=alg,
            introspection_clients=_introspection_clients(session, tenant.id,
                                                         spec.introspection_clients),
            created_at=ctx.clock(), updated_at=ctx.clock(), created_by=ctx.actor,
            updated_by=ctx.actor))
        if alg:
            ensure_signing_keys(ctx, session, tenant, (alg,))
        view = api_view(row)
        AuditRepository(session, tenant.id).record(
            ctx.actor, "api.created", identifier,
            after={k: view[k] for k in ("name", "scopes", "access_token_ttl",
                                        "access_token_alg", "introspection_clients")})
        invalidate_after_commit(ctx, session, tenant.id)
        return view


def list_apis(ctx: AdminContext, tenant_slug: str) -> list[dict[str, Any]]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        rows = ApiRepository(session, tenant.id).all()
        return [builtin_view(catalogue.admin_api), *map(api_view, rows)]


def get_api(session: Session, tenant: Tenant, identifier: str) -> ApiResource:
    """An API by its identifier, or by its id (``api-12``: the admin API's paths)."""
    repo = ApiRepository(session, tenant.id)
    by_id = _API_ID.fullmatch(identifier)
    row = repo.by_id(int(by_id.group(1))) if by_id else repo.get(identifier)
    if row is None:
        raise NotFound(f"no API {identifier[:200]!r} in tenant {tenant.slug!r}")
    return row


def show_api(ctx: AdminContext, tenant_slug: str, identifier: str) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        if identifier in (catalogue.admin_identifier, ADMIN_API_ID):
            return builtin_view(catalogue.admin_api)
        return api_view(get_api(session, tenant, identifier))


def _refuse_builtin(catalogue: Catalogue, identifier: str) -> None:
    if identifier in (catalogue.admin_identifier, ADMIN_API_ID):
        raise BuiltinReadOnly("api_builtin", "the admin API is built in and cannot be "
                              "changed or deleted")


def update_api(ctx: AdminContext, tenant_slug: str, identifier: str,
               changes: ApiChanges) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    _refuse_builtin(catalogue, identifier)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        row = get_api(session, tenant, identifier)
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = _name(changes.name)
        if changes.scopes is not None:
            values["scopes"] = validated_scopes(changes.scopes)
        if changes.access_token_ttl is not None:
            values["access_token_ttl"] = _ttl(ctx, changes.access_token_ttl)
        if changes.access_token_alg is not None:
            values["access_token_alg"] = _alg(changes.access_token_alg)
        if changes.introspection_clients is not None:
            values["introspection_clients"] = _introspection_clients(
                session, tenant.id, changes.introspection_clients)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            before = {k: getattr(row, k) for k in changed}
            for key, value in changed.items():
                setattr(row, key, value)
            row.updated_at, row.updated_by = ctx.clock(), ctx.actor
            session.flush()
            if changed.get("access_token_alg"):
                ensure_signing_keys(ctx, session, tenant, (changed["access_token_alg"],))
            AuditRepository(session, tenant.id).record(ctx.actor, "api.updated", row.identifier,
                                                       before=before, after=changed)
            invalidate_after_commit(ctx, session, tenant.id)
        return {**api_view(row), "changed": sorted(changed)}


def delete_api(ctx: AdminContext, tenant_slug: str, identifier: str) -> None:
    """Delete the API and every client's direct grant to it (groups keep naming it, and
    grant it again should an API with this identifier be registered)."""
    catalogue = catalogue_of(ctx)
    _refuse_builtin(catalogue, identifier)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = ApiRepository(session, tenant.id)
        row = get_api(session, tenant, identifier)
        repo.delete_grants_to(catalogue.api_key(row.identifier))
        repo.delete(row)
        AuditRepository(session, tenant.id).record(ctx.actor, "api.deleted", row.identifier)
        invalidate_after_commit(ctx, session, tenant.id)


def forget_client(ctx: AdminContext, session: Session, tenant_id: int, client_id: str) -> None:
    """A deleted client stops being any API's resource server, so that a client later
    registered with the same client_id does not inherit the right to introspect."""
    changed = False
    for row in ApiRepository(session, tenant_id).all():
        if client_id in (row.introspection_clients or ()):
            row.introspection_clients = [c for c in row.introspection_clients if c != client_id]
            changed = True
    if changed:
        session.flush()
        invalidate_after_commit(ctx, session, tenant_id)
