"""Issuing the token set for a user grant: access token, refresh token, ID token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from authserver.protocol.context import TenantContext
from authserver.protocol.oidc import id_token_claims_from_request
from authserver.protocol.ports import ClientRecord, GrantRecord, UserRecord
from authserver.protocol.tokens import (
    digest,
    new_opaque_token,
    token_response,
    user_token_context,
)


def issue_user_tokens(ctx: TenantContext, client: ClientRecord, grant: GrantRecord,
                      user: UserRecord, scope: str, now: dt.datetime,
                      nonce: str | None = None) -> dict[str, Any]:
    access_token, jti, expires_in = ctx.minter.access_token(
        client, scope, grant.resources, now, sub=user.sub, user_context=user_token_context(grant))
    ctx.store.record_access_token(grant.grant_id, jti, now + dt.timedelta(seconds=expires_in))
    refresh_token = None
    if client.check_grant_type("refresh_token"):
        refresh_token = new_opaque_token()
        limits = ctx.refresh_limits(client)
        expires_at = min(now + limits.idle, grant.absolute_expires_at)
        ctx.store.add_refresh_token(grant.grant_id, digest(refresh_token), expires_at, now)
    id_token = None
    if "openid" in scope.split():
        extra = id_token_claims_from_request(grant.claims, user)
        id_token = ctx.minter.id_token(client, grant, user.sub, now, nonce, access_token, extra)
    return token_response(access_token, expires_in, scope, refresh_token, id_token)
