"""Client credentials grant (RFC 6749 §4.4): the hot path.

No database access here: the client comes from the in-process directory, the key from
the key ring, and the token is a self-contained JWT (docs/architecture.md, "Hot path").
Its audit record goes to the process's spool (ctx.audit), written before the answer.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants

from authserver.protocol.audience import resolve_target
from authserver.protocol.errors import InvalidScopeError
from authserver.protocol.grants.common import USER_SCOPES, GrantServer, requested_scopes
from authserver.protocol.tokens import token_response


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    server: GrantServer

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = requested_scopes(self.request.payload.scope)
        # The audience and scope rules of every grant (protocol/audience.py); from the
        # cached client and API directory, so still no query on a warm cache.
        self.target = resolve_target(self.client, requested, self.request.resources,
                                     self.server.ctx.apis, default_all=True)
        if any(s in USER_SCOPES for s in requested):
            raise InvalidScopeError("User scopes cannot be granted to client credentials")
        self.request.scope = self.target.scope

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        ctx = self.server.ctx
        token, jti, expires_in = ctx.minter.access_token(
            self.client, self.request.scope, self.target.apis, ctx.clock())
        client_id = self.client.client_id
        ctx.record(f"client:{client_id}", "token.issued", client_id,
                   grant_type="client_credentials", scope=self.request.scope,
                   audiences=[api.identifier for api in self.target.apis], jti=jti,
                   expires_in=expires_in)
        return 200, token_response(token, expires_in, self.request.scope), []
