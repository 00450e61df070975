"""Browser-facing protections: CSRF tokens, security headers, cookie naming."""

from __future__ import annotations

import hmac
import secrets

from flask import Response, abort, g, has_request_context, request, session
from werkzeug.datastructures import MultiDict

from authserver.services.sign_in_errors import FORM_EXPIRED, NUL_CHARACTER

CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """Every form POST carries the token bound to this browser's flow cookie."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description=FORM_EXPIRED.message)


def refuse_nul_bytes() -> None:
    """Before every Flask request: no NUL in query, form fields, uploaded file names or
    cookies, whatever the body's content type (NUL is never valid in any parameter we
    read, and PostgreSQL text columns cannot hold it). The token endpoint never gets
    here: its WSGI front (token_endpoint.py) refuses NUL while parsing."""
    if _has_nul(request.args) or _has_nul(request.cookies):
        _refuse_nul()
    if request.mimetype == "application/x-www-form-urlencoded":
        # The raw body, cached: views parse it again later (form or parse_urlencoded), and
        # scanning bytes is cheaper than building the form twice.
        body = request.get_data(cache=True)
        if b"\x00" in body or b"%00" in body:
            _refuse_nul()
    elif request.mimetype == "multipart/form-data":
        # Parsed here once; werkzeug keeps the result, so views read the same objects.
        files = request.files
        if (_has_nul(request.form)
                or any("\x00" in (key or "") or "\x00" in (upload.filename or "")
                       for key, upload in files.items(multi=True))):
            _refuse_nul()


def _has_nul(source: MultiDict[str, str]) -> bool:
    # A multipart part with a malformed Content-Disposition has no name: werkzeug gives
    # None as its key, which views never ask for.
    return any("\x00" in (key or "") or "\x00" in (value or "")
               for key, value in source.items(multi=True))


def _refuse_nul() -> None:
    abort(400, description=NUL_CHARACTER.message)


def page_headers(response: Response, form_action: str = "'self'") -> Response:
    """Headers for login, consent and logout pages (docs/security.md)."""
    images = "'self' data:"
    info = (g.get("tenant") or g.get("brand_tenant")) if has_request_context() else None
    origin = info.branding.logo_origin if info is not None else None
    if origin:
        # A tenant's logo by URL: its origin was validated (https, a plain host) when set.
        images += f" {origin}"
    response.headers["Content-Security-Policy"] = (
        # Scripts only from our origin, never inline: the passkey ceremony's one file.
        f"default-src 'none'; style-src 'self'; img-src {images}; script-src 'self'; "
        "connect-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def session_cookie_name(tenant_slug: str, https: bool) -> str:
    # __Host- pins the cookie to this exact origin, https only, Path=/ (RFC 6265bis §4.1.3.2).
    return f"__Host-as-{tenant_slug}" if https else f"as-{tenant_slug}"
