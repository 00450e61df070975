"""OpenID Connect claims: by scope (Core §5.4) and by the ``claims`` parameter (§5.5).

One rule decides what is released about a person, in :func:`released_claims`: only claims
the *granted* scopes cover (RFC 6749 §3.3; the scopes the consent page showed). The
``claims`` parameter may select, within those, what goes into the ID token (Core §5.5),
but never adds a claim outside them, ``essential`` or not: the consent page lists scopes,
so a claim no granted scope covers was never consented to (Core §3.1.2.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from authserver.protocol import json_input
from authserver.protocol.errors import InvalidRequestError
from authserver.protocol.ports import GrantRecord, UserRecord

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "family_name", "given_name", "middle_name", "nickname",
                "preferred_username", "profile", "picture", "website", "gender", "birthdate",
                "zoneinfo", "locale", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
}
SUPPORTED_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
                    "azp", "sid", "at_hash", "name", "given_name", "family_name",
                    "preferred_username", "updated_at", "email", "email_verified")
MAX_CLAIMS_PARAMETER = 4096


def user_claims(user: UserRecord) -> dict[str, Any]:
    """Every claim we hold about ``user``; empty values are left out (Core §5.3.2)."""
    name = " ".join(p for p in (user.given_name, user.family_name) if p) or None
    claims: dict[str, Any] = {
        "sub": user.sub,
        "name": name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "preferred_username": user.username,
        "updated_at": int(user.updated_at.timestamp()),
        "email": user.email,
        "email_verified": user.email_verified,
    }
    return {k: v for k, v in claims.items() if v is not None}


def parse_claims_parameter(raw: str | None) -> dict[str, Any] | None:
    """Validate the ``claims`` request parameter's shape; unknown claims are ignored."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_CLAIMS_PARAMETER:
        raise InvalidRequestError("The claims parameter is too large.")
    try:
        value = json_input.loads(raw, max_bytes=MAX_CLAIMS_PARAMETER)
    except ValueError:
        raise InvalidRequestError("The claims parameter is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidRequestError("The claims parameter must be a JSON object.")
    result: dict[str, Any] = {}
    for member in ("userinfo", "id_token"):
        section = value.get(member)
        if section is None:
            continue
        if not isinstance(section, dict) or not all(
                v is None or isinstance(v, dict) for v in section.values()):
            raise InvalidRequestError(f"claims.{member} must map claim names to objects or null.")
        result[member] = section
    return result


def _requested(claims: Mapping[str, Any] | None, member: str) -> list[str]:
    if not claims:
        return []
    return list((claims.get(member) or {}).keys())


def scope_claim_names(scope: str) -> frozenset[str]:
    """Claim names ``scope`` covers (Core §5.4); ``sub`` is always covered."""
    names = {"sub"}
    for scope_name in scope.split():
        names.update(SCOPE_CLAIMS.get(scope_name, ()))
    return frozenset(names)


def released_claims(user: UserRecord, grant: GrantRecord, token_scope: str,
                    member: Literal["userinfo", "id_token"]) -> dict[str, Any]:
    """The claims about ``user`` that ``member`` may carry; the only release rule.

    The scope used is the one granted (``grant.scope``: after the client's allowed scopes
    and the consent), narrowed to the token's own scope (a refresh may ask for less, never
    more). Userinfo returns every covered claim (Core §5.4); the ID token only those
    ``claims.id_token`` names (scope claims go to userinfo, Core §5.4).
    """
    granted = set(grant.scope.split())
    covered = scope_claim_names(" ".join(s for s in token_scope.split() if s in granted))
    if member == "userinfo":
        wanted: set[str] = set(covered)
    else:
        # ``sub`` is set by the ID token itself, never from the request.
        wanted = set(_requested(grant.claims, "id_token")) - {"sub"}
    available = user_claims(user)
    return {k: v for k, v in available.items() if k in wanted and k in covered}
