"""What an operator's operation needs from the running server, handed over explicitly.

Services read no settings and build no runtime, so the CLI (and the admin API after it)
builds one :class:`AdminContext` from the runtime and passes it to the operations in
``services/*_admin.py``. Each of those runs one unit of work and owns its audit records
and the cache invalidation its change needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from authserver.services.api_directory import ApiDirectoryCache
from authserver.services.audit_spool import AuditSpool
from authserver.services.keys import KeyTiming
from authserver.services.passwords import Passwords
from authserver.services.refresh_limits import RefreshLimits
from authserver.services.session_limits import SessionLimits
from authserver.storage.database import Database


class TenantCache(Protocol):
    """A per-tenant cache (client directory, key ring) that must forget a tenant's
    entries once a change to them has committed."""

    def invalidate(self, tenant_id: int | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class AdminContext:
    """The server's long-lived parts an admin operation reads, and who is acting."""

    database: Database
    master_key: bytes
    key_timing: KeyTiming
    clock: Callable[[], dt.datetime]
    # The REFRESH_TOKEN_* settings: tenant and client limits must fit inside them.
    refresh_limits: RefreshLimits
    # The JWKS_URI_ALLOW_PRIVATE development setting.
    allow_private_jwks_uri: bool
    clients: TenantCache
    keyring: TenantCache
    # The runtime's hasher: users created or given a password get the ARGON2_* cost.
    passwords: Passwords
    # Recorded as the actor of every audit record the operation writes.
    actor: str
    # The tenant directory: forgets tenants' settings (sign-in policy …) once changed.
    tenants: TenantCache | None = None
    # The SESSION_* settings: a tenant's own session limits must fit with them.
    session_limits: SessionLimits | None = None
    # This process's audit spool: shipped before the audit log is read (audit_log.py).
    audit_spool: AuditSpool | None = None
    # The tenants' APIs and the access-group catalogue (services/api_directory.py):
    # forgets a tenant's APIs once they change.
    apis: ApiDirectoryCache | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self.database.session() as session:
            yield session
