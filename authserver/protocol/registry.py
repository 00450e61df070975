"""The grant types and client authentication methods this server implements.

One list of each, read by everyone who needs to know: the token server registers exactly
these grants and methods (RFC 6749 §4, §2.3; RFC 7523 §2.2), the discovery document
advertises exactly these (RFC 8414 §2, OIDC Discovery §3), and client registration accepts
exactly these (RFC 7591 §2). A new grant is one row in :data:`GRANT_TYPES` and one module
in ``grants/``; nothing else lists grant types.

This module imports the grant classes, and the grants import nothing of the token server,
so the server, the grants and this registry form no import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from authlib.oauth2.rfc6749.grants import BaseGrant

from authserver.protocol.grants.authorization_code import AuthorizationCodeGrant
from authserver.protocol.grants.client_credentials import ClientCredentialsGrant
from authserver.protocol.grants.refresh_token import RefreshTokenGrant


@dataclass(frozen=True, slots=True)
class ClientAuthMethod:
    """A ``token_endpoint_auth_method`` value (RFC 7591 §2)."""

    name: str
    # The client proves a credential: every method but "none" (RFC 6749 §2.1, §3.2.1).
    confidential: bool
    # The credential is a secret this server generates and keeps as a digest.
    shared_secret: bool = False
    # The credential is a key the client registers (jwks / jwks_uri, RFC 7523).
    key_set: bool = False


CLIENT_AUTH_METHODS: tuple[ClientAuthMethod, ...] = (
    ClientAuthMethod("client_secret_basic", confidential=True, shared_secret=True),
    ClientAuthMethod("client_secret_post", confidential=True, shared_secret=True),
    ClientAuthMethod("private_key_jwt", confidential=True, key_set=True),
    ClientAuthMethod("none", confidential=False),
)

AUTH_METHODS: tuple[str, ...] = tuple(m.name for m in CLIENT_AUTH_METHODS)
CONFIDENTIAL_AUTH_METHODS: tuple[str, ...] = tuple(
    m.name for m in CLIENT_AUTH_METHODS if m.confidential)
SECRET_AUTH_METHODS: tuple[str, ...] = tuple(
    m.name for m in CLIENT_AUTH_METHODS if m.shared_secret)
KEY_SET_AUTH_METHODS: tuple[str, ...] = tuple(m.name for m in CLIENT_AUTH_METHODS if m.key_set)


@dataclass(frozen=True, slots=True)
class GrantType:
    """A ``grant_type`` value (RFC 6749 §4) and the class that answers it."""

    name: str
    grant_class: type[BaseGrant]
    # Tokens are issued for a person (so user scopes and an ID token make sense).
    needs_user: bool
    # A public client may use it; otherwise only the confidential auth methods are taken.
    public_clients: bool
    # The client must register a redirect URI to use it (RFC 6749 §3.1.2).
    needs_redirect_uri: bool = False
    # Grant types a client must also have for this one to be usable, and why.
    requires: tuple[str, ...] = ()
    requires_why: str = ""

    @property
    def auth_methods(self) -> tuple[str, ...]:
        """The client authentication methods the token endpoint takes for this grant."""
        return AUTH_METHODS if self.public_clients else CONFIDENTIAL_AUTH_METHODS


GRANT_TYPES: tuple[GrantType, ...] = (
    GrantType("authorization_code", AuthorizationCodeGrant, needs_user=True,
              public_clients=True, needs_redirect_uri=True),
    # RFC 6749 §4.4: confidential clients only.
    GrantType("client_credentials", ClientCredentialsGrant, needs_user=False,
              public_clients=False),
    # Client credentials get no refresh token (RFC 6749 §4.4.3): only beside a code grant
    # can this one ever be used.
    GrantType("refresh_token", RefreshTokenGrant, needs_user=True, public_clients=True,
              requires=("authorization_code",),
              requires_why="refresh tokens are only issued from a code exchange"),
)

GRANT_TYPE_NAMES: tuple[str, ...] = tuple(g.name for g in GRANT_TYPES)
# What a client registered without naming its grant types gets.
DEFAULT_GRANT_TYPES: tuple[str, ...] = ("authorization_code", "refresh_token")


def grant_type(name: str) -> GrantType | None:
    """The registered grant type called ``name``, or None."""
    return next((g for g in GRANT_TYPES if g.name == name), None)


def grant_types_problem(names: Sequence[str], *, public: bool,
                        has_redirect_uri: bool) -> tuple[str, str] | None:
    """Why a client could not be registered with these grant types, as (field, message),
    or None when it can: each must be known, allowed to a client of its kind, come with
    the grants it requires, and have the redirect URI it needs."""
    grants = [grant_type(name) for name in names]
    unknown = [name for name, grant in zip(names, grants, strict=True) if grant is None]
    if unknown:
        return "grant_type", f"{unknown[0]!r} is not supported; use {', '.join(GRANT_TYPE_NAMES)}"
    known = [g for g in grants if g is not None]
    for grant in known:
        if public and not grant.public_clients:
            return "grant_type", f"public clients cannot use {grant.name}"
    for grant in known:
        missing = [r for r in grant.requires if r not in names]
        if missing:
            return "grant_type", f"{grant.name} needs {', '.join(missing)}: {grant.requires_why}"
    for grant in known:
        if grant.needs_redirect_uri and not has_redirect_uri:
            return "redirect_uri", f"{grant.name} clients need a redirect URI"
    return None
