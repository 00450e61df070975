"""Repositories: every query for tenant-owned rows goes through one bound to a tenant.

One module per aggregate; every public name is re-exported here, so
``from authserver.storage.repositories import ClientRepository`` keeps working. Services
get them from a :class:`~authserver.storage.unit_of_work.UnitOfWork` (one transaction
shared by every repository it hands out).
"""

from __future__ import annotations

from authserver.storage.repositories.audit import AuditRepository
from authserver.storage.repositories.base import Repository, TenantScoped
from authserver.storage.repositories.clients import ClientRepository
from authserver.storage.repositories.consent import ConsentRepository
from authserver.storage.repositories.keys import SigningKeyRepository
from authserver.storage.repositories.recovery_codes import RecoveryCodeRepository
from authserver.storage.repositories.sessions import LoginSessionRepository
from authserver.storage.repositories.tenants import TenantRepository
from authserver.storage.repositories.throttle import ThrottleRepository
from authserver.storage.repositories.totp import TotpRepository
from authserver.storage.repositories.users import Ended, UserRepository

# The name the base class had before the split; repositories written against it still work.
_TenantScoped = TenantScoped

__all__ = [
    "AuditRepository",
    "ClientRepository",
    "ConsentRepository",
    "Ended",
    "LoginSessionRepository",
    "RecoveryCodeRepository",
    "Repository",
    "SigningKeyRepository",
    "TenantRepository",
    "TenantScoped",
    "ThrottleRepository",
    "TotpRepository",
    "UserRepository",
]
