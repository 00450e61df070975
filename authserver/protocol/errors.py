"""Protocol errors: every error class of authserver, one per RFC / OIDC error code.

Every error carries a public ``description``, fixed in wording, and an optional private
``detail`` that is logged and never sent (node-oidc-provider's ``error_detail``). Hostile
input (a parameter name, a scope value) belongs in the detail only: echoed to a client's
redirect URI it would be reflected content, and Authlib's ``OAuth2Error`` raises
``ValueError`` for any description outside RFC 6749 §5.2's character set (%x20-21 /
%x23-5B / %x5D-7E), turning a bad request into a 500. :func:`public_description` is the
safety net under every class here: a character outside that set becomes ``?``.

The detail is logged in one place, :func:`log_detail`, when the error is answered: by
:func:`error_response` (a JSON body), :func:`bearer_error_response` (RFC 6750 §3) or
:func:`redirect_error_params` (RFC 6749 §4.1.2.1). The web layer renders only these;
it writes no error body of its own.

The classes subclass Authlib's (same ``error`` strings, and ``except`` clauses written
for Authlib's still catch ours). ``InvalidClientError`` and ``OAuth2Error`` are Authlib's
own: Authlib raises them itself during client authentication, and ``protocol/server.py``
catches them by these names; our client-authentication descriptions are constants.

Requests that cannot be answered to the client at all (an untrusted redirect URI, a
refused logout) are :class:`RefusedRequest`: the web layer shows their description on a
page of authserver's own.

    Exception
    ├── RefusedRequest                  shown as a page, never sent to a client
    │   ├── UntrustedRequest            authorization request (RFC 9700 §4.1)
    │   └── LogoutRefused               RP-Initiated Logout 1.0 §2
    └── OAuth2Error (Authlib)           sent to the client
        ├── InvalidClientError (Authlib)
        ├── UnsupportedResponseTypeError, UnsupportedGrantTypeError
        └── _Described                  description + private detail
            └── every other class below
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
    "BearerTokenMissingError",
    "ConsentRequiredError",
    "InsufficientScopeError",
    "InvalidClientError",
    "InvalidClientMetadataError",
    "InvalidGrantError",
    "InvalidRedirectUriError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidSoftwareStatementError",
    "InvalidTargetError",
    "InvalidTokenError",
    "LoginRequiredError",
    "LogoutRefused",
    "NotFoundError",
    "OAuth2Error",
    "RefusedRequest",
    "RequestNotSupportedError",
    "RequestUriNotSupportedError",
    "ServerError",
    "UnapprovedSoftwareStatementError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "UntrustedRequest",
    "bearer_error_response",
    "error_response",
    "http_error",
    "log_detail",
    "public_description",
    "redirect_error_params",
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


class RefusedRequest(Exception):
    """A request that cannot be answered to the client: ``description`` (fixed, plain
    language) is shown on a page of authserver's own."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class UntrustedRequest(RefusedRequest):
    """An authorization request whose client or redirect URI is not known to be genuine:
    no error may go to the redirect URI (RFC 6749 §4.1.2.1, RFC 9700 §4.1)."""


class LogoutRefused(RefusedRequest):
    """RP-Initiated Logout 1.0 §2-3: a logout request we will not follow back to the
    relying party (bad ``id_token_hint``, unregistered ``post_logout_redirect_uri`` …)."""


class _Described(OAuth2Error):
    """A safe public description, plus a private detail for the log."""

    def __init__(self, description: str | None = None, *args: Any,
                 detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(public_description(description), *args, **kwargs)
        self.detail = detail


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


class LoginRequiredError(_Described, oidc.LoginRequiredError):
    """OIDC Core §3.1.2.6: the person must sign in, and ``prompt=none`` forbids it."""


class AccountSelectionRequiredError(_Described, oidc.AccountSelectionRequiredError):
    """OIDC Core §3.1.2.6: the person must choose an account."""


class ConsentRequiredError(_Described, oidc.ConsentRequiredError):
    """OIDC Core §3.1.2.6: the person must consent, and ``prompt=none`` forbids it."""


class InvalidTargetError(_Described):
    """RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed."""

    error = "invalid_target"


class InvalidTokenError(_Described):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed, or invalid."""

    error = "invalid_token"
    status_code = 401


class InsufficientScopeError(_Described):
    """RFC 6750 §3.1: "The request requires higher privileges than provided by the access
    token." ``scope`` names the scope needed (RFC 6750 §3)."""

    error = "insufficient_scope"
    status_code = 403

    def __init__(self, description: str | None = None, *, scope: str,
                 detail: str | None = None) -> None:
        super().__init__(description, detail=detail)
        self.scope = scope


class BearerTokenMissingError(_Described):
    """RFC 6750 §3.1: "If the request lacks any authentication information …, the
    resource server SHOULD NOT include an error code": a bare challenge, and a body that
    only says what to send."""

    error = ""
    status_code = 401

    def get_body(self) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in super().get_body() if k != "error"]


