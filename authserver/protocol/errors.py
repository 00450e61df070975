"""Protocol errors: one class per RFC / OIDC error code.

Every error carries a public ``description``, fixed in wording, and an optional private
``detail`` that is logged and never sent (node-oidc-provider's ``error_detail``). Hostile
input (a parameter name, a scope value) belongs in the detail only: echoed to a client's
redirect URI it would be reflected content, and Authlib's ``OAuth2Error`` raises
``ValueError`` for any description outside RFC 6749 §5.2's character set (%x20-21 /
%x23-5B / %x5D-7E), turning a bad request into a 500. :func:`public_description` is the
safety net under every class here: a character outside that set becomes ``?``.

The classes subclass Authlib's (same ``error`` strings, and ``except`` clauses written
for Authlib's still catch ours). ``InvalidClientError`` and ``OAuth2Error`` are Authlib's
own: Authlib raises them itself during client authentication, and ``protocol/server.py``
catches them by these names; our client-authentication descriptions are constants.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.oauth2.rfc6749 import errors as rfc6749
from authlib.oauth2.rfc6749.errors import InvalidClientError, OAuth2Error
from authlib.oidc.core import errors as oidc

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
    "public_description",
]

log = logging.getLogger(__name__)
MAX_DESCRIPTION = 300


def _allowed(char: str) -> bool:
    code = ord(char)
    return 0x20 <= code <= 0x7E and char not in '"\\'


def public_description(text: str | None) -> str | None:
    """``text`` restricted to RFC 6749 §5.2's characters (others become ``?``), cut to
    a length any client can show."""
    if text is None:
        return None
    return "".join(c if _allowed(c) else "?" for c in text[:MAX_DESCRIPTION])


class _Described(OAuth2Error):
    """A safe public description, plus a private detail for the log."""

    def __init__(self, description: str | None = None, *args: Any,
                 detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(public_description(description), *args, **kwargs)
        self.detail = detail
        if detail:
            # repr(): the detail may hold the hostile input itself; no log-line injection.
            log.info("%s: %r", self.error, detail[:MAX_DESCRIPTION])


class InvalidRequestError(_Described, rfc6749.InvalidRequestError):
    """RFC 6749 §5.2: missing or repeated parameter, unsupported value, malformed."""


class InvalidGrantError(_Described, rfc6749.InvalidGrantError):
    """RFC 6749 §5.2: the grant is invalid, expired, revoked or issued to another client."""


class InvalidScopeError(_Described, rfc6749.InvalidScopeError):
    """RFC 6749 §5.2: "The requested scope is invalid, unknown, malformed, or exceeds the
    scope granted by the resource owner." The offending values go in ``detail``."""


class UnauthorizedClientError(_Described, rfc6749.UnauthorizedClientError):
    """RFC 6749 §5.2: the client may not use this grant type."""


class AccessDeniedError(_Described, rfc6749.AccessDeniedError):
    """RFC 6749 §4.1.2.1: the resource owner or authorization server denied the request."""


class UnsupportedResponseTypeError(rfc6749.UnsupportedResponseTypeError):
    """RFC 6749 §4.1.2.1: only ``code`` is offered (RFC 9700 §2.1.2). Authlib's class
    would echo the requested value; ours names what is supported instead."""

    description = "Only response_type=code is supported."

    def get_error_description(self) -> str:
        return self.description


class UnsupportedGrantTypeError(rfc6749.UnsupportedGrantTypeError):
    """RFC 6749 §5.2: the grant type is not supported (not echoed, unlike Authlib's)."""

    description = "The grant_type is not supported."

    def get_error_description(self) -> str:
        return self.description


class InteractionRequiredError(_Described, oidc.InteractionRequiredError):
    """OIDC Core §3.1.2.6: the request needs the person, and ``prompt=none`` forbids it."""


class LoginRequiredError(_Described, oidc.LoginRequiredError):
    """OIDC Core §3.1.2.6: the person must sign in, and ``prompt=none`` forbids it."""


class AccountSelectionRequiredError(_Described, oidc.AccountSelectionRequiredError):
    """OIDC Core §3.1.2.6: the person must choose an account."""


class ConsentRequiredError(_Described, oidc.ConsentRequiredError):
    """OIDC Core §3.1.2.6: the person must consent, and ``prompt=none`` forbids it."""


class InvalidTargetError(_Described):
    """RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed."""

    error = "invalid_target"


class UnsupportedTokenTypeError(_Described):
    """RFC 7009 §2.2.1: the server does not support revoking this token type."""

    error = "unsupported_token_type"


class InvalidTokenError(_Described):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed, or invalid."""

    error = "invalid_token"
    status_code = 401


class ServerError(_Described):
    """RFC 6749 §4.1.2.1: an unexpected condition; details are only logged."""

    error = "server_error"
    status_code = 500

