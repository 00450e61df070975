"""Framework-neutral pieces shared by the integrations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import VerificationUnavailable, VerifierError, bearer_challenge

if TYPE_CHECKING:
    from ..verifier import Verifier

__all__ = [
    "BearerMiddlewareBase",
    "MissingToken",
    "ScopePolicy",
    "error_body",
    "error_headers",
    "parse_authorization",
]

# RFC 6750 §2.1 b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class MissingToken(VerifierError):
    """No bearer credentials at all: 401 with a bare challenge (RFC 6750 §3.1).

    RFC 6750 says a request that simply lacks authentication should get no
    error code in the challenge, so clients that did not know auth was needed
    are not told their (non-existent) token is invalid.

    Example::

        >>> MissingToken().www_authenticate("stores")
        'Bearer realm="stores"'
    """

    error = "unauthorized"
    status_code = 401

    def __init__(self, description: str = "bearer token required", **kw: str | None) -> None:
        super().__init__(description, **kw)

    def www_authenticate(self, realm: str | None = None) -> str:
        """Return ``Bearer realm="..."`` without error attributes."""
        return bearer_challenge(realm or self.realm)


def parse_authorization(header: str | None) -> str | None:
    """Extract the token from an ``Authorization`` header value.

    Returns None when there are no bearer credentials (no header, or another
    scheme such as Basic) and raises :class:`~authserver_verifier.InvalidRequest`
    when the header claims to be Bearer but is malformed.

    Example::

        >>> parse_authorization("Bearer abc.def.ghi")
        'abc.def.ghi'
        >>> parse_authorization("Basic dXNlcjpwdw==") is None
        True
    """
    from ..errors import InvalidRequest

    if header is None:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = rest.strip(" ")
    if not token or not _B64TOKEN.fullmatch(token):
        raise InvalidRequest("malformed Authorization header")
    return token


def error_headers(exc: VerifierError, realm: str | None) -> list[tuple[str, str]]:
    """Headers for an error response: JSON type and, except on 503, the challenge.

    Example::

        >>> from authserver_verifier import InvalidToken
        >>> error_headers(InvalidToken("expired"), "r")[1]
        ('WWW-Authenticate', 'Bearer realm="r", error="invalid_token", error_description="expired"')
    """
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    if not isinstance(exc, VerificationUnavailable):
        headers.insert(1, ("WWW-Authenticate", exc.www_authenticate(realm)))
    return headers


def error_body(exc: VerifierError) -> bytes:
    """JSON body ``{"error": ..., "error_description": ...}`` as bytes.

    Example::

        >>> from authserver_verifier import InvalidToken
        >>> error_body(InvalidToken("expired"))
        b'{"error": "invalid_token", "error_description": "expired"}'
    """
    return json.dumps(exc.to_dict()).encode()


def _normalise_scopes(scopes: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if scopes is None:
        return None
    if isinstance(scopes, str):
        return tuple(scopes.split())
    return tuple(scopes)


def _matches(path: str, prefix: str) -> bool:
    # "/stores" protects "/stores" and "/stores/1" but not "/storesfront".
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


class ScopePolicy:
    """Decides which scopes a request path needs, or that it is public.

    ``path_scopes`` maps path prefixes to required scopes; the longest matching
    prefix wins, and a value of ``None`` makes that prefix public. Paths that
    match nothing need ``required_scopes`` (possibly none: any valid token).
    ``exempt_paths`` are public prefixes; ``exempt_methods`` (default
    ``OPTIONS``, for CORS preflight) are public on every path.

    Example::

        >>> policy = ScopePolicy(path_scopes={"/stores": "stores:read", "/health": None})
        >>> policy.scopes_for("GET", "/stores/1"), policy.scopes_for("GET", "/health")
        (('stores:read',), None)
    """

    def __init__(
        self,
        required_scopes: str | Iterable[str] = (),
        path_scopes: Mapping[str, str | Iterable[str] | None] | None = None,
        exempt_paths: Sequence[str] = (),
        exempt_methods: Iterable[str] = ("OPTIONS",),
    ) -> None:
        self.required_scopes = _normalise_scopes(required_scopes) or ()
        rules = [(p, _normalise_scopes(s)) for p, s in (path_scopes or {}).items()]
        rules += [(p, None) for p in exempt_paths]
        # Longest prefix first so "/stores/admin" beats "/stores".
        self.rules = sorted(rules, key=lambda r: len(r[0]), reverse=True)
        self.exempt_methods = frozenset(m.upper() for m in exempt_methods)

    def scopes_for(self, method: str, path: str) -> tuple[str, ...] | None:
        """Return the scopes ``path`` needs, or None if it needs no token at all."""
        if method.upper() in self.exempt_methods:
            return None
        for prefix, scopes in self.rules:
            if _matches(path, prefix):
                return scopes
        return self.required_scopes


class BearerMiddlewareBase:
    """Configuration shared by the WSGI and ASGI middlewares (same options, same rules).

    Example::

        class MyMiddleware(BearerMiddlewareBase):
            def __call__(self, environ, start_response):
                scopes = self.policy.scopes_for(environ["REQUEST_METHOD"], environ["PATH_INFO"])
                ...
    """

    def __init__(
        self,
        app: Any,
        verifier: Verifier,
        *,
        required_scopes: str | Iterable[str] = (),
        path_scopes: Mapping[str, str | Iterable[str] | None] | None = None,
        exempt_paths: Sequence[str] = (),
        exempt_methods: Iterable[str] = ("OPTIONS",),
        realm: str | None = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.realm = realm or verifier.realm
        self.policy = ScopePolicy(required_scopes, path_scopes, exempt_paths, exempt_methods)
