"""In-process cache of each tenant's APIs, and what a client is allowed on them.

The token endpoint reads both without a query on a warm cache: a tenant's APIs (and the
built-in admin API) come from :class:`ApiDirectoryCache`, one query per tenant per TTL;
a client's permitted APIs and scopes travel in its cached ``ClientRecord``
(:func:`client_permissions`, read when the client directory loads the client). Services
that change APIs, grants or groups invalidate both caches after commit; other processes
see the change within the TTL (CLIENT_CACHE_TTL), as with client changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from authserver.protocol.ports import ApiRecord
from authserver.services.api_catalogue import CUSTOM_PREFIX, Catalogue
from authserver.storage.database import Database
from authserver.storage.models import ApiResource
from authserver.storage.repositories.apis import AccessGroupRepository, ApiRepository


def api_record(row: ApiResource) -> ApiRecord:
    return ApiRecord(identifier=row.identifier, name=row.name, scopes=frozenset(row.scopes),
                     access_token_ttl=row.access_token_ttl,
                     access_token_alg=row.access_token_alg,
                     introspection_clients=frozenset(row.introspection_clients or ()))


@dataclass(frozen=True, slots=True)
class TenantApis:
    by_identifier: Mapping[str, ApiRecord]
    all_scopes: frozenset[str]

    @classmethod
    def of(cls, records: list[ApiRecord]) -> TenantApis:
        return cls({r.identifier: r for r in records},
                   frozenset(s for r in records for s in r.scopes))


def custom_group_id(ref: str) -> int | None:
    digits = ref.removeprefix(CUSTOM_PREFIX)
    return int(digits) if ref.startswith(CUSTOM_PREFIX) and digits.isdigit() else None


def client_permissions(session: Session, tenant_id: int, client_pk: int,
                       catalogue: Catalogue) -> dict[str, frozenset[str]]:
    """API identifier → scopes the client holds: its direct grants, plus the groups it
    belongs to (built-in ones from the catalogue; a deactivated group grants nothing)."""
    merged: dict[str, set[str]] = {}

    def add(identifier: str, scopes: object) -> None:
        merged.setdefault(identifier, set()).update(scopes)  # type: ignore[call-overload]

    for grant in ApiRepository(session, tenant_id).grants_of(client_pk):
        add(catalogue.api_identifier(grant.api_key), grant.scopes)
    groups = AccessGroupRepository(session, tenant_id)
    refs = groups.refs_of(client_pk)
    for ref in refs:
        builtin = catalogue.group(ref)
        for identifier, scopes in (builtin.permissions.items() if builtin else ()):
            add(identifier, scopes)
    custom_ids = [i for i in map(custom_group_id, refs) if i is not None]
    for group in groups.by_ids(custom_ids):
        if group.active:
            for key, scopes in group.permissions.items():
                add(catalogue.api_identifier(key), scopes)
    return {identifier: frozenset(scopes) for identifier, scopes in merged.items()}


class ApiDirectoryCache:
    def __init__(self, database: Database, ttl_seconds: float, catalogue: Catalogue) -> None:
        self.database = database
        self.ttl = ttl_seconds
        self.catalogue = catalogue
        self._entries: dict[int, tuple[float, TenantApis]] = {}
        self._lock = threading.Lock()

    def tenant(self, tenant_id: int) -> TenantApis:
        hit = self._entries.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.database.unit_of_work() as uow:
            rows = ApiRepository(uow.session, tenant_id).all()
            records = [api_record(r) for r in rows]
        apis = TenantApis.of([self.catalogue.admin_api, *records])
        with self._lock:
            self._entries[tenant_id] = (time.monotonic() + self.ttl, apis)
        return apis

    def invalidate(self, tenant_id: int | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._entries.clear()
            else:
                self._entries.pop(tenant_id, None)


class TenantApiDirectory:
    """The ApiDirectory port for one tenant; its issuer is an audience every client may
    name (RFC 8707 ``resource`` for userinfo beside an API)."""

    def __init__(self, cache: ApiDirectoryCache, tenant_id: int, issuer: str) -> None:
        self.cache = cache
        self.tenant_id = tenant_id
        self.issuer = ApiRecord(identifier=issuer, name="authserver (userinfo)",
                                scopes=frozenset(), builtin=True, open_to_all=True)

    def get(self, identifier: str) -> ApiRecord | None:
        if identifier == self.issuer.identifier:
            return self.issuer
        return self.cache.tenant(self.tenant_id).by_identifier.get(identifier)

    def scopes(self) -> frozenset[str]:
        return self.cache.tenant(self.tenant_id).all_scopes
