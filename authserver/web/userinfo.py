"""UserInfo endpoint (OIDC Core §5.3) with Bearer tokens (RFC 6750)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from authserver.protocol.claim_mapping import load_for, mapped_claims
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import (
    BearerTokenMissingError,
    InsufficientScopeError,
    InvalidRequestError,
    InvalidTokenError,
    OAuth2Error,
    bearer_error_response,
)
from authserver.protocol.oidc import released_claims
from authserver.protocol.token_activity import access_token_activity
from authserver.web import cors
from authserver.web.context import runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("userinfo", __name__, url_prefix=TENANT_PREFIX)


NO_TOKEN = "This endpoint needs an access token: send Authorization: Bearer <token>."


def _challenge(ctx: TenantContext, error: OAuth2Error) -> Response:
    status, body, headers = bearer_error_response(error, ctx.issuer)
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def _bearer_token() -> tuple[str | None, bool]:
    """(token, malformed): from the Authorization header or a POSTed form (RFC 6750 §2)."""
    header = request.headers.get("Authorization")
    form_token = (request.form.get("access_token") if request.method == "POST"
                  and request.mimetype == "application/x-www-form-urlencoded" else None)
    if header and form_token:
        return None, True  # RFC 6750 §2: exactly one method
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            # Another scheme is no Bearer credential at all: a bare challenge (§3.1).
            return form_token, False
        if not value.strip() or " " in value.strip():
            return None, True
        return value.strip(), False
    return form_token, False


@bp.route("/userinfo", methods=["GET", "POST"], provide_automatic_options=False)
@cors.cors(cors.USERINFO)
def userinfo() -> Response:
    ctx = runtime().tenant_context(tenant())
    token, malformed = _bearer_token()
    if malformed:
        return _challenge(ctx, InvalidRequestError("Send one Bearer token."))
    if not token:
        # RFC 6750 §3.1: no credentials sent, so no error code; the header stays a bare
        # challenge and the body only says what to send.
        return _challenge(ctx, BearerTokenMissingError(NO_TOKEN))
    # The token must be for authserver itself: without a resource indicator, its aud is
    # the issuer (protocol/tokens.py).
    activity = access_token_activity(ctx, token, ctx.clock(), audience=ctx.issuer,
                                     user_required=True)
    if activity.claims is None:
        return _challenge(ctx, InvalidTokenError("The access token is not valid here."))
    cors.identify(activity.claims.get("client_id"))  # the token's client decides CORS from here
    if not activity.active or activity.grant is None or activity.user is None:
        return _challenge(ctx, InvalidTokenError("The access token is not active."))
    scope = str(activity.claims.get("scope", ""))
    if "openid" not in scope.split():
        return _challenge(ctx, InsufficientScopeError("The openid scope is required.",
                                                      scope="openid"))
    claims = released_claims(activity.user, activity.grant, scope, "userinfo")
    client = ctx.clients.get(str(activity.claims.get("client_id", "")))
    if client is not None:
        # The client's claim mapping may add roles and attributes; never a standard claim.
        mapped = load_for(ctx.user_claims, client.claim_mapping, activity.user.id,
                          ("userinfo",))
        extra = mapped_claims(client.claim_mapping, mapped, "userinfo")
        claims.update({k: v for k, v in extra.items() if k not in claims})
    response = jsonify(claims)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/userinfo", methods=["OPTIONS"])
def userinfo_preflight() -> Response:
    return cors.preflight(cors.USERINFO)
