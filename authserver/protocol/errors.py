"""Protocol errors: one class per RFC / OIDC error code.

Authlib's ``OAuth2Error`` classes are reused where they exist (their ``error`` strings are
the RFC's); the ones Authlib lacks are added here. ``description`` is public and fixed in
tone; anything specific to an attack goes to the log, never to the client.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    UnsupportedResponseTypeError,
)
from authlib.oidc.core.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)

__all__ = [
    "AccessDeniedError",
    "AccountSelectionRequiredError",
    "ConsentRequiredError",
    "InteractionRequiredError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTargetError",
    "InvalidTokenError",
    "LoginRequiredError",
    "OAuth2Error",
    "ServerError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "UnsupportedTokenTypeError",
]


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed."""

    error = "invalid_target"


class UnsupportedTokenTypeError(OAuth2Error):
    """RFC 7009 §2.2.1: the server does not support revoking this token type."""

    error = "unsupported_token_type"


class InvalidTokenError(OAuth2Error):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed, or invalid."""

    error = "invalid_token"
    status_code = 401


class ServerError(OAuth2Error):
    """RFC 6749 §4.1.2.1: an unexpected condition; details are only logged."""

    error = "server_error"
    status_code = 500
