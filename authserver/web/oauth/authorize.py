"""The authorization endpoint (RFC 6749 §3.1, §4.1.1; OIDC Core §3.1.2.1).

It validates the request (protocol.authorization) and answers at once when it can (an
error, or a code for a browser already signed in); otherwise it hands the request to
the interaction pages (web/interaction/), which keep it server-side, bound to this
browser, until the person has done what the protocol asks.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from authserver.protocol.authorization import UntrustedRequest, trusted_client, validate
from authserver.protocol.errors import OAuth2Error
from authserver.protocol.interaction import Progress
from authserver.web.interaction.flow import proceed, tenant_context
from authserver.web.params import query_params
from authserver.web.redirects import authorization_response, error_page
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("oauth_authorize", __name__, url_prefix=TENANT_PREFIX)


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    ctx = tenant_context()
    source = request.form if request.method == "POST" else request.args
    for name in ("client_id", "redirect_uri"):
        if len(source.getlist(name)) > 1:
            return error_page(f"The request repeats the {name} parameter.")
    try:
        client, target = trusted_client({k: source.get(k, "") for k in source if source.get(k)},
                                        ctx.clients.get)
    except UntrustedRequest as exc:
        return error_page(exc.description)
    try:
        params, resources = query_params(request)
        authz = validate(params, resources, client, target, ctx.apis)
    except OAuth2Error as error:
        return authorization_response(ctx.issuer, target, error=error)
    return proceed(ctx, client, authz, Progress(), uid=None)
