"""Answering the client: authorization responses (query or form_post) and error pages."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Response, redirect, render_template, request

from authserver.protocol.authorization import RedirectTarget
from authserver.protocol.errors import OAuth2Error, redirect_error_params
from authserver.web.security import page_headers


def authorization_response(issuer: str, target: RedirectTarget, code: str | None = None,
                           error: OAuth2Error | None = None) -> Response:
    """Send ``code`` or ``error`` to the client, with ``state`` and ``iss`` (RFC 9207)."""
    params: list[tuple[str, str]] = []
    if code is not None:
        params.append(("code", code))
    if error is not None:
        params.extend(redirect_error_params(error))
    if target.state is not None:
        params.append(("state", target.state))
    params.append(("iss", issuer))
    if target.response_mode == "form_post":
        return _form_post(target.redirect_uri, params)
    separator = "&" if urlsplit(target.redirect_uri).query else "?"
    # 303 after a POST so the browser never re-sends credentials (RFC 9700 §4.12).
    status = 303 if request.method == "POST" else 302
    response = redirect(target.redirect_uri + separator + urlencode(params), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _form_post(redirect_uri: str, params: list[tuple[str, str]]) -> Response:
    nonce = secrets.token_urlsafe(16)
    html = render_template("form_post.html", action=redirect_uri, params=params, nonce=nonce)
    response = page_headers(Response(html, mimetype="text/html"),
                            form_action=_origin(redirect_uri))
    response.headers["Content-Security-Policy"] += f"; script-src 'nonce-{nonce}'"
    return response


def form_action_for(uri: str) -> str:
    """CSP form-action for a page whose POST answers with a redirect to ``uri``: browsers
    apply form-action to the redirect too (CSP Level 3), so its origin must be allowed."""
    return f"'self' {_origin(uri)}"


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    # Private-use schemes (native apps) have no host: allow the scheme itself.
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


def error_page(description: str, status: int = 400) -> Response:
    """An error shown on authserver itself: the redirect URI could not be trusted."""
    html = render_template("error.html", description=description)
    return page_headers(Response(html, status=status, mimetype="text/html"))
