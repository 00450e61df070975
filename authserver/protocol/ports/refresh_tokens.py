"""Refresh tokens: what the refresh grant, introspection and revocation need."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from authserver.protocol.ports.outcomes import RefreshStatus
from authserver.protocol.ports.records import GrantRecord


class RefreshTokens(Protocol):
    def find_refresh_token(self, digest: str, now: dt.datetime
                           ) -> tuple[GrantRecord | None, RefreshStatus]:
        """The token's grant and what state the token is in; writes nothing."""
        ...

    def refresh_token_expires_at(self, digest: str) -> dt.datetime | None:
        """When the refresh token stops working if unused (its idle limit)."""
        ...

    def revoke_refresh_token(self, digest: str, client_id: str, now: dt.datetime) -> bool:
        """Revoke the token's whole grant (RFC 7009 §2.1) if ``client_id`` holds it."""
        ...
