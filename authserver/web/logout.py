"""RP-Initiated Logout 1.0 (``end_session_endpoint``).

The person confirms on our page (a logout link must not sign anyone out by itself), then
is sent to ``post_logout_redirect_uri`` only if that exact URI is registered for the client
the ``id_token_hint`` or ``client_id`` names; otherwise they stay on authserver.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request, session

from authserver.protocol import jws
from authserver.protocol.context import TenantContext
from authserver.protocol.ports import ClientRecord
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


class LogoutRefused(Exception):
    pass


def _ctx() -> TenantContext:
    return runtime().tenant_context(tenant())


def _hinted_client_id(ctx: TenantContext, hint: str | None) -> str | None:
    if not hint:
        return None
    try:
        # An expired ID token is still a fine hint (RP-Initiated Logout §2); the signature
        # and issuer must be ours.
        claims = jws.verify(hint, ctx.keys.published(), jws.SIGNING_ALGS)
    except jws.JWSError:
        raise LogoutRefused("The id_token_hint was not issued by this server.") from None
    aud = claims.get("aud")
    aud = aud[0] if isinstance(aud, list) and len(aud) == 1 else aud
    if claims.get("iss") != ctx.issuer or not isinstance(aud, str):
        raise LogoutRefused("The id_token_hint was not issued by this server.")
    return aud


def _logout_request(ctx: TenantContext, params: Any) -> dict[str, Any]:
    client_id = params.get("client_id")
    hinted = _hinted_client_id(ctx, params.get("id_token_hint"))
    if client_id and hinted and client_id != hinted:
        raise LogoutRefused("client_id does not match the id_token_hint.")
    client_id = client_id or hinted
    client: ClientRecord | None = ctx.clients.get(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused("The application is not registered.")
    target = params.get("post_logout_redirect_uri")
    if target:
        if client is None:
            raise LogoutRefused("post_logout_redirect_uri needs id_token_hint or client_id.")
        if target not in client.post_logout_redirect_uris:
            raise LogoutRefused("post_logout_redirect_uri is not registered for this application.")
    state = params.get("state")
    return {"client_id": client_id, "target": target,
            "state": state if state and len(state) <= 2048 else None}


@bp.route("/logout", methods=["GET", "POST"])
def start_logout() -> Response:
    ctx = _ctx()
    params = request.form if request.method == "POST" else request.args
    try:
        pending = _logout_request(ctx, params)
    except LogoutRefused as exc:
        return error_page(str(exc))
    logout_id = secrets.token_urlsafe(16)
    # Bound to this tenant: the flow cookie is shared by every tenant under PUBLIC_URL, and
    # a confirmation at another tenant must not end that tenant's session and then follow
    # this tenant's client's post_logout_redirect_uri.
    session[LOGOUT_KEY] = {"id": logout_id, "tenant": tenant().slug, **pending}
    client = ctx.clients.get(pending["client_id"]) if pending["client_id"] else None
    html = render_template("logout.html", tenant=tenant(), active=current_session(),
                           client=client, logout_id=logout_id, csrf_token=csrf_token(),
                           returns=bool(pending["target"]))
    target = pending["target"]
    return page_headers(Response(html, mimetype="text/html"),
                        form_action=form_action_for(target) if target else "'self'")


@bp.post("/logout/confirm")
def end_session() -> Response:
    check_csrf()
    pending = session.pop(LOGOUT_KEY, None)
    if (not pending or pending.get("id") != request.form.get("logout_id")
            or pending.get("tenant") != tenant().slug):
        return error_page("This sign-out request has expired. Try again from the application.")
    signed_out = request.form.get("action") == "logout"
    response: Response
    if signed_out:
        sessions().end(request.cookies.get(cookie_name()), _ctx().clock())
    if pending.get("target"):
        params = [("state", pending["state"])] if pending.get("state") else []
        separator = "&" if urlsplit(pending["target"]).query else "?"
        response = redirect(pending["target"] + (separator + urlencode(params) if params else ""),
                            303)
    else:
        html = render_template("logged_out.html", tenant=tenant(), signed_out=signed_out)
        response = page_headers(Response(html, mimetype="text/html"))
    if signed_out:
        clear_session_cookie(response)
    return response
