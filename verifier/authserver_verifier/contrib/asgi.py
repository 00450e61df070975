"""ASGI middleware (Starlette, FastAPI) and the ``RequireScope`` dependency.

Example (FastAPI)::

    from fastapi import Depends, FastAPI
    from authserver_verifier.contrib.asgi import RequireScope, install_error_handler

    app = FastAPI()
    app.state.authserver_verifier = verifier
    install_error_handler(app)

    @app.get("/stores")
    def list_stores(claims=Depends(RequireScope("stores:read"))):
        return {"user": claims.sub}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..claims import Claims
from ..errors import VerifierError
from ..verifier import Verifier
from ._common import (
    BearerMiddlewareBase,
    MissingToken,
    error_body,
    error_headers,
    parse_authorization,
)

__all__ = [
    "CLAIMS_KEY",
    "BearerAuthError",
    "BearerAuthMiddleware",
    "RequireScope",
    "install_error_handler",
]

#: ASGI scope key holding the verified :class:`~authserver_verifier.Claims`
#: (also exposed as ``request.state.token_claims``).
CLAIMS_KEY = "authserver.claims"
VERIFIER_KEY = "authserver.verifier"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def verify_async(verifier: Verifier, token: str, scopes: Iterable[str]) -> Claims:
    """Verify without stalling the event loop on network I/O.

    With fresh cached keys a JWT check is ~0.1 ms of CPU, cheaper than a
    thread hop, so it runs inline; a key fetch or introspection call runs in
    a worker thread. (A refetch for an unknown ``kid`` may still run inline;
    it is rate-limited to once per ``refetch_interval`` and bounded by ``timeout``.)

    Example::

        claims = await verify_async(verifier, token, ["stores:read"])
    """
    if verifier.jwks.is_fresh and token.count(".") == 2:
        return verifier.verify(token, scopes)
    return await anyio.to_thread.run_sync(verifier.verify, token, tuple(scopes))


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v for k, v in scope.get("headers", ()) if k.lower() == name]
    if not values:
        return None
    if len(values) > 1:
        from ..errors import InvalidRequest

        raise InvalidRequest("multiple Authorization headers")
    return values[0].decode("latin-1")


class BearerAuthMiddleware(BearerMiddlewareBase):
    """Pure ASGI middleware requiring a valid bearer token on HTTP and WebSocket requests.

    Stores claims in ``scope["authserver.claims"]`` and ``request.state.token_claims``.
    Failures answer 401/403/400/503 with an RFC 6750 challenge and a JSON body;
    WebSocket handshakes are closed with code 1008 (policy violation).
    Scope rules are the same as :class:`authserver_verifier.contrib.wsgi.BearerAuthMiddleware`.

    Example::

        from starlette.applications import Starlette
        from starlette.middleware import Middleware

        app = Starlette(routes=routes, middleware=[
            Middleware(BearerAuthMiddleware, verifier=verifier,
                       path_scopes={"/stores": "stores:read", "/health": None}),
        ])
    """

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[VERIFIER_KEY] = self.verifier
        method = scope.get("method", "GET") if kind == "http" else "GET"
        scopes = self.policy.scopes_for(method, scope.get("path", "/"))
        if scopes is None:
            await self.app(scope, receive, send)
            return
        try:
            token = parse_authorization(_header(scope, b"authorization"))
            if token is None:
                raise MissingToken(realm=self.realm)
            claims = await verify_async(self.verifier, token, scopes)
        except VerifierError as exc:
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = error_body(exc)
            headers = [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in error_headers(exc, self.realm)
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": exc.status_code, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope[CLAIMS_KEY] = claims
        scope.setdefault("state", {})["token_claims"] = claims
        await self.app(scope, receive, send)


class BearerAuthError(HTTPException):
    """Raised by :class:`RequireScope`; carries the status and ``WWW-Authenticate`` header.

    Without :func:`install_error_handler` FastAPI renders it as
    ``{"detail": {"error": ..., "error_description": ...}}``; with it, as the
    plain ``{"error": ..., "error_description": ...}`` body.

    Example::

        except BearerAuthError as exc:
            exc.status_code, exc.headers["WWW-Authenticate"]
    """

    def __init__(self, error: VerifierError, realm: str | None) -> None:
        super().__init__(
            status_code=error.status_code,
            detail=error.to_dict(),
            headers=dict(error_headers(error, realm)[1:]),
        )
        self.error = error


async def _handle_bearer_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BearerAuthError)  # noqa: S101 - registered for this class only
    return JSONResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def install_error_handler(app: Any) -> None:
    """Make :class:`RequireScope` failures use the RFC 6750 JSON body.

    Example::

        app = FastAPI()
        install_error_handler(app)
    """
    app.add_exception_handler(BearerAuthError, _handle_bearer_error)


class RequireScope:
    """FastAPI dependency (or plain async callable) returning verified Claims.

    Re-uses claims already verified by :class:`BearerAuthMiddleware`, otherwise
    verifies the request's token itself. The verifier is taken from
    ``verifier=``, else from the middleware, else from
    ``app.state.authserver_verifier``.

    Example::

        @app.get("/stores")
        async def list_stores(claims: Claims = Depends(RequireScope("stores:read"))):
            return {"user": claims.sub}

        # Starlette, without dependency injection:
        claims = await RequireScope("stores:read")(request)
    """

    def __init__(self, *scopes: str, verifier: Verifier | None = None) -> None:
        self.scopes = tuple(s for scope in scopes for s in scope.split())
        self.verifier = verifier

    def _verifier(self, request: Request) -> Verifier:
        verifier = self.verifier or request.scope.get(VERIFIER_KEY)
        if verifier is None:
            verifier = getattr(request.app.state, "authserver_verifier", None)
        if verifier is None:
            raise RuntimeError(
                "RequireScope needs verifier=..., BearerAuthMiddleware or "
                "app.state.authserver_verifier"
            )
        return verifier

    async def __call__(self, request: Request) -> Claims:
        verifier = self._verifier(request)
        try:
            claims = request.scope.get(CLAIMS_KEY)
            if claims is None:
                token = parse_authorization(_header(request.scope, b"authorization"))
                if token is None:
                    raise MissingToken(realm=verifier.realm)
                claims = await verify_async(verifier, token, self.scopes)
                request.scope[CLAIMS_KEY] = claims
                request.state.token_claims = claims
            else:
                verifier.check_scopes(claims, self.scopes)
        except VerifierError as exc:
            raise BearerAuthError(exc, verifier.realm) from None
        return claims
