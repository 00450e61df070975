"""Tenant branding on the hosted pages: the uploaded logo at ``{issuer}/branding/logo``,
the brand colour as a tiny stylesheet at ``{issuer}/branding/style.css`` (the pages'
Content-Security-Policy allows no inline style, and a stylesheet keeps it that way), and
the template values every page's base.html reads."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, request, url_for

from authserver.services.branding import uploaded_logo
from authserver.services.tenants import TenantInfo
from authserver.web.context import runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("branding", __name__)
_TENANT_PATH = re.compile(r"^/t/([a-z0-9-]{1,63})(?:/|$)")


def _cached(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get(f"{TENANT_PREFIX}/branding/logo")
def logo() -> Response:
    found = uploaded_logo(runtime().database, tenant().id)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.media_type)
    # Only ever an image: never a document that could run script on the issuer's origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline; filename=logo"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return _cached(response, found.etag)


@bp.get(f"{TENANT_PREFIX}/branding/style.css")
def stylesheet() -> Response:
    color = tenant().branding.color
    if color is None:
        abort(404)
    # The colour was validated as #rgb/#rrggbb when stored: nothing else reaches the CSS.
    body = f":root {{ --accent: {color}; }}\n"
    return _cached(Response(body, mimetype="text/css"), color.lstrip("#"))


def current_tenant() -> TenantInfo | None:
    """The tenant of this request, also for a page no route matched (a 404 under
    ``/t/<slug>/``), so that error pages carry the tenant's branding."""
    info: TenantInfo | None = g.get("tenant")
    if info is None:
        match = _TENANT_PATH.match(request.path)
        if match:
            info = runtime().tenants.find(match.group(1))
            g.brand_tenant = info  # for page_headers' img-src
    return info


def _template_values() -> dict[str, Any]:
    info = current_tenant()
    values: dict[str, Any] = {"tenant": info, "brand_logo": None, "brand_style": None}
    if info is None:
        return values
    brand = info.branding
    if brand.logo_etag:
        values["brand_logo"] = url_for("branding.logo", tenant=info.slug, v=brand.logo_etag)
    elif brand.logo_url:
        values["brand_logo"] = brand.logo_url
    if brand.color:
        values["brand_style"] = url_for("branding.stylesheet", tenant=info.slug,
                                        v=brand.color.lstrip("#"))
    return values


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # Values a view passes to render_template win over these (Flask's rule).
    app.context_processor(_template_values)
