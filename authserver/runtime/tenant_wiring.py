"""Per-tenant protocol objects (context and Authlib server), built once and reused."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING

from authserver.protocol.context import TenantContext
from authserver.protocol.server import TokenServer
from authserver.protocol.tokens import Lifetimes
from authserver.services.api_directory import TenantApiDirectory
from authserver.services.audit_spool import TenantAuditTrail
from authserver.services.client_directory import TenantClients
from authserver.services.keyring import TenantKeys
from authserver.services.oauth_store import (
    TenantAssertionGuard,
    TenantTokens,
    TenantUserClaims,
    TenantUsers,
)
from authserver.services.session_limits import SessionLimits
from authserver.services.tenants import TenantInfo
from authserver.services.throttle import TenantClientThrottle

if TYPE_CHECKING:
    # For annotations only: the runtime builds its wiring, so a real import is a cycle.
    from authserver.runtime import Runtime


class TenantWiring:
    """Each tenant's protocol context and token server, cached per TenantInfo."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Keyed by the whole TenantInfo: when a tenant's settings change (seen through the
        # tenant directory's TTL), its protocol objects are rebuilt.
        self._servers: dict[TenantInfo, TokenServer] = {}
        self._lock = threading.Lock()

    def server(self, tenant: TenantInfo) -> TokenServer:
        server = self._servers.get(tenant)
        if server is None:
            with self._lock:
                server = self._servers.get(tenant)
                if server is None:
                    stale = [t for t in self._servers if t.id == tenant.id]
                    for old in stale:
                        del self._servers[old]
                    server = self._servers[tenant] = TokenServer(self._context(tenant))
        return server

    def context(self, tenant: TenantInfo) -> TenantContext:
        return self.server(tenant).ctx

    def _context(self, tenant: TenantInfo) -> TenantContext:
        rt = self.runtime
        s = rt.settings
        db = rt.database
        tokens = token_store(rt, tenant.id, rt.session_limits(tenant))
        return TenantContext(
            issuer=rt.issuer(tenant.slug),
            clients=TenantClients(rt.clients, tenant.id),
            keys=TenantKeys(rt.keyring, tenant.id),
            users=TenantUsers(db, tenant.id),
            code_storage=tokens, code_redemption=tokens, issuance=tokens,
            refresh_tokens=tokens, grant_revocation=tokens, access_tokens=tokens,
            replay_guard=TenantAssertionGuard(db, tenant.id),
            lifetimes=Lifetimes(s.access_token_ttl, s.id_token_ttl, s.refresh_token_idle_ttl,
                                s.refresh_token_absolute_ttl),
            clock=rt.clock,
            client_throttle=TenantClientThrottle(rt.throttle, tenant.id),
            tenant_refresh_idle=tenant.refresh_token_idle_ttl,
            tenant_refresh_absolute=tenant.refresh_token_absolute_ttl,
            client_assertion_max_lifetime=dt.timedelta(
                seconds=s.client_assertion_max_lifetime),
            factor_policy=tenant.factor_policy,
            user_claims=TenantUserClaims(db, tenant.id),
            audit=TenantAuditTrail(rt.audit_spool, tenant.id),
            apis=TenantApiDirectory(rt.apis, tenant.id, rt.issuer(tenant.slug)),
        )


def token_store(rt: Runtime, tenant_id: int,
                limits: SessionLimits | None = None) -> TenantTokens:
    """One tenant's token store: the one its protocol context uses (with the tenant's
    session limits), and `db purge` too (which reads each tenant's own from its row)."""
    s = rt.settings
    limits = limits or SessionLimits(s.session_idle_ttl, s.session_absolute_ttl)
    return TenantTokens(rt.database, tenant_id, limits.idle_delta, limits.absolute_delta,
                        dt.timedelta(seconds=s.access_token_ttl))
