"""Authorization codes: stored by the authorization endpoint, redeemed by the code grant.

Codes are keyed by their digest, never the raw value (fosite's habit).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from authserver.protocol.ports.outcomes import CodeStatus
from authserver.protocol.ports.records import CodeRecord


class CodeStorage(Protocol):
    """What minting a code needs (the authorization endpoint)."""

    def save_code(self, code: CodeRecord) -> None: ...


class CodeRedemption(Protocol):
    """What the authorization code grant needs (RFC 6749 §4.1.2, §4.1.3)."""

    def redeem_code(self, code_digest: str, now: dt.datetime
                    ) -> tuple[CodeRecord | None, CodeStatus]:
        """Burn the code atomically: exactly one concurrent caller gets ``OK``; later
        ones get ``USED`` (with the record), and a code never stored ``UNKNOWN``."""
        ...

    def revoke_grant_of_code(self, code_digest: str, reason: str, now: dt.datetime) -> None:
        """A replay was seen: revoke the grant the code's first redemption created, or,
        if that grant is not stored yet, make sure it is born revoked."""
        ...
