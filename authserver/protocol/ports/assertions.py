"""What private_key_jwt client authentication needs against replays (RFC 7523 §3)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class AssertionReplayGuard(Protocol):
    def first_use(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
        """True the first time (client_id, jti) is seen; remembered until ``expires_at``
        (the caller passes the time after which the assertion no longer passes anyway)."""
        ...
