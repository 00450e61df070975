"""SQLAlchemy 2 typed models: the schema of record (migrations/ must agree with it).

One module per aggregate; every name is re-exported here, so ``Base.metadata`` (which
Alembic reads) holds every table once this package is imported.

Every tenant-owned table carries ``tenant_id`` and its natural keys are unique per
tenant, so two tenants can hold a client or user with the same identifier without
ever seeing each other's rows. Secrets appear only as digests or ciphertexts.
"""

from __future__ import annotations

from authserver.storage.models.account_tokens import AccountToken, PasswordHistoryEntry
from authserver.storage.models.apis import (
    AccessGroup,
    ApiResource,
    ClientAccessGroup,
    ClientApiGrant,
    TenantAccessDefaults,
)
from authserver.storage.models.audit import AuditChainHead, AuditEvent
from authserver.storage.models.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from authserver.storage.models.clients import Client
from authserver.storage.models.consent import Consent
from authserver.storage.models.factors import (
    MagicLink,
    OneTimeCode,
    RecoveryCode,
    TotpCredential,
    WebAuthnCredential,
)
from authserver.storage.models.interactions import PendingInteraction
from authserver.storage.models.keys import SigningKey
from authserver.storage.models.outbox import OutboxMessage
from authserver.storage.models.registration import (
    ClientRegistration,
    InitialAccessToken,
    SoftwareStatementIssuer,
)
from authserver.storage.models.roles import (
    Role,
    UserAttribute,
    UserGroup,
    UserGroupMember,
    UserGroupRole,
    UserRole,
)
from authserver.storage.models.sessions import LoginSession
from authserver.storage.models.tenants import Tenant
from authserver.storage.models.throttle import ThrottleBucket
from authserver.storage.models.tokens import (
    AuthorizationCode,
    Grant,
    IssuedAccessToken,
    RefreshToken,
    RevokedToken,
    UsedAssertion,
)
from authserver.storage.models.users import User
from authserver.storage.models.webauthn_challenges import WebAuthnChallenge

__all__ = [
    "NAMING_CONVENTION",
    "AccessGroup",
    "AccountToken",
    "ApiResource",
    "AuditChainHead",
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "Client",
    "ClientAccessGroup",
    "ClientApiGrant",
    "ClientRegistration",
    "Consent",
    "Grant",
    "InitialAccessToken",
    "IssuedAccessToken",
    "LoginSession",
    "MagicLink",
    "OneTimeCode",
    "OutboxMessage",
    "PasswordHistoryEntry",
    "PendingInteraction",
    "RecoveryCode",
    "RefreshToken",
    "RevokedToken",
    "Role",
    "SigningKey",
    "SoftwareStatementIssuer",
    "Tenant",
    "TenantAccessDefaults",
    "ThrottleBucket",
    "TotpCredential",
    "UTCDateTime",
    "UsedAssertion",
    "User",
    "UserAttribute",
    "UserGroup",
    "UserGroupMember",
    "UserGroupRole",
    "UserRole",
    "WebAuthnChallenge",
    "WebAuthnCredential",
    "utcnow",
]
