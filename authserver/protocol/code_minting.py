"""Minting an authorization code (RFC 6749 §4.1.2, §10.10; OIDC Core §3.1.2.5).

The code is a 256-bit random value stored only as its SHA-256 digest, bound to the
client, redirect URI, PKCE challenge and nonce of the request it answers, and carrying
how the person signed in (auth_time, acr, amr) to the ID token issued for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.ports import CodeRecord, CodeStorage
from authserver.protocol.tokens import digest


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The sign-in session a code is issued under."""

    user_id: int
    sid: str | None
    auth_time: dt.datetime
    acr: str
    amr: tuple[str, ...]


def mint_code(store: CodeStorage, request: AuthorizationRequest, signed_in: Authenticated,
              now: dt.datetime, ttl: dt.timedelta) -> str:
    """A new code for ``request``, saved before it is returned."""
    code = secrets.token_urlsafe(32)
    store.save_code(CodeRecord(
        code_digest=digest(code), client_id=request.client_id, user_id=signed_in.user_id,
        sid=signed_in.sid, redirect_uri=request.redirect_uri, scope=request.scope,
        nonce=request.nonce, code_challenge=request.code_challenge,
        resources=tuple(request.resources), claims=request.claims,
        auth_time=signed_in.auth_time, acr=signed_in.acr, amr=tuple(signed_in.amr),
        expires_at=now + ttl))
    return code
