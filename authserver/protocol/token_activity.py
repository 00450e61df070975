"""Whether an access token we issued is active: the one decision behind introspection
(RFC 7662 §2.2 "active") and the UserInfo endpoint (OIDC Core §5.3, RFC 6750 §3.1).

A token is *valid* when it is an unexpired RFC 9068 access token signed by this tenant's
keys for this issuer (and, where the caller names one, for its audience). A valid token
is *active* unless it was revoked (RFC 7009), or it was issued to a person and its grant
is no longer live (revoked, expired, its login session ended, its user disabled or gone:
RFC 9700 §4.14) or its user can no longer sign in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from authserver.protocol.access_tokens import verified_claims
from authserver.protocol.context import TenantContext
from authserver.protocol.ports import GrantRecord, UserRecord


class Activity(Enum):
    ACTIVE = "active"
    # Not a valid token of ours, or not for this audience (RFC 6750 §3.1 invalid_token).
    INVALID = "invalid"
    # Valid, but revoked, or its grant or user is no longer live.
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class TokenActivity:
    state: Activity
    # The verified claims: set unless the token is INVALID.
    claims: Mapping[str, Any] | None = None
    # For an ACTIVE token issued to a person: the grant behind it and its user.
    grant: GrantRecord | None = None
    user: UserRecord | None = None

    @property
    def active(self) -> bool:
        return self.state is Activity.ACTIVE


def _for_audience(claims: Mapping[str, Any], audience: str) -> bool:
    aud = claims.get("aud")
    return audience in (aud if isinstance(aud, list) else [aud])


def is_user_token(claims: Mapping[str, Any]) -> bool:
    """Issued to a person: only user tokens carry the RFC 9068 §2.2.1 auth_time."""
    return "auth_time" in claims


def access_token_activity(ctx: TenantContext, token: str, now: dt.datetime, *,
                          audience: str | None = None,
                          user_required: bool = False) -> TokenActivity:
    """Decide whether ``token`` is active. ``audience``: the token must be for it;
    ``user_required``: a client's own token (client credentials) counts as inactive."""
    claims = verified_claims(ctx, token)
    if claims is None or (audience is not None and not _for_audience(claims, audience)):
        return TokenActivity(Activity.INVALID)
    inactive = TokenActivity(Activity.INACTIVE, claims)
    if ctx.access_tokens.is_access_token_revoked(claims["jti"]):
        return inactive
    if not is_user_token(claims):
        # Client credentials: no grant, no user; only revocation ends it before exp.
        return inactive if user_required else TokenActivity(Activity.ACTIVE, claims)
    grant = ctx.access_tokens.access_token_grant(claims["jti"], now)
    if grant is None:
        return inactive
    user = ctx.users.by_sub(claims["sub"]) if isinstance(claims.get("sub"), str) else None
    if user is None or user.disabled or user.id != grant.user_id:
        return inactive
    return TokenActivity(Activity.ACTIVE, claims, grant, user)
