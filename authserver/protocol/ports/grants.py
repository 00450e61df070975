"""Revoking a whole grant: what refresh-token reuse detection needs (RFC 9700 §4.14.2)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class GrantRevocation(Protocol):
    def revoke_grant(self, grant_id: str, reason: str, now: dt.datetime) -> None:
        """Revoke the grant and everything issued from it; audited, idempotent."""
        ...
