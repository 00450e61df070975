"""The one page for a link that no longer works (a magic link, an email verification or
a password reset link: expired, already used or mistyped): what happened, its code, and
the way forward."""

from __future__ import annotations

from flask import Response, render_template

from authserver.services.error_codes import ErrorCode
from authserver.web.security import page_headers


def expired_link_page(error: ErrorCode, again_url: str | None, again_label: str,
                      status: int | None = None) -> Response:
    """``again_label`` is an English msgid (marked with N_ where it is written)."""
    html = render_template("link_expired.html", error=error, again_url=again_url,
                           again_label=again_label)
    return page_headers(Response(html, status=status or error.status, mimetype="text/html"))
