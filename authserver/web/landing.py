"""The server's root page: says what this is. It lists no tenants (their slugs are not
public information); in development it links to the demo relying party."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, url_for

from authserver.web.security import page_headers

bp = Blueprint("landing", __name__)


@bp.get("/")
def landing() -> Response:
    demo_rp = url_for("demo_rp.index") if "demo_rp" in current_app.blueprints else None
    html = render_template("landing.html", demo_rp=demo_rp)
    return page_headers(Response(html, mimetype="text/html"))
