"""Issuing the token set for a user grant: access token, refresh token, ID token."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from authserver.protocol.audience import Audience
from authserver.protocol.claim_mapping import Target, load_for, mapped_claims
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import InvalidGrantError
from authserver.protocol.oidc import released_claims
from authserver.protocol.ports import (
    ClientRecord,
    GrantRecord,
    Issuance,
    IssuanceOutcome,
    UserRecord,
)
from authserver.protocol.tokens import (
    digest,
    new_opaque_token,
    token_response,
    user_token_context,
)

log = logging.getLogger(__name__)


def issue_user_tokens(ctx: TenantContext, client: ClientRecord, grant: GrantRecord,
                      user: UserRecord, audience: Audience, now: dt.datetime,
                      nonce: str | None = None, code_digest: str | None = None,
                      spent_refresh_digest: str | None = None) -> dict[str, Any]:
    """Mint the token set, then store it in one transaction (one commit per exchange).
    ``audience``: the access token's audiences and scope (protocol/audience.py)."""
    scope = audience.scope
    openid = "openid" in scope.split()
    targets: tuple[Target, ...] = ("access_token", "id_token") if openid else ("access_token",)
    # Read now, at every exchange and refresh: a role granted or revoked shows in the
    # next token. Nothing is read for a client whose mapping asks for nothing.
    mapped = load_for(ctx.user_claims, client.claim_mapping, user.id, targets)
    access_token, jti, expires_in = ctx.minter.access_token(
        client, scope, audience.apis, now, sub=user.sub, user_context=user_token_context(grant),
        extra_claims=mapped_claims(client.claim_mapping, mapped, "access_token"))
    refresh_token = refresh_expires = None
    if client.check_grant_type("refresh_token"):
        refresh_token = new_opaque_token()
        refresh_expires = min(now + ctx.refresh_limits(client).idle, grant.absolute_expires_at)
    # Everything is minted before anything is stored: a failure cannot spend the old
    # refresh token without delivering its successor.
    id_token = None
    if openid:
        # At code exchange and at refresh alike: only what the grant's scope covers.
        extra = {**mapped_claims(client.claim_mapping, mapped, "id_token"),
                 **released_claims(user, grant, scope, "id_token")}
        id_token = ctx.minter.id_token(client, grant, user.sub, now, nonce, access_token, extra)
    outcome = ctx.issuance.persist_issuance(Issuance(
        grant=grant, new_grant=code_digest is not None, access_jti=jti,
        access_expires_at=now + dt.timedelta(seconds=expires_in),
        refresh_digest=digest(refresh_token) if refresh_token else None,
        refresh_expires_at=refresh_expires, code_digest=code_digest,
        spent_refresh_digest=spent_refresh_digest), now)
    if outcome is IssuanceOutcome.REFRESH_SPENT:
        # Another request rotated this refresh token first; exactly one of them wins.
        raise InvalidGrantError("The refresh token is invalid, expired or revoked.")
    if outcome is IssuanceOutcome.USER_DISABLED:
        # Disabled (or deleted) while this code was being redeemed: nothing was stored.
        raise InvalidGrantError("The user can no longer sign in.")
    if outcome is IssuanceOutcome.CODE_REPLAYED:
        # A replay of the code was seen while this, its first use, was being answered:
        # answer as in the sequential case; the grant was stored revoked, so nothing
        # issued here works.
        log.warning("authorization code replayed during its redemption by client %s",
                    client.client_id)
    return token_response(access_token, expires_in, scope, refresh_token, id_token)
