"""Storing a token response: what the code and refresh grants need once tokens are minted."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from authserver.protocol.ports.outcomes import IssuanceOutcome
from authserver.protocol.ports.records import Issuance


class IssuanceStore(Protocol):
    def persist_issuance(self, issuance: Issuance, now: dt.datetime) -> IssuanceOutcome:
        """Store a token response in one transaction: ``OK``; ``CODE_REPLAYED`` (stored,
        but the grant is revoked because a replay of its code was seen meanwhile);
        ``REFRESH_SPENT`` (nothing stored: a concurrent request rotated the token
        first); or ``USER_DISABLED`` (nothing stored: the user of a new grant was
        disabled or deleted after the code was checked)."""
        ...
