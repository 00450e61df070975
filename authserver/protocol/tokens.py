"""Token contents: RFC 9068 JWT access tokens, OIDC ID tokens, opaque refresh tokens.

Access tokens are ES256 by default and typed ``at+jwt`` so no verifier can mistake an ID
token for one (RFC 9068 §2.1, RFC 8725 §3.11). Refresh tokens are 256-bit random strings
stored only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authserver.protocol import jws
from authserver.protocol.ports import ApiRecord, ClientRecord, GrantRecord, SigningKeys

ACCESS_TOKEN_TYP = "at+jwt"
_HASH_FOR_ALG = {"ES256": hashlib.sha256, "RS256": hashlib.sha256, "PS256": hashlib.sha256,
                 "EdDSA": hashlib.sha512}


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """How every high-entropy secret is stored and looked up: the hex SHA-256 of it
    (refresh tokens, codes, client secrets, session cookies, throttle keys)."""
    return hashlib.sha256(token.encode()).hexdigest()


def half_hash(value: str, alg: str) -> str:
    """``at_hash``/``c_hash``: left half of the hash the signing algorithm uses (OIDC 3.1.3.6)."""
    full = _HASH_FOR_ALG[alg](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Lifetimes:
    access_token: int
    id_token: int
    refresh_idle: int
    refresh_absolute: int


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    response: dict[str, Any]
    access_jti: str
    access_expires_at: dt.datetime
    refresh_token: str | None = None


class TokenMinter:
    """Builds and signs tokens for one tenant (issuer)."""

    def __init__(self, issuer: str, keys: SigningKeys, lifetimes: Lifetimes) -> None:
        self.issuer = issuer
        self.keys = keys
        self.lifetimes = lifetimes

    def sign(self, claims: Mapping[str, Any], alg: str, typ: str) -> str:
        kid, key = self.keys.current(alg)
        return jws.sign(claims, key, alg, kid, typ)

    def audiences(self, apis: Sequence[ApiRecord]) -> str | list[str]:
        # Without a resource indicator the token is for authserver itself (userinfo).
        if not apis:
            return self.issuer
        return apis[0].identifier if len(apis) == 1 else [a.identifier for a in apis]

    def access_token_ttl(self, apis: Sequence[ApiRecord]) -> int:
        """The shortest lifetime any of the token's APIs asks for, else the default."""
        return min([a.access_token_ttl for a in apis if a.access_token_ttl]
                   or [self.lifetimes.access_token])

    def access_token(self, client: ClientRecord, scope: str, apis: Sequence[ApiRecord],
                     now: dt.datetime, sub: str | None = None,
                     user_context: Mapping[str, Any] | None = None,
                     extra_claims: Mapping[str, Any] | None = None) -> tuple[str, str, int]:
        """Sign an access token for ``apis`` (none: authserver itself); returns
        (token, jti, expires_in). An API's own lifetime and algorithm override the
        tenant's and the client's (the audience check made the APIs agree on one alg).
        ``extra_claims`` (a client's mapped claims) never replace a claim already set."""
        iat = int(now.timestamp())
        ttl = self.access_token_ttl(apis)
        alg = next((a.access_token_alg for a in apis if a.access_token_alg),
                   client.access_token_signed_response_alg)
        jti = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            # RFC 9068 §2.2: for client-credentials tokens the subject is the client.
            "sub": sub or client.client_id,
            "aud": self.audiences(apis),
            "exp": iat + ttl,
            "iat": iat,
            "jti": jti,
            "client_id": client.client_id,
        }
        if scope:
            claims["scope"] = scope
        if user_context:
            claims.update(user_context)
        if extra_claims:
            claims.update({k: v for k, v in extra_claims.items() if k not in claims})
        token = self.sign(claims, alg, ACCESS_TOKEN_TYP)
        return token, jti, ttl

    def id_token(self, client: ClientRecord, grant: GrantRecord, sub: str, now: dt.datetime,
                 nonce: str | None, access_token: str | None,
                 extra_claims: Mapping[str, Any] | None = None) -> str:
        alg = client.id_token_signed_response_alg
        iat = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client.client_id,
            "exp": iat + self.lifetimes.id_token,
            "iat": iat,
            "auth_time": int(grant.auth_time.timestamp()),
            "acr": grant.acr,
            "amr": list(grant.amr),
            "azp": client.client_id,
        }
        if grant.sid:
            claims["sid"] = grant.sid
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["at_hash"] = half_hash(access_token, alg)
        if extra_claims:
            claims.update({k: v for k, v in extra_claims.items() if k not in claims})
        return self.sign(claims, alg, "JWT")


def user_token_context(grant: GrantRecord) -> dict[str, Any]:
    """RFC 9068 §2.2.1 authentication claims carried by access tokens issued to users."""
    return {"auth_time": int(grant.auth_time.timestamp()), "acr": grant.acr,
            "amr": list(grant.amr)}


def token_response(access_token: str, expires_in: int, scope: str,
                   refresh_token: str | None = None, id_token: str | None = None
                   ) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer",
                            "expires_in": expires_in}
    if scope:
        body["scope"] = scope
    if refresh_token:
        body["refresh_token"] = refresh_token
    if id_token:
        body["id_token"] = id_token
    return body
