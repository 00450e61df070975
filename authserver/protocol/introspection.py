"""Token introspection (RFC 7662): which tokens are active, for confidential clients.

RFC 7662 §4: a token is described only to the client it was issued to, or to a client
acting as the resource server of one of its audiences (an API names those clients); to
anyone else it is ``{"active": false}``, so introspection tells no client about another
client's tokens. A refresh token is described to its own client only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authserver.protocol.access_tokens import looks_like_jwt, token_parameter
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import InvalidClientError
from authserver.protocol.ports import ClientRecord, RefreshStatus
from authserver.protocol.token_activity import access_token_activity
from authserver.protocol.tokens import digest

INACTIVE: dict[str, Any] = {"active": False}
_JWT_FIELDS = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti",
               "auth_time", "acr")


def may_introspect(ctx: TenantContext, caller: ClientRecord, claims: Mapping[str, Any]) -> bool:
    """Whether ``caller`` may learn about an access token with these claims."""
    if claims.get("client_id") == caller.client_id:
        return True
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    for identifier in audiences:
        api = ctx.apis.get(identifier) if isinstance(identifier, str) else None
        if api is not None and caller.client_id in api.introspection_clients:
            return True
    return False


def introspect(ctx: TenantContext, client: ClientRecord, form: Mapping[str, str]
               ) -> dict[str, Any]:
    if client.is_public:
        # RFC 7662 §2.1: the endpoint must be protected; public clients prove nothing.
        raise InvalidClientError(description="Public clients may not introspect tokens.")
    token = token_parameter(form)
    now = ctx.clock()
    if looks_like_jwt(token):
        activity = access_token_activity(ctx, token, now)
        if not activity.active or activity.claims is None:
            return dict(INACTIVE)
        claims = activity.claims
        if not may_introspect(ctx, client, claims):
            return dict(INACTIVE)
        body = {"active": True, "token_type": "Bearer"}
        body.update({k: claims[k] for k in _JWT_FIELDS if k in claims})
        return body
    grant, status = ctx.refresh_tokens.find_refresh_token(digest(token), now)
    # A refresh token is only described to the client that holds it.
    if grant is None or status is not RefreshStatus.OK or grant.client_id != client.client_id:
        return dict(INACTIVE)
    user = ctx.users.by_id(grant.user_id)
    if user is None:
        return dict(INACTIVE)
    idle_expiry = ctx.refresh_tokens.refresh_token_expires_at(digest(token))
    expires = min(filter(None, (idle_expiry, grant.absolute_expires_at)))
    return {"active": True, "token_type": "refresh_token", "scope": grant.scope,
            "client_id": grant.client_id, "sub": user.sub, "iss": ctx.issuer,
            "exp": int(expires.timestamp())}
