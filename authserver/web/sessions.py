"""The sign-in session cookie, and Flask-Login wiring so views see ``current_user``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Request, Response, g, request
from flask_login import LoginManager, UserMixin

from authserver.services.error_codes import ErrorCode
from authserver.services.sessions import ActiveSession, Browser, SessionService
from authserver.web.context import request_source, runtime, tenant
from authserver.web.security import session_cookie_name


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """What Flask-Login calls the user: here, a live sign-in session."""

    session: ActiveSession

    def get_id(self) -> str:
        return self.session.sub


def sessions() -> SessionService:
    rt = runtime()
    limits = rt.session_limits(tenant())
    return SessionService(rt.database, tenant().id, limits.idle, limits.absolute,
                          single_session=tenant().accounts.single_session)


def this_browser() -> Browser:
    """The user agent and source address of this request, for a new session."""
    return Browser(request.headers.get("User-Agent"), request_source())


def cookie_name() -> str:
    return session_cookie_name(tenant().slug, runtime().settings.https)


def current_session() -> ActiveSession | None:
    """The live session of this browser for the current tenant (cached per request)."""
    if "signed_in" not in g:
        token = request.cookies.get(cookie_name())
        seen = sessions().look_up(token, runtime().clock()) if token else None
        g.signed_in = seen.active if seen else None
        g.signed_out = seen.signed_out if seen else None
    active: ActiveSession | None = g.signed_in
    return active


def signed_out_notice() -> ErrorCode | None:
    """Why this browser's session was ended by someone or something else (None when it
    is live, was signed out here, or the cookie names no session). The page that shows
    it clears the cookie (clear_session_cookie), so it is said once."""
    current_session()
    notice: ErrorCode | None = g.get("signed_out")
    return notice


def set_session_cookie(response: Response, token: str) -> None:
    settings = runtime().settings
    max_age = runtime().session_limits(tenant()).absolute
    response.set_cookie(cookie_name(), token, max_age=max_age, path="/",
                        secure=settings.https, httponly=True, samesite="Lax")
    g.pop("signed_in", None)
    g.pop("signed_out", None)


def clear_session_cookie(response: Response) -> None:
    settings = runtime().settings
    response.delete_cookie(cookie_name(), path="/", secure=settings.https, httponly=True,
                           samesite="Lax")


def _load_from_request(_request: Request) -> SignedInUser | None:
    if "tenant" not in g:
        return None
    active = current_session()
    return SignedInUser(active) if active else None


def register(app: Flask) -> None:
    manager = LoginManager()
    # Sessions are ours (server-side, per tenant); Flask-Login only exposes them.
    manager.request_loader(_load_from_request)
    # Not manager.init_app(app): it adds a remember-me after_request hook (we never set a
    # remember cookie) that reads Flask's session on every response, and Flask then sends
    # "Vary: Cookie" even with public, cacheable documents (JWKS, discovery); and a
    # current_user template variable no template uses. This is the rest of init_app.
    app.login_manager = manager  # type: ignore[attr-defined]
