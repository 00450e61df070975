"""Exceptions raised by :class:`authserver_verifier.Verifier`.

Each exception knows the HTTP status and the RFC 6750 ``WWW-Authenticate``
value a resource server should answer with, so the integrations (and your own
code) never have to map errors by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "InsufficientScope",
    "InvalidRequest",
    "InvalidToken",
    "VerificationUnavailable",
    "VerifierError",
    "bearer_challenge",
]

DEFAULT_REALM = "api"


def _quoted(value: str) -> str:
    """Return ``value`` as an RFC 7230 quoted-string.

    RFC 6750 §3 restricts ``error_description`` and ``scope`` to printable
    ASCII without ``"`` and ``\\``; we replace anything else rather than
    escape it, because some clients do not unescape and because a token's
    own (attacker-chosen) content must never be able to inject header syntax.
    """
    cleaned = "".join(ch if (0x20 <= ord(ch) <= 0x7E and ch not in '"\\') else "?" for ch in value)
    return f'"{cleaned}"'


def bearer_challenge(
    realm: str | None = None,
    error: str | None = None,
    description: str | None = None,
    scope: Iterable[str] | None = None,
) -> str:
    """Build an RFC 6750 ``WWW-Authenticate`` header value.

    Example::

        >>> bearer_challenge("stores", "invalid_token", "token expired")
        'Bearer realm="stores", error="invalid_token", error_description="token expired"'
        >>> bearer_challenge("stores")
        'Bearer realm="stores"'
    """
    params = [f"realm={_quoted(realm or DEFAULT_REALM)}"]
    if error:
        params.append(f"error={_quoted(error)}")
    if description:
        params.append(f"error_description={_quoted(description)}")
    if scope is not None:
        params.append(f"scope={_quoted(' '.join(scope))}")
    return "Bearer " + ", ".join(params)


class VerifierError(Exception):
    """Base class of every error this library raises on a request.

    ``error`` is the OAuth error code, ``status_code`` the HTTP status to
    answer with, ``description`` a short human-readable reason that is safe to
    send to the client (it never contains token content).

    Example::

        try:
            claims = verifier.verify(token)
        except VerifierError as exc:
            return exc.status_code, {"WWW-Authenticate": exc.www_authenticate()}
    """

    error: str = "invalid_token"
    status_code: int = 401

    def __init__(self, description: str = "", *, realm: str | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.realm = realm

    def www_authenticate(self, realm: str | None = None) -> str:
        """Return the ``WWW-Authenticate`` header value for this error.

        Example::

            >>> InvalidToken("token expired").www_authenticate("stores")
            'Bearer realm="stores", error="invalid_token", error_description="token expired"'
        """
        return bearer_challenge(realm or self.realm, self.error, self.description or None)

    def to_dict(self) -> dict[str, str]:
        """Return the JSON body integrations send: ``{"error", "error_description"}``.

        Example::

            >>> InvalidToken("token expired").to_dict()
            {'error': 'invalid_token', 'error_description': 'token expired'}
        """
        return {"error": self.error, "error_description": self.description or self.error}


class InvalidToken(VerifierError):
    """The token is missing, malformed, expired, forged or otherwise not acceptable (401).

    Example::

        >>> exc = InvalidToken("token expired")
        >>> (exc.error, exc.status_code)
        ('invalid_token', 401)
    """

    error = "invalid_token"
    status_code = 401


class InsufficientScope(VerifierError):
    """The token is valid but lacks a required scope (403).

    ``required_scopes`` lists what the endpoint needs; RFC 6750 asks us to
    advertise it in the ``scope`` attribute of the challenge.

    Example::

        >>> exc = InsufficientScope(["stores:write"])
        >>> exc.www_authenticate("stores")  # doctest: +NORMALIZE_WHITESPACE
        'Bearer realm="stores", error="insufficient_scope",
         error_description="token lacks required scope", scope="stores:write"'
    """

    error = "insufficient_scope"
    status_code = 403

    def __init__(
        self,
        required_scopes: Iterable[str],
        description: str = "token lacks required scope",
        *,
        realm: str | None = None,
    ) -> None:
        super().__init__(description, realm=realm)
        self.required_scopes: tuple[str, ...] = tuple(required_scopes)

    def www_authenticate(self, realm: str | None = None) -> str:
        """Return the challenge, including ``scope="..."`` with the required scopes.

        Example::

            >>> InsufficientScope(["a", "b"], "need a, b").www_authenticate("r")[46:]
            'error_description="need a, b", scope="a b"'
        """
        return bearer_challenge(
            realm or self.realm, self.error, self.description or None, self.required_scopes
        )


class InvalidRequest(VerifierError):
    """The ``Authorization`` header is malformed (400, RFC 6750 §3.1 ``invalid_request``).

    Raised by the integrations, never by :meth:`Verifier.verify`.

    Example::

        >>> InvalidRequest("malformed Authorization header").status_code
        400
    """

    error = "invalid_request"
    status_code = 400


class VerificationUnavailable(VerifierError):
    """The token could not be checked because a dependency is down (503).

    Raised when no signing keys have ever been obtained (the JWKS or discovery
    endpoint is unreachable and nothing is cached), or when the introspection
    endpoint fails. It is deliberately *not* an :class:`InvalidToken`: telling
    a client its token is invalid during our own outage would make it throw
    away a good token.

    Example::

        >>> VerificationUnavailable("JWKS unreachable").status_code
        503
    """

    error = "temporarily_unavailable"
    status_code = 503

    def www_authenticate(self, realm: str | None = None) -> str:
        """Return a bare challenge; RFC 6750 defines no error code for outages.

        Example::

            >>> VerificationUnavailable("down").www_authenticate("r")
            'Bearer realm="r"'
        """
        return bearer_challenge(realm or self.realm)
