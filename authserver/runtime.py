"""The non-web object graph (settings, database, keys, caches), shared by app and CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from authserver.services.admin_context import AdminContext
from authserver.services.client_directory import ClientDirectoryCache
from authserver.services.keyring import KeyRing
from authserver.services.keys import KeyTiming
from authserver.services.master_key import load_master_key
from authserver.services.refresh_limits import RefreshLimits
from authserver.services.tenant_admin import ensure_tenant
from authserver.services.tenants import DEFAULT_TENANT, TenantDirectory
from authserver.services.throttle import Throttle
from authserver.settings import Settings, load_settings
from authserver.storage.database import Database
from authserver.storage.models import utcnow


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


def admin_context(runtime: Runtime, actor: str) -> AdminContext:
    """What the operator operations (services/*_admin.py) need, for ``actor``: the CLI
    and the admin API call them with this."""
    settings = runtime.settings
    return AdminContext(
        database=runtime.database, master_key=runtime.master_key,
        key_timing=runtime.key_timing, clock=runtime.clock,
        refresh_limits=RefreshLimits(settings.refresh_token_idle_ttl,
                                     settings.refresh_token_absolute_ttl),
        allow_private_jwks_uri=settings.jwks_uri_allow_private,
        clients=runtime.clients, keyring=runtime.keyring, actor=actor)


def ensure_default_tenant(runtime: Runtime, actor: str) -> bool:
    """Create the ``default`` tenant if missing; True when it was created."""
    return ensure_tenant(admin_context(runtime, actor), DEFAULT_TENANT, "Default")
