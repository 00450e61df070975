"""``GET {issuer}/account``: the person's own page (their ways of signing in)."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from authserver.web.account.access import AccountView, signed_in_account
from authserver.web.account.blueprint import bp
from authserver.web.account.sections import sections
from authserver.web.context import tenant
from authserver.web.security import csrf_token, page_headers


@bp.get("")
def home() -> Response:
    view = signed_in_account()
    if isinstance(view, Response):
        return view
    return render_account(view)


def render_account(view: AccountView, notice: str | None = None, error: str | None = None,
                   status: int = 200, **once: Any) -> Response:
    """The account page; ``once`` values (new recovery codes, a new TOTP secret) are
    shown on this response only and never stored for a later one."""
    shown = []
    for section in sections():
        extra = dict(section.context(view)) if section.context else {}
        shown.append((section, extra))
    html = render_template("account/home.html", view=view, tenant=tenant(), sections=shown,
                           notice=notice, error=error, once=once, csrf_token=csrf_token())
    response = page_headers(Response(html, status=status, mimetype="text/html"))
    response.headers["Cache-Control"] = "no-store"
    return response
