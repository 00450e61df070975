"""OpenID Connect Back-Channel Logout 1.0: the logout token and how it is delivered.

A logout token (§2.4) is a JWT signed like the client's ID tokens, typed ``logout+jwt``
(§2.4, as RFC 8725 §3.11 recommends, so it cannot be mistaken for an ID token), with
``iss``, ``aud`` (the client), ``iat``, a short ``exp``, a unique ``jti``, the back-channel
logout event and both ``sub`` and ``sid`` (§2.4 allows both; we always know both, so a
client that registered ``backchannel_logout_session_required`` gets its ``sid`` too). It
never carries ``nonce`` (§2.4: "A nonce Claim MUST NOT be present").

It is POSTed as ``application/x-www-form-urlencoded`` ``logout_token=…`` (§2.5); the RP
answers 200 (§2.8). This module only builds the token and the request body and judges
the answer; sending is the outbox's job (services/outbox.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from authserver.protocol import jws
from authserver.protocol.jws import PrivateKey

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_TYPE = "logout+jwt"
# §2.4 leaves exp to us; minutes are plenty for a request sent at once, and every retry
# signs a fresh token (services/outbox.py), so a slow retry never sends a stale one.
LIFETIME_SECONDS = 120
CONTENT_TYPE = "application/x-www-form-urlencoded"


def logout_token_claims(issuer: str, client_id: str, sub: str, sid: str, now: int,
                        jti: str | None = None) -> dict[str, Any]:
    """The claims of one logout token for ``client_id`` about session ``sid`` of ``sub``
    (``now`` in Unix seconds)."""
    return {"iss": issuer, "aud": client_id, "iat": now, "exp": now + LIFETIME_SECONDS,
            "jti": jti or secrets.token_urlsafe(16), "sub": sub, "sid": sid,
            "events": {EVENT: {}}}


def sign_logout_token(claims: Mapping[str, Any], key: PrivateKey, alg: str, kid: str) -> str:
    if "nonce" in claims:
        raise ValueError("a logout token must not contain a nonce (Back-Channel Logout §2.4)")
    return jws.sign(claims, key, alg, kid, typ=TOKEN_TYPE)


def request_body(logout_token: str) -> bytes:
    """The POST body of §2.5."""
    return urlencode({"logout_token": logout_token}).encode()


def delivered(status: int) -> bool:
    """Whether the RP's answer means it received the token: §2.8 says 200 OK; 204 (and
    any other 2xx) is taken as success too, since a retry would bring nothing new. A 3xx
    is not followed (the token is for the registered URI only) and counts as failure."""
    return 200 <= status < 300
