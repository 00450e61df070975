"""A client's claim mapping: which of a user's roles and attributes its tokens carry.

Registered per client (services/claim_mapping.py checks it): ``roles`` names the tokens
that get a ``roles`` claim (the user's effective roles: direct and through groups), and
``attributes`` maps user attribute keys to the claim names they travel under, in every
token the mapping names for roles or, when it names none, in all three. They are read
at each code exchange and refresh, so a change shows in the next token, and only when
the mapping asks: a client without one costs the token path no statement.

A mapped claim never replaces a registered one (RFC 7519 §4.1, RFC 9068 §2.2, OIDC Core
§2 and §5.1): the names are refused at registration, and again when a token is built.
Client-credentials tokens have no user, so they carry none (docs/roles-and-claims.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Target = Literal["id_token", "access_token", "userinfo"]
TARGETS: tuple[Target, ...] = ("id_token", "access_token", "userinfo")
ROLES_CLAIM = "roles"
# Claims a mapping may never produce: JWT, RFC 9068, ID token and standard user claims.
REGISTERED_CLAIMS = frozenset({
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "auth_time",
    "acr", "amr", "azp", "sid", "nonce", "at_hash", "c_hash", "s_hash", "cnf", "typ",
    "act", "may_act", "groups", "entitlements", "events", "name", "given_name",
    "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture",
    "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
    "phone_number", "phone_number_verified", "address", "updated_at", ROLES_CLAIM,
})


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    roles_in: frozenset[str] = frozenset()
    # (attribute key, claim name), in the order registered.
    attributes: tuple[tuple[str, str], ...] = ()
    attributes_in: frozenset[str] = field(default_factory=lambda: frozenset(TARGETS))

    @property
    def is_empty(self) -> bool:
        return not self.roles_in and not self.attributes

    def wants_roles(self, target: Target) -> bool:
        return target in self.roles_in

    def attribute_keys(self, target: Target) -> tuple[str, ...]:
        if target not in self.attributes_in:
            return ()
        return tuple(key for key, _ in self.attributes)


NO_MAPPING = ClaimMapping()


@dataclass(frozen=True, slots=True)
class MappedUserData:
    """What a mapping asked for about one user: roles (None: not asked) and attributes."""

    roles: tuple[str, ...] | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


class UserClaimSource(Protocol):
    """Reads a user's roles and attributes for a mapping, in one unit of work."""

    def mapped_data(self, user_id: int, roles: bool,
                    attribute_keys: tuple[str, ...]) -> MappedUserData: ...


def mapping_from_json(value: Mapping[str, Any] | None) -> ClaimMapping:
    """The stored shape (checked when it was stored) as the record the protocol reads."""
    if not value:
        return NO_MAPPING
    roles_in = frozenset(value.get("roles") or ())
    attributes = tuple((str(k), str(v)) for k, v in (value.get("attributes") or {}).items())
    attributes_in = frozenset(value.get("attributes_in") or TARGETS)
    return ClaimMapping(roles_in, attributes, attributes_in)


def load_for(source: UserClaimSource | None, mapping: ClaimMapping, user_id: int,
             targets: tuple[Target, ...]) -> MappedUserData | None:
    """One read covering every target of this response; None when nothing is mapped."""
    if source is None or mapping.is_empty:
        return None
    roles = any(mapping.wants_roles(t) for t in targets)
    keys = tuple(dict.fromkeys(k for t in targets for k in mapping.attribute_keys(t)))
    if not roles and not keys:
        return None
    return source.mapped_data(user_id, roles, keys)


def mapped_claims(mapping: ClaimMapping, data: MappedUserData | None,
                  target: Target) -> dict[str, Any]:
    """The claims ``target`` carries under ``mapping``; never a registered claim name."""
    if data is None:
        return {}
    claims: dict[str, Any] = {}
    if mapping.wants_roles(target) and data.roles is not None:
        claims[ROLES_CLAIM] = list(data.roles)
    if target in mapping.attributes_in:
        for key, claim in mapping.attributes:
            if key in data.attributes and claim not in REGISTERED_CLAIMS:
                claims[claim] = data.attributes[key]
    return claims


def without_registered(claims: Mapping[str, Any], present: Mapping[str, Any]) -> dict[str, Any]:
    """``claims`` minus any name ``present`` already has: nothing overrides those."""
    return {k: v for k, v in claims.items() if k not in present}
