"""WSGI middleware that requires a valid bearer token (any WSGI framework).

Example::

    from authserver_verifier import Verifier
    from authserver_verifier.contrib.wsgi import BearerAuthMiddleware

    app.wsgi_app = BearerAuthMiddleware(
        app.wsgi_app,
        verifier,
        path_scopes={"/stores": ["stores:read"], "/health": None},
    )
    # in a view: environ["authserver.claims"].sub
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import VerifierError
from ._common import (
    BearerMiddlewareBase,
    MissingToken,
    error_body,
    error_headers,
    parse_authorization,
)

__all__ = ["CLAIMS_KEY", "BearerAuthMiddleware"]

#: WSGI environ key holding the verified :class:`~authserver_verifier.Claims`.
CLAIMS_KEY = "authserver.claims"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BearerAuthMiddleware(BearerMiddlewareBase):
    """Verify the bearer token of every request before it reaches the app.

    On success the claims are stored in ``environ["authserver.claims"]``. On
    failure the app is not called and the middleware answers 401 (missing or
    invalid token), 403 (insufficient scope), 400 (malformed Authorization
    header) or 503 (keys unavailable) with an RFC 6750 ``WWW-Authenticate``
    header and a JSON body ``{"error", "error_description"}``.

    Scopes: ``required_scopes`` apply everywhere, ``path_scopes`` per path
    prefix (longest wins; ``None`` = public), ``exempt_paths`` are public.

    Example::

        wsgi_app = BearerAuthMiddleware(wsgi_app, verifier, required_scopes=["stores:read"],
                                        exempt_paths=["/health"])
    """

    app: WSGIApp

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scopes = self.policy.scopes_for(
            environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "") or "/"
        )
        if scopes is None:
            return self.app(environ, start_response)
        try:
            token = parse_authorization(environ.get("HTTP_AUTHORIZATION"))
            if token is None:
                raise MissingToken(realm=self.realm)
            environ[CLAIMS_KEY] = self.verifier.verify(token, scopes)
        except VerifierError as exc:
            body = error_body(exc)
            headers = [*error_headers(exc, self.realm), ("Content-Length", str(len(body)))]
            start_response(f"{exc.status_code} {_REASONS[exc.status_code]}", headers)
            return [body]
        return self.app(environ, start_response)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    503: "Service Unavailable",
}
