"""Flask extension: ``BearerAuth`` plus the ``require_scope`` decorator.

Example::

    from flask import Flask
    from authserver_verifier import Verifier
    from authserver_verifier.contrib.flask import BearerAuth, current_claims, require_scope

    app = Flask(__name__)
    BearerAuth(app, verifier=Verifier(issuer=ISSUER, audience="stores-api",
                                      algorithms=("ES256",)))

    @app.get("/stores")
    @require_scope("stores:read")
    def list_stores():
        return {"user": current_claims().sub}
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, request

from ..claims import Claims
from ..errors import VerifierError
from ..verifier import Verifier
from ._common import MissingToken, error_body, error_headers, parse_authorization

__all__ = ["EXTENSION_KEY", "BearerAuth", "current_claims", "require_scope"]

EXTENSION_KEY = "authserver_verifier"
F = TypeVar("F", bound=Callable[..., Any])


class BearerAuth:
    """Flask extension holding the :class:`~authserver_verifier.Verifier` for an app.

    Give a ready ``verifier``, or let :meth:`init_app` build one from the app
    config: ``AUTHSERVER_ISSUER``, ``AUTHSERVER_AUDIENCE``,
    ``AUTHSERVER_ALGORITHMS`` (default ``("ES256",)``, the algorithm authserver
    signs with) and optionally ``AUTHSERVER_JWKS_URI``.

    Example::

        auth = BearerAuth()
        auth.init_app(app)            # application-factory style

        @app.get("/me")
        @auth.require_scope()         # any valid token
        def me():
            return {"sub": current_claims().sub}
    """

    def __init__(
        self,
        app: Flask | None = None,
        verifier: Verifier | None = None,
        *,
        realm: str | None = None,
    ) -> None:
        self.verifier = verifier
        self.realm = realm
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension on ``app`` (builds the verifier from config if needed).

        Example::

            app.config.update(AUTHSERVER_ISSUER="https://auth.example.com/t/default",
                              AUTHSERVER_AUDIENCE="stores-api")
            BearerAuth().init_app(app)
        """
        if self.verifier is None:
            cfg = app.config
            self.verifier = Verifier(
                issuer=cfg["AUTHSERVER_ISSUER"],
                audience=cfg["AUTHSERVER_AUDIENCE"],
                algorithms=cfg.get("AUTHSERVER_ALGORITHMS", ("ES256",)),
                jwks_uri=cfg.get("AUTHSERVER_JWKS_URI"),
            )
        app.extensions[EXTENSION_KEY] = self

    @property
    def _realm(self) -> str:
        return self.realm or cast(Verifier, self.verifier).realm

    def authenticate(self, required_scopes: Iterable[str] = ()) -> Claims:
        """Verify the current request's bearer token; raises a VerifierError on failure.

        Example::

            claims = auth.authenticate(["stores:read"])
        """
        verifier = self.verifier
        if verifier is None:
            raise RuntimeError("BearerAuth has no verifier; call init_app first")
        token = parse_authorization(request.headers.get("Authorization"))
        if token is None:
            raise MissingToken(realm=self._realm)
        claims = verifier.verify(token, tuple(required_scopes))
        g.token_claims = claims
        return claims

    def error_response(self, exc: VerifierError) -> Response:
        """Turn a VerifierError into the JSON + ``WWW-Authenticate`` response.

        Example::

            @app.errorhandler(VerifierError)
            def on_auth_error(exc):
                return auth.error_response(exc)
        """
        return Response(
            error_body(exc), status=exc.status_code, headers=error_headers(exc, self._realm)
        )

    def require_scope(self, *scopes: str) -> Callable[[F], F]:
        """Decorator: the view runs only with a valid token granting every scope.

        Example::

            @app.post("/stores")
            @auth.require_scope("stores:write")
            def create_store(): ...
        """
        return _decorator(lambda: self, scopes)


def _extension() -> BearerAuth:
    try:
        return cast(BearerAuth, current_app.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError("BearerAuth is not initialised on this app") from None


def _decorator(get_ext: Callable[[], BearerAuth], scopes: tuple[str, ...]) -> Callable[[F], F]:
    required = tuple(s for scope in scopes for s in scope.split())

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ext = get_ext()
            try:
                ext.authenticate(required)
            except VerifierError as exc:
                return ext.error_response(exc)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def require_scope(*scopes: Any) -> Any:
    """Protect a view: require a valid bearer token granting all ``scopes``.

    Puts the :class:`~authserver_verifier.Claims` on ``flask.g.token_claims``
    (read them with :func:`current_claims`). Use without scopes (``@require_scope()``
    or bare ``@require_scope``) to require just a valid token.

    Example::

        @app.get("/stores/<int:store_id>")
        @require_scope("stores:read")
        def get_store(store_id):
            return {"id": store_id, "owner": current_claims().sub}
    """
    if len(scopes) == 1 and callable(scopes[0]):
        return _decorator(_extension, ())(scopes[0])
    return _decorator(_extension, scopes)


def current_claims() -> Claims:
    """Return the claims verified for the current request.

    Raises ``RuntimeError`` if the view is not protected by ``require_scope``.

    Example::

        sub = current_claims().sub
    """
    claims = g.get("token_claims")
    if claims is None:
        raise RuntimeError("no verified token for this request; use @require_scope")
    return cast(Claims, claims)
