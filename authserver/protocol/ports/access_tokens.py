"""State kept about issued access tokens: what revocation, introspection and userinfo need.

Access tokens are self-contained JWTs; the database only knows the grant behind a user
token (by ``jti``) and which tokens were revoked before they expire.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from authserver.protocol.ports.records import GrantRecord


class AccessTokenState(Protocol):
    def access_token_grant_live(self, jti: str, now: dt.datetime) -> bool | None:
        """None if ``jti`` is not a user token; else whether its grant is still live."""
        ...

    def access_token_grant(self, jti: str, now: dt.datetime) -> GrantRecord | None:
        """The live grant behind a user access token; None if absent or no longer live."""
        ...

    def revoke_access_token(self, jti: str, expires_at: dt.datetime,
                            client_id: str | None = None) -> None:
        """Remember ``jti`` as revoked until ``expires_at``; revoking twice is fine.
        ``client_id``: who revoked it (the audit record's actor)."""
        ...

    def is_access_token_revoked(self, jti: str) -> bool: ...
