"""In-process cache of registered clients, so the token endpoint runs no query.

Entries live ``ttl`` seconds (CLIENT_CACHE_TTL); the process that changes a client
invalidates at once, others see the change within the TTL. Misses are cached too, so a
flood of unknown client_ids costs one query per id per TTL, and the cache is bounded.

A client's record carries the APIs and scopes it is allowed (direct grants and access
groups, services/api_directory.py), read in the same unit of work as the client.

Beside the clients it keeps each tenant's set of registered web origins, which a CORS
preflight (no client identity yet) is checked against; same TTL, same invalidation.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from authserver.protocol.ports import ClientRecord
from authserver.services.api_catalogue import Catalogue
from authserver.services.api_directory import client_permissions
from authserver.services.clients import secret_digest_matches
from authserver.services.remote_jwks import Transport, fetch_jwks, https_transport
from authserver.storage.database import Database
from authserver.storage.models import Client

MAX_ENTRIES = 50_000


def client_record(row: Client) -> ClientRecord:
    return ClientRecord(
        client_id=row.client_id, name=row.name, is_public=row.is_public,
        secret_digest=row.secret_digest, token_endpoint_auth_method=row.token_endpoint_auth_method,
        grant_types=tuple(row.grant_types), redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        allowed_scopes=tuple(row.allowed_scopes), first_party=row.first_party,
        require_pkce=row.require_pkce, require_state=row.require_state,
        id_token_signed_response_alg=row.id_token_signed_response_alg,
        access_token_signed_response_alg=row.access_token_signed_response_alg,
        jwks=row.jwks,
        refresh_token_idle_ttl=row.refresh_token_idle_ttl,
        refresh_token_absolute_ttl=row.refresh_token_absolute_ttl,
        web_origins=tuple(row.web_origins or ()), application_type=row.application_type,
        secret_checker=secret_digest_matches,
    )


class ClientDirectoryCache:
    def __init__(self, database: Database, ttl_seconds: float,
                 jwks_uri_allow_private: bool = False,
                 jwks_transport: Transport = https_transport,
                 catalogue: Catalogue | None = None) -> None:
        self.database = database
        # None: no API permissions are loaded (every client is allowed no API).
        self.catalogue = catalogue
        self.ttl = ttl_seconds
        self.jwks_uri_allow_private = jwks_uri_allow_private
        self.jwks_transport = jwks_transport
        self._entries: dict[tuple[int, str], tuple[float, ClientRecord | None]] = {}
        self._origins: dict[int, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: int, client_id: str) -> ClientRecord | None:
        key = (tenant_id, client_id)
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if len(client_id) > 64 or "\x00" in client_id:
            return None
        with self.database.unit_of_work() as uow:
            row = uow.clients(tenant_id).get(client_id)
            record = client_record(row) if row else None
            if record is not None and row is not None and self.catalogue is not None:
                record = dataclasses.replace(record, api_permissions=client_permissions(
                    uow.session, tenant_id, row.id, self.catalogue))
            jwks_uri = row.jwks_uri if row is not None and not row.jwks else None
        if record is not None and jwks_uri:
            # Fetched after the database session is closed: a slow endpoint must not hold
            # a pooled connection.
            jwks = fetch_jwks(jwks_uri, allow_private=self.jwks_uri_allow_private,
                              transport=self.jwks_transport)
            record = dataclasses.replace(record, jwks=jwks)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, record)
        return record

    def tenant_origins(self, tenant_id: int) -> frozenset[str]:
        """The web origins registered by any client of the tenant (one query per TTL; the
        number of tenants bounds this cache, and only existing tenants reach it)."""
        hit = self._origins.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self.database.unit_of_work() as uow:
            origins = uow.clients(tenant_id).web_origins()
        with self._lock:
            self._origins[tenant_id] = (time.monotonic() + self.ttl, origins)
        return origins

    def invalidate(self, tenant_id: int | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._entries.clear()
                self._origins.clear()
            else:
                for key in [k for k in self._entries if k[0] == tenant_id]:
                    del self._entries[key]
                self._origins.pop(tenant_id, None)


class TenantClients:
    """The ClientDirectory port for one tenant."""

    def __init__(self, cache: ClientDirectoryCache, tenant_id: int) -> None:
        self.cache = cache
        self.tenant_id = tenant_id

    def get(self, client_id: str) -> ClientRecord | None:
        return self.cache.get(self.tenant_id, client_id)
