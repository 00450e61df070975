"""Authorization code grant, token side (RFC 6749 §4.1.3, RFC 7636, OIDC Core §3.1.3).

A code is burned on first presentation, whatever happens next (RFC 9700 §4.5: a failed
PKCE check must not leave a code an attacker can retry). Presenting a burned code again
revokes everything its first redemption issued (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from authlib.oauth2.rfc6749 import grants

from authserver.protocol import pkce
from authserver.protocol.audience import narrowed, resolve_target
from authserver.protocol.errors import InvalidGrantError, InvalidRequestError
from authserver.protocol.grants.common import GrantServer
from authserver.protocol.grants.issue import issue_user_tokens
from authserver.protocol.ports import CodeRecord, CodeStatus, GrantRecord
from authserver.protocol.tokens import digest

log = logging.getLogger(__name__)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    server: GrantServer

    def validate_token_request(self) -> None:
        if not self.request.form.get("redirect_uri"):
            # OIDC Core §3.1.3.2 and RFC 6749 §4.1.3: required when it was in the request,
            # which we always require.
            self.authenticate_token_endpoint_client()
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        super().validate_token_request()
        record: CodeRecord = self.request.authorization_code
        verifier = self.request.form.get("code_verifier")
        if not pkce.verifier_matches(verifier, record.code_challenge):
            raise InvalidGrantError("PKCE verification failed.")
        # The client's APIs and scopes as they are now, not as they were at /authorize;
        # a ``resource`` here may narrow the code's audiences (RFC 8707 §2.2).
        apis = self.server.ctx.apis
        scopes, resources = narrowed(record.scope.split(), record.resources,
                                     self.request.resources, apis)
        self.target = resolve_target(self.client, scopes, resources, apis)

    def query_authorization_code(self, code: str, client: Any) -> CodeRecord | None:
        ctx = self.server.ctx
        now = ctx.clock()
        code_digest = digest(code)
        record, status = ctx.code_redemption.redeem_code(code_digest, now)
        if status is CodeStatus.USED:
            log.warning("authorization code replayed by client %s; revoking its grant",
                        client.client_id)
            ctx.code_redemption.revoke_grant_of_code(code_digest, "code_replay", now)
            return None
        if record is None or status is not CodeStatus.OK:
            return None
        if record.client_id != client.client_id or record.expires_at <= now:
            return None
        return record

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        ctx = self.server.ctx
        record: CodeRecord = self.request.authorization_code
        now = ctx.clock()
        user = ctx.users.by_id(record.user_id)
        if user is None or user.disabled:
            raise InvalidGrantError("The user can no longer sign in.")
        limits = ctx.refresh_limits(self.client)
        grant = GrantRecord(
            grant_id=secrets.token_urlsafe(24), client_id=self.client.client_id,
            user_id=user.id, sid=record.sid, scope=record.scope, resources=record.resources,
            claims=record.claims, auth_time=record.auth_time, acr=record.acr, amr=record.amr,
            offline="offline_access" in record.scope.split(),
            absolute_expires_at=now + limits.absolute,
        )
        body = issue_user_tokens(ctx, self.client, grant, user, self.target, now,
                                 nonce=record.nonce, code_digest=record.code_digest)
        return 200, body, []

    # Authlib's abstract hooks that our flow replaces.
    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        return None  # burned at redemption

    def authenticate_user(self, authorization_code: CodeRecord) -> object:
        return authorization_code.user_id
