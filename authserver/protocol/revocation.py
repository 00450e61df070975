"""Token revocation (RFC 7009). Always 200 for well-formed requests: the response must
not tell a client whether some token exists (§2.2)."""

from __future__ import annotations

from collections.abc import Mapping

from authserver.protocol.access_tokens import looks_like_jwt, token_parameter, verified_claims
from authserver.protocol.context import TenantContext
from authserver.protocol.numeric_date import to_datetime
from authserver.protocol.ports import ClientRecord
from authserver.protocol.tokens import digest


def revoke(ctx: TenantContext, client: ClientRecord, form: Mapping[str, str]) -> None:
    token = token_parameter(form)
    now = ctx.clock()
    if looks_like_jwt(token):
        claims = verified_claims(ctx, token)
        # A client may only revoke tokens issued to it.
        if claims is not None and claims.get("client_id") == client.client_id:
            # verified_claims checked exp is an int in the future; kept until then.
            ctx.access_tokens.revoke_access_token(claims["jti"], to_datetime(claims["exp"]) or now,
                                                  client.client_id)
        return
    ctx.refresh_tokens.revoke_refresh_token(digest(token), client.client_id, now)
