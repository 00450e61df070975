"""What the protocol layer needs from the outside world, as small typed interfaces.

One small ``typing.Protocol`` per need, each declared for the code that uses it (the
fosite habit), so a fake implements only what the code under test calls; the services
implement them over storage (one object may implement several). Records crossing this
boundary are in ``records``, outcomes in ``outcomes``. Everything is re-exported here.
"""

from __future__ import annotations

from authserver.protocol.ports.access_tokens import AccessTokenState
from authserver.protocol.ports.apis import ApiDirectory, NoApis
from authserver.protocol.ports.assertions import AssertionReplayGuard
from authserver.protocol.ports.audit import AuditTrail
from authserver.protocol.ports.clients import ClientDirectory, ClientThrottle
from authserver.protocol.ports.clock import Clock
from authserver.protocol.ports.codes import CodeRedemption, CodeStorage
from authserver.protocol.ports.grants import GrantRevocation
from authserver.protocol.ports.issuance import IssuanceStore
from authserver.protocol.ports.keys import SigningKeys
from authserver.protocol.ports.outcomes import CodeStatus, IssuanceOutcome, RefreshStatus
from authserver.protocol.ports.records import (
    ApiRecord,
    ClientRecord,
    CodeRecord,
    GrantRecord,
    Issuance,
    UserRecord,
)
from authserver.protocol.ports.refresh_tokens import RefreshTokens
from authserver.protocol.ports.users import UserDirectory

__all__ = [
    "AccessTokenState",
    "ApiDirectory",
    "ApiRecord",
    "AssertionReplayGuard",
    "AuditTrail",
    "ClientDirectory",
    "ClientRecord",
    "ClientThrottle",
    "Clock",
    "CodeRecord",
    "CodeRedemption",
    "CodeStatus",
    "CodeStorage",
    "GrantRecord",
    "GrantRevocation",
    "Issuance",
    "IssuanceOutcome",
    "IssuanceStore",
    "NoApis",
    "RefreshStatus",
    "RefreshTokens",
    "SigningKeys",
    "UserDirectory",
    "UserRecord",
]