class NotFoundError(_Described):
    """RFC 9110 §15.5.5: nothing at this address (a JSON client's 404)."""

    error = "not_found"
    status_code = 404


class ServerError(_Described):
    """RFC 6749 §4.1.2.1: an unexpected condition; details are only logged."""

    error = "server_error"
    status_code = 500


class RequestNotSupportedError(_Described):
    """OIDC Core §3.1.2.6: the OP does not support the ``request`` parameter."""

    error = "request_not_supported"


class RequestUriNotSupportedError(_Described):
    """OIDC Core §3.1.2.6: the OP does not support the ``request_uri`` parameter."""

    error = "request_uri_not_supported"


class InvalidRedirectUriError(_Described):
    """RFC 7591 §3.2.2: "The value of one or more redirection URIs is invalid." The
    description says which and why."""

    error = "invalid_redirect_uri"


class InvalidClientMetadataError(_Described):
    """RFC 7591 §3.2.2: "The value of one of the client metadata fields is invalid and the
    server has rejected this request." """

    error = "invalid_client_metadata"


class InvalidSoftwareStatementError(_Described):
    """RFC 7591 §3.2.2: "The software statement presented is invalid." """

    error = "invalid_software_statement"


class UnapprovedSoftwareStatementError(_Described):
    """RFC 7591 §3.2.2: "The software statement presented is not approved for use by this
    authorization server." """

    error = "unapproved_software_statement"


ErrorResponse = tuple[int, dict[str, Any], list[tuple[str, str]]]


def log_detail(error: OAuth2Error) -> None:
    """Log the error's private detail: the one place it is written, as it is answered."""
    detail = getattr(error, "detail", None)
    if detail:
        # repr(): the detail may hold the hostile input itself; no log-line injection.
        log.info("%s: %r", error.error, detail[:MAX_DESCRIPTION])


def error_response(error: OAuth2Error) -> ErrorResponse:
    """(status, JSON body, headers) of an RFC 6749 §5.2 error response (no-store)."""
    log_detail(error)
    status, body, headers = error()
    return status, dict(body), list(headers)


def bearer_error_response(error: OAuth2Error, realm: str) -> ErrorResponse:
    """RFC 6750 §3: the error as a ``WWW-Authenticate: Bearer`` challenge and a body."""
    status, body, _ = error_response(error)
    parts = [f'realm="{realm}"']
    if error.error:
        parts.append(f'error="{error.error}"')
        if body.get("error_description"):
            parts.append(f'error_description="{body["error_description"]}"')
    scope = getattr(error, "scope", None)
    if scope:
        parts.append(f'scope="{scope}"')
    return status, body, [("WWW-Authenticate", "Bearer " + ", ".join(parts)),
                          ("Cache-Control", "no-store")]


def redirect_error_params(error: OAuth2Error) -> list[tuple[str, str]]:
    """The ``error`` and ``error_description`` of an authorization response sent to the
    client's redirect URI (RFC 6749 §4.1.2.1)."""
    log_detail(error)
    params = [("error", str(error.error))]
    description = error.get_error_description()
    if description:
        params.append(("error_description", str(description)[:MAX_DESCRIPTION]))
    return params


def http_error(status: int, description: str) -> OAuth2Error:
    """The protocol error a JSON client gets for an HTTP-level failure (no route, wrong
    method, body too large, an unexpected exception)."""
    if status == 404:
        return NotFoundError(description)
    if status >= 500:
        return ServerError(description, status_code=status)
    return InvalidRequestError(description, status_code=status)

