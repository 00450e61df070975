"""Named outcomes of the stateful token operations, instead of bare strings.

The values are the words the audit log and the warnings have always used.
"""

from __future__ import annotations

import enum


class CodeStatus(enum.Enum):
    """What redeeming an authorization code found."""

    OK = "ok"  # this call burned it: the one redemption that may issue tokens
    USED = "used"  # burned before: a replay (RFC 6749 §4.1.2)
    UNKNOWN = "unknown"  # no such code for this tenant


class RefreshStatus(enum.Enum):
    """What looking up a refresh token found (RFC 9700 §4.14.2)."""

    OK = "ok"
    REUSED = "reused"  # spent by an earlier rotation: two parties hold it
    EXPIRED = "expired"  # past its idle limit or its grant's absolute limit
    REVOKED = "revoked"  # its grant was revoked, or its user or sign-in session ended
    UNKNOWN = "unknown"


class IssuanceOutcome(enum.Enum):
    """What storing one token response did (see IssuanceStore.persist_issuance)."""

    OK = "ok"
    CODE_REPLAYED = "code_replayed"  # stored, but the grant was born revoked
    REFRESH_SPENT = "refresh_spent"  # nothing stored: a concurrent rotation won
    USER_DISABLED = "user_disabled"  # nothing stored: the user went away meanwhile
