"""The non-web object graph (settings, database, keys, caches), shared by app and CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from authserver.services.client_directory import ClientDirectoryCache
from authserver.services.errors import Conflict
from authserver.services.keyring import KeyRing
from authserver.services.keys import KeyTiming
from authserver.services.master_key import load_master_key
from authserver.services.tenants import DEFAULT_TENANT, TenantDirectory, create_tenant
from authserver.services.throttle import Throttle
from authserver.settings import Settings, load_settings
from authserver.storage.database import Database
from authserver.storage.models import utcnow
from authserver.storage.repositories import TenantRepository


@dataclass
class Runtime:
    settings: Settings
    database: Database
    master_key: bytes
    keyring: KeyRing
    tenants: TenantDirectory
    clients: ClientDirectoryCache
    throttle: Throttle
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def key_timing(self) -> KeyTiming:
        return KeyTiming.from_seconds(self.settings.key_publish_lead,
                                      self.settings.max_signed_token_ttl)

    def issuer(self, slug: str) -> str:
        return self.settings.issuer_for(slug)


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    master_key = load_master_key(settings)
    database = Database(settings.database_url)
    return Runtime(
        settings=settings,
        database=database,
        master_key=master_key,
        keyring=KeyRing(database, master_key, settings.key_cache_ttl),
        tenants=TenantDirectory(database, ttl_seconds=settings.key_cache_ttl),
        clients=ClientDirectoryCache(database, settings.client_cache_ttl,
                                     jwks_uri_allow_private=settings.jwks_uri_allow_private),
        throttle=Throttle(database),
    )


def ensure_default_tenant(runtime: Runtime, actor: str) -> bool:
    """Create the ``default`` tenant if missing; True when it was created."""
    try:
        with runtime.database.session() as session:
            if TenantRepository(session).by_slug(DEFAULT_TENANT) is not None:
                return False
            create_tenant(session, runtime.master_key, runtime.key_timing, DEFAULT_TENANT,
                          "Default", actor, runtime.clock())
            return True
    except (IntegrityError, Conflict):
        # Another `db upgrade` (say, a second replica starting) created it first: seen as
        # the unique constraint when both insert, or as create_tenant's own existence
        # check when the other commits between our look-up and that check.
        return False
