"""The demo relying party's per-browser state: one encrypted, authenticated cookie.

It holds the pending sign-in (state, nonce, PKCE verifier) and the tokens. Encrypted
(Fernet: AES-CBC + HMAC) rather than only signed, because browsers send cookies to every
port of a host: another development server on 127.0.0.1 would otherwise receive a
readable refresh token. Path-scoped to the demo RP so authserver's own pages never see it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Request, Response

from authserver.web.demo_rp.oidc_client import RPError

MAX_AGE = 12 * 3600
# Browsers drop cookies over 4096 bytes (RFC 6265 §6.1); refuse rather than lose them.
MAX_COOKIE_BYTES = 4000


class RPCookie:
    def __init__(self, key: bytes, path: str, secure: bool) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self.path = path
        self.secure = secure
        # __Secure- (not __Host-, which requires Path=/) when served over https.
        self.name = "__Secure-demo-rp" if secure else "demo-rp"

    def load(self, request: Request) -> dict[str, Any]:
        value = request.cookies.get(self.name)
        if not value:
            return {}
        try:
            state = json.loads(self._fernet.decrypt(value.encode("ascii"), ttl=MAX_AGE))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return {}  # expired, tampered with, or from another master key: start over
        return state if isinstance(state, dict) else {}

    def save(self, response: Response, state: dict[str, Any]) -> None:
        value = self._fernet.encrypt(json.dumps(state, separators=(",", ":")).encode())
        if len(value) > MAX_COOKIE_BYTES:
            raise RPError("the tokens are too large for the demo RP's cookie")
        response.set_cookie(self.name, value.decode("ascii"), max_age=MAX_AGE, path=self.path,
                            secure=self.secure, httponly=True, samesite="Lax")
