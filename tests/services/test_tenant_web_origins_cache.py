"""The per-tenant set of registered web origins that CORS preflights are checked against:
every client's origins, only this tenant's, cached for CLIENT_CACHE_TTL like the clients
themselves, and dropped when the client cache is invalidated."""

from __future__ import annotations

from collections.abc import Sequence

from authserver.runtime import Runtime
from authserver.services.client_directory import ClientDirectoryCache
from authserver.services.clients import ClientSpec, register_client
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository, TenantRepository


def add(runtime: Runtime, slug: str, client_id: str, origins: Sequence[str]) -> int:
    with runtime.database.session() as session:
        tenant = TenantRepository(session).by_slug(slug) or create_tenant(
            session, runtime.master_key, runtime.key_timing, slug, slug, "test", runtime.clock())
        register_client(ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
                        ClientSpec(name=client_id, client_id=client_id, public=True,
                                   redirect_uris=("https://app.example/cb",),
                                   web_origins=tuple(origins)), "test")
        return int(tenant.id)


def test_the_set_is_every_origin_any_client_of_the_tenant_registered(runtime: Runtime) -> None:
    acme = add(runtime, "acme", "one", ["https://one.example", "http://localhost:5173"])
    add(runtime, "acme", "two", ["https://two.example", "https://one.example"])
    add(runtime, "acme", "none", [])
    globex = add(runtime, "globex", "three", ["https://three.example"])
    cache = ClientDirectoryCache(runtime.database, ttl_seconds=30)
    assert cache.tenant_origins(acme) == {"https://one.example", "http://localhost:5173",
                                          "https://two.example"}
    assert cache.tenant_origins(globex) == {"https://three.example"}, "tenants never mix"


def test_the_set_is_cached_until_the_client_cache_is_invalidated(runtime: Runtime) -> None:
    acme = add(runtime, "acme", "one", ["https://one.example"])
    cache = ClientDirectoryCache(runtime.database, ttl_seconds=3600)
    assert cache.tenant_origins(acme) == {"https://one.example"}
    add(runtime, "acme", "two", ["https://two.example"])
    assert cache.tenant_origins(acme) == {"https://one.example"}, "served from the cache"
    cache.invalidate(acme)
    assert cache.tenant_origins(acme) == {"https://one.example", "https://two.example"}
    add(runtime, "acme", "three", ["https://three.example"])
    cache.invalidate()
    assert "https://three.example" in cache.tenant_origins(acme), "invalidate() clears all"


def test_the_set_expires_with_the_client_cache_ttl(runtime: Runtime) -> None:
    acme = add(runtime, "acme", "one", ["https://one.example"])
    cache = ClientDirectoryCache(runtime.database, ttl_seconds=0)
    assert cache.tenant_origins(acme) == {"https://one.example"}
    add(runtime, "acme", "two", ["https://two.example"])
    assert "https://two.example" in cache.tenant_origins(acme), "a 0 s TTL caches nothing"
