"""Refresh token grant with rotation and reuse detection (RFC 9700 §4.14.2).

Each refresh token works once. Presenting a used one means two parties hold it, so the
whole grant (every refresh and access token descending from the authorization) is revoked
and the event audited. The new refresh token keeps the grant's scope (RFC 6749 §6); a
narrower ``scope`` only narrows the access token.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.oauth2.rfc6749 import grants

from authserver.protocol.audience import narrowed, resolve_target
from authserver.protocol.errors import InvalidGrantError, InvalidRequestError
from authserver.protocol.grants.common import (
    GrantServer,
    check_scope_subset,
    requested_scopes,
)
from authserver.protocol.grants.issue import issue_user_tokens
from authserver.protocol.ports import GrantRecord, RefreshStatus
from authserver.protocol.tokens import digest

log = logging.getLogger(__name__)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    server: GrantServer

    def validate_token_request(self) -> None:
        client = self._validate_request_client()
        self.request.client = client
        raw = self.request.form.get("refresh_token")
        if not raw:
            raise InvalidRequestError("Missing 'refresh_token' in request.")
        ctx = self.server.ctx
        now = ctx.clock()
        grant, status = ctx.refresh_tokens.find_refresh_token(digest(raw), now)
        if grant is not None and grant.client_id != client.client_id:
            # Bound to the client it was issued to (RFC 6749 §6); no hint of whose it is.
            grant, status = None, RefreshStatus.UNKNOWN
        if status is RefreshStatus.REUSED and grant is not None:
            log.warning("refresh token reuse for client %s; revoking the grant",
                        client.client_id)
            ctx.grant_revocation.revoke_grant(grant.grant_id, "refresh_token_reuse", now)
        if grant is None or status is not RefreshStatus.OK:
            raise InvalidGrantError("The refresh token is invalid, expired or revoked.")
        requested = requested_scopes(self.request.payload.scope)
        check_scope_subset(requested, grant.scope.split())
        # Checked again against the client's APIs and scopes as they are now: a grant
        # taken away since the sign-in is not renewed (protocol/audience.py).
        scopes, resources = narrowed(requested or grant.scope.split(), grant.resources,
                                     self.request.resources, ctx.apis)
        self.target = resolve_target(client, scopes, resources, ctx.apis)
        self.request.scope = self.target.scope
        self.request.refresh_token = grant
        self.spent_digest = digest(raw)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        ctx = self.server.ctx
        grant: GrantRecord = self.request.refresh_token
        user = ctx.users.by_id(grant.user_id)
        if user is None or user.disabled:
            raise InvalidGrantError("The user can no longer sign in.")
        # The old token is spent in the same transaction that stores its successor.
        body = issue_user_tokens(ctx, self.client, grant, user, self.target, ctx.clock(),
                                 spent_refresh_digest=self.spent_digest)
        return 200, body, []

    def authenticate_refresh_token(self, refresh_token: str) -> None:
        raise NotImplementedError  # replaced by validate_token_request

    def authenticate_user(self, refresh_token: Any) -> None:
        raise NotImplementedError

    def revoke_old_credential(self, refresh_token: Any) -> None:
        raise NotImplementedError
