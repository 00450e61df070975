"""Validating our own access tokens (introspection, userinfo, revocation); whether a
valid one is still active is token_activity.py's decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authserver.protocol import jws
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import InvalidRequestError
from authserver.protocol.tokens import ACCESS_TOKEN_TYP

LEEWAY = 0  # our own tokens: our own clock


def token_parameter(form: Mapping[str, str]) -> str:
    """The ``token`` parameter of RFC 7009 / RFC 7662 requests (both REQUIRED)."""
    token = form.get("token")
    if not token:
        raise InvalidRequestError("Missing 'token' in request.")
    return token


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def verified_claims(ctx: TenantContext, token: str) -> dict[str, Any] | None:
    """Claims of a valid, unexpired access token we issued; None for anything else."""
    try:
        claims = jws.verify(token, ctx.keys.published(), jws.SIGNING_ALGS,
                            expected_typ=ACCESS_TOKEN_TYP)
    except jws.JWSError:
        return None
    if claims.get("iss") != ctx.issuer or not isinstance(claims.get("exp"), int):
        return None
    if claims["exp"] + LEEWAY <= ctx.clock().timestamp():
        return None
    if not isinstance(claims.get("jti"), str):
        return None
    return claims

