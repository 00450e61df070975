"""RP-Initiated Logout 1.0 (``end_session_endpoint``): the pages.

The person confirms on our page (a logout link must not sign anyone out by itself), then
is sent where protocol/logout.py decided: the client's registered
``post_logout_redirect_uri``, or nowhere (they stay on authserver).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, redirect, render_template, request, session

from authserver.protocol.context import TenantContext
from authserver.protocol.errors import LogoutRefused
from authserver.protocol.logout import check_logout_request, return_uri
from authserver.services import sign_in_errors
from authserver.web.context import runtime, tenant
from authserver.web.redirects import error_page, form_action_for
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.sessions import (
    clear_session_cookie,
    cookie_name,
    current_session,
    sessions,
)
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("logout", __name__, url_prefix=TENANT_PREFIX)
LOGOUT_KEY = "logout"


def _ctx() -> TenantContext:
    return runtime().tenant_context(tenant())


@bp.route("/logout", methods=["GET", "POST"])
def start_logout() -> Response:
    ctx = _ctx()
    params = request.form if request.method == "POST" else request.args
    try:
        logout = check_logout_request(params, ctx.issuer, ctx.keys.published, ctx.clients.get)
    except LogoutRefused as exc:
        return error_page(exc.description)
    logout_id = secrets.token_urlsafe(16)
    target = logout.post_logout_redirect_uri
    # Bound to this tenant: the flow cookie is shared by every tenant under PUBLIC_URL, and
    # a confirmation at another tenant must not end that tenant's session and then follow
    # this tenant's client's post_logout_redirect_uri.
    session[LOGOUT_KEY] = {"id": logout_id, "tenant": tenant().slug,
                           "client_id": logout.client_id, "target": target,
                           "state": logout.state}
    html = render_template("logout.html", tenant=tenant(), active=current_session(),
                           client=logout.client, logout_id=logout_id, csrf_token=csrf_token(),
                           returns=bool(target))
    return page_headers(Response(html, mimetype="text/html"),
                        form_action=form_action_for(target) if target else "'self'")


@bp.post("/logout/confirm")
def end_session() -> Response:
    check_csrf()
    pending = session.pop(LOGOUT_KEY, None)
    if (not pending or pending.get("id") != request.form.get("logout_id")
            or pending.get("tenant") != tenant().slug):
        return error_page(sign_in_errors.SIGN_OUT_EXPIRED.message)
    signed_out = request.form.get("action") == "logout"
    response: Response
    if signed_out:
        sessions().end(request.cookies.get(cookie_name()), _ctx().clock())
    if pending.get("target"):
        response = redirect(return_uri(pending["target"], pending.get("state")), 303)
    else:
        html = render_template("logged_out.html", tenant=tenant(), signed_out=signed_out)
        response = page_headers(Response(html, mimetype="text/html"))
    if signed_out:
        clear_session_cookie(response)
    return response
