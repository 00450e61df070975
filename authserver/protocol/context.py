"""Everything the protocol needs to serve one tenant, bundled once per tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from authserver.protocol.claim_mapping import UserClaimSource
from authserver.protocol.client_auth import DEFAULT_MAX_LIFETIME
from authserver.protocol.policies import PASSWORD_ALONE, FactorPolicy
from authserver.protocol.ports import (
    AccessTokenState,
    ApiDirectory,
    AssertionReplayGuard,
    AuditTrail,
    ClientDirectory,
    ClientRecord,
    ClientThrottle,
    Clock,
    CodeRedemption,
    CodeStorage,
    GrantRevocation,
    IssuanceStore,
    NoApis,
    RefreshTokens,
    SigningKeys,
    UserDirectory,
)
from authserver.protocol.tokens import Lifetimes, TokenMinter


@dataclass(frozen=True)
class RefreshLimits:
    idle: dt.timedelta
    absolute: dt.timedelta


@dataclass
class TenantContext:
    """One tenant's ports, each named for the need it serves; one storage-backed object
    may fill several of them (one token store fills the six token-side ones)."""

    issuer: str
    clients: ClientDirectory
    keys: SigningKeys
    users: UserDirectory
    code_storage: CodeStorage
    code_redemption: CodeRedemption
    issuance: IssuanceStore
    refresh_tokens: RefreshTokens
    grant_revocation: GrantRevocation
    access_tokens: AccessTokenState
    replay_guard: AssertionReplayGuard
    lifetimes: Lifetimes
    clock: Clock
    client_throttle: ClientThrottle | None = None
    tenant_refresh_idle: int | None = None
    tenant_refresh_absolute: int | None = None
    # How far in the future a private_key_jwt assertion's exp may lie (settings).
    client_assertion_max_lifetime: dt.timedelta = DEFAULT_MAX_LIFETIME
    # How strongly this tenant's people must sign in (protocol/policies.py).
    factor_policy: FactorPolicy = PASSWORD_ALONE
    # Roles and attributes for clients whose claim mapping asks for them.
    user_claims: UserClaimSource | None = None
    # Where token-endpoint events that write nothing else are recorded (client
    # credentials issuance, refused requests); None records nothing (unit tests).
    audit: AuditTrail | None = None
    # The tenant's APIs: the audiences its tokens may have (protocol/audience.py).
    apis: ApiDirectory = field(default_factory=NoApis)

    def __post_init__(self) -> None:
        self.minter = TokenMinter(self.issuer, self.keys, self.lifetimes)

    def record(self, actor: str, action: str, target: str | None, **details: object) -> None:
        if self.audit is not None:
            self.audit.record(actor, action, target, **details)

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    def refresh_limits(self, client: ClientRecord) -> RefreshLimits:
        """Client setting, else tenant setting, else the global default."""
        idle = (client.refresh_token_idle_ttl or self.tenant_refresh_idle
                or self.lifetimes.refresh_idle)
        absolute = (client.refresh_token_absolute_ttl or self.tenant_refresh_absolute
                    or self.lifetimes.refresh_absolute)
        return RefreshLimits(dt.timedelta(seconds=min(idle, absolute)),
                             dt.timedelta(seconds=absolute))
