"""The one composition point: every long-lived object, shared by the app, the CLI and tests.

:func:`build_runtime` builds the database, master key, keyring, tenant directory, client
cache, throttle and clock, handing each one the database and clock it should use when it
is constructed; nothing is swapped in afterwards. Each tenant's protocol objects (context
and token server) come from :mod:`authserver.runtime.tenant_wiring`, through
:meth:`Runtime.protocol` and :meth:`Runtime.tenant_context`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from authserver.protocol.context import TenantContext
from authserver.protocol.server import TokenServer
from authserver.runtime.tenant_wiring import TenantWiring, token_store
from authserver.services.admin_context import AdminContext
from authserver.services.api_catalogue import Catalogue, CatalogueError, load_catalogue
from authserver.services.api_directory import ApiDirectoryCache
from authserver.services.audit_chain import AuditKeys, Stamp
from authserver.services.audit_spool import AuditSpool
from authserver.services.client_directory import ClientDirectoryCache
from authserver.services.keyring import KeyRing
from authserver.services.keys import KeyTiming
from authserver.services.master_key import load_master_key
from authserver.services.oauth_store import TenantTokens
from authserver.services.passwords import Argon2Parameters, Passwords
from authserver.services.refresh_limits import RefreshLimits
from authserver.services.senders import Senders, build_senders
from authserver.services.session_limits import SessionLimits
from authserver.services.tenant_admin import ensure_tenant
from authserver.services.tenants import DEFAULT_TENANT, TenantDirectory, TenantInfo
from authserver.services.throttle import Throttle
from authserver.settings import Settings, SettingsError, load_settings
from authserver.storage.database import Database
from authserver.storage.models import utcnow

__all__ = ["Runtime", "build_runtime", "ensure_default_tenant"]

Clock = Callable[[], dt.datetime]


@dataclass
class Runtime:
    settings: Settings
    database: Database
    master_key: bytes
    keyring: KeyRing
    tenants: TenantDirectory
    clients: ClientDirectoryCache
    throttle: Throttle
    passwords: Passwords
    # The tenants' APIs and the built-in access groups (services/api_directory.py).
    apis: ApiDirectoryCache
    clock: Clock = utcnow
    senders: Senders = field(default_factory=Senders)

    def __post_init__(self) -> None:
        self._tenant_wiring = TenantWiring(self)
        # Audit records: each one's MAC key (services/audit_chain.py), completed by the
        # database's stamp wherever they are written; the spool for the token path.
        self.audit_keys = AuditKeys(self.master_key, max(self.settings.key_cache_ttl, 30))
        self.database.audit_stamp = Stamp(self.audit_keys)
        self.audit_spool = AuditSpool(self.settings.audit_spool_path)

    @property
    def key_timing(self) -> KeyTiming:
        return KeyTiming.from_seconds(self.settings.key_publish_lead,
                                      self.settings.max_signed_token_ttl)

    def issuer(self, slug: str) -> str:
        return self.settings.issuer_for(slug)

    def protocol(self, tenant: TenantInfo) -> TokenServer:
        """The tenant's token server, built once per version of its settings."""
        return self._tenant_wiring.server(tenant)

    def tenant_context(self, tenant: TenantInfo) -> TenantContext:
        """Everything the protocol needs to serve ``tenant`` (the token server's context)."""
        return self._tenant_wiring.context(tenant)

    def token_store(self, tenant_id: int) -> TenantTokens:
        """The tenant's token store, wired as its protocol context wires it."""
        return token_store(self, tenant_id)

    def session_limits(self, tenant: TenantInfo) -> SessionLimits:
        """The SESSION_* settings, with ``tenant``'s own limits where it has them."""
        s = self.settings
        return SessionLimits(s.session_idle_ttl, s.session_absolute_ttl).for_tenant(
            tenant.session_idle_ttl, tenant.session_absolute_ttl)


def build_runtime(settings: Settings | None = None, *, database: Database | None = None,
                  clock: Clock | None = None, senders: Senders | None = None,
                  passwords: Passwords | None = None) -> Runtime:
    """Build the runtime from ``settings`` (loaded from the environment when None).

    ``database`` (default: one opened on ``settings.database_url``), ``clock`` (default:
    the wall clock), ``senders`` (default: :func:`build_senders` of the settings) and
    ``passwords`` (default: argon2id at the ARGON2_* settings) are handed to every object
    that uses them, so a test runtime is this same graph with its own database and clock.
    """
    settings = settings or load_settings()
    master_key = load_master_key(settings)
    if database is None:
        database = Database(settings.database_url)
    if clock is None:
        clock = utcnow
    catalogue = _catalogue(settings)
    return Runtime(
        settings=settings,
        database=database,
        master_key=master_key,
        keyring=KeyRing(database, master_key, settings.key_cache_ttl, clock),
        tenants=TenantDirectory(database, ttl_seconds=settings.key_cache_ttl),
        clients=ClientDirectoryCache(database, settings.client_cache_ttl,
                                     jwks_uri_allow_private=settings.jwks_uri_allow_private,
                                     clock=clock, catalogue=catalogue),
        throttle=Throttle(database, clock),
        passwords=passwords or Passwords(argon2_parameters(settings)),
        apis=ApiDirectoryCache(database, settings.client_cache_ttl, catalogue),
        clock=clock,
        senders=build_senders(settings) if senders is None else senders,
    )


def _catalogue(settings: Settings) -> Catalogue:
    try:
        return load_catalogue(settings.access_group_catalogue, settings.public_url)
    except CatalogueError as exc:
        raise SettingsError("ACCESS_GROUP_CATALOGUE", str(exc)) from None


def argon2_parameters(settings: Settings) -> Argon2Parameters:
    return Argon2Parameters(settings.argon2_memory_kib, settings.argon2_time_cost,
                            settings.argon2_parallelism)


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
        clients=runtime.clients, keyring=runtime.keyring, passwords=runtime.passwords,
        actor=actor, tenants=runtime.tenants, apis=runtime.apis,
        session_limits=SessionLimits(settings.session_idle_ttl, settings.session_absolute_ttl),
        audit_spool=runtime.audit_spool)


def ensure_default_tenant(runtime: Runtime, actor: str) -> bool:
    """Create the ``default`` tenant if missing; True when it was created."""
    return ensure_tenant(admin_context(runtime, actor), DEFAULT_TENANT, "Default")
