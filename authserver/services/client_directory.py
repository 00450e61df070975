"""In-process cache of registered clients, so the token endpoint runs no query.

Entries live ``ttl`` seconds (CLIENT_CACHE_TTL); the process that changes a client
invalidates at once, others see the change within the TTL. Misses are cached too, so a
flood of unknown client_ids costs one query per id per TTL, and the cache is bounded.

A client's record carries the APIs and scopes it is allowed (direct grants and access
groups, services/api_directory.py), read in the same unit of work as the client.

Beside the clients it keeps each tenant's set of registered web origins, which a CORS
preflight (no client identity yet) is checked against; same TTL, same invalidation.

Secrets that end at an instant (a rotation's overlap, an expiring secret) are dropped
from the cached record at that instant by the runtime's clock, not when the entry is
next refetched: ending an old secret costs no query, and waits for no TTL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from authserver.protocol.claim_mapping import mapping_from_json
from authserver.protocol.ports import ClientRecord
from authserver.services.api_catalogue import Catalogue
from authserver.services.api_directory import client_permissions
from authserver.services.client_secrets import SecretColumns, live_digests
from authserver.services.clients import secret_digest_matches
from authserver.services.remote_jwks import Transport, fetch_jwks, https_transport
from authserver.storage.database import Database
from authserver.storage.models import Client, utcnow

MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class _Entry:
    fresh_until: float  # time.monotonic(): the TTL
    record: ClientRecord | None  # with only the secrets live when it was made
    secrets: SecretColumns | None  # set when a secret ends at some instant
    changes_at: dt.datetime | None  # the runtime clock's instant the record goes stale


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
        claim_mapping=mapping_from_json(row.claim_mapping),
        secret_checker=secret_digest_matches, previous_secret_digest=row.previous_secret_digest,
    )


def _entry(fresh_until: float, record: ClientRecord | None, columns: SecretColumns | None,
           now: dt.datetime) -> _Entry:
    """The entry for ``record`` at ``now``: its digests those live then."""
    if record is None or columns is None:
        return _Entry(fresh_until, record, None, None)
    live = live_digests(columns, now)
    record = dataclasses.replace(record, secret_digest=live.current,
                                 previous_secret_digest=live.previous)
    return _Entry(fresh_until, record, columns if live.changes_at else None, live.changes_at)


def _timed(row: Client) -> SecretColumns | None:
    if (row.secret_expires_at is None and row.previous_secret_digest is None
            and row.previous_secret_expires_at is None):
        return None
    return SecretColumns.of(row)


class ClientDirectoryCache:
    def __init__(self, database: Database, ttl_seconds: float,
                 jwks_uri_allow_private: bool = False,
                 jwks_transport: Transport = https_transport,
                 clock: Callable[[], dt.datetime] = utcnow,
                 catalogue: Catalogue | None = None) -> None:
        self.database = database
        # None: no API permissions are loaded (every client is allowed no API).
        self.catalogue = catalogue
        self.ttl = ttl_seconds
        self.clock = clock
        self.jwks_uri_allow_private = jwks_uri_allow_private
        self.jwks_transport = jwks_transport
        self._entries: dict[tuple[int, str], _Entry] = {}
        self._origins: dict[int, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: int, client_id: str) -> ClientRecord | None:
        key = (tenant_id, client_id)
        hit = self._entries.get(key)
        if hit is not None and hit.fresh_until > time.monotonic():
            if hit.changes_at is None:
                return hit.record
            now = self.clock()
            if now < hit.changes_at:
                return hit.record
            # A secret ended since: drop it now, without a query.
            entry = _entry(hit.fresh_until, hit.record, hit.secrets, now)
            self._entries[key] = entry
            return entry.record
        if len(client_id) > 64 or "\x00" in client_id:
            return None
        with self.database.unit_of_work() as uow:
            row = uow.clients(tenant_id).get(client_id)
            record = client_record(row) if row else None
            columns = _timed(row) if row else None
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
            entry = _entry(time.monotonic() + self.ttl, record, columns, self.clock())
            self._entries[key] = entry
        return entry.record

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
