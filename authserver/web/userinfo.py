"""UserInfo endpoint (OIDC Core §5.3) with Bearer tokens (RFC 6750)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from authserver.protocol.access_tokens import verified_claims
from authserver.protocol.context import TenantContext
from authserver.protocol.oidc import released_claims
from authserver.web import cors
from authserver.web.context import runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("userinfo", __name__, url_prefix=TENANT_PREFIX)


NO_TOKEN = "This endpoint needs an access token: send Authorization: Bearer <token>."


def _challenge(ctx: TenantContext, status: int, error: str | None = None,
               description: str | None = None, scope: str | None = None) -> Response:
    parts = [f'realm="{ctx.issuer}"']
    if error:
        parts.append(f'error="{error}"')
        if description:
            parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    body: dict[str, str] = {"error": error} if error else {}
    if description:
        body["error_description"] = description
    response = jsonify(body)
    response.status_code = status
    response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(parts)
    response.headers["Cache-Control"] = "no-store"
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
        return _challenge(ctx, 400, "invalid_request", "Send one Bearer token.")
    if not token:
        # RFC 6750 §3.1: no credentials sent, so no error code; the header stays a bare
        # challenge and the body only says what to send.
        return _challenge(ctx, 401, description=NO_TOKEN)
    claims = verified_claims(ctx, token)
    aud = claims.get("aud") if claims else None
    audiences = aud if isinstance(aud, list) else [aud]
    if claims is None or ctx.issuer not in audiences:
        return _challenge(ctx, 401, "invalid_token", "The access token is not valid here.")
    cors.identify(claims.get("client_id"))  # the token's client decides CORS from here
    grant = ctx.access_tokens.access_token_grant(claims["jti"], ctx.clock())
    if grant is None or ctx.access_tokens.is_access_token_revoked(claims["jti"]):
        return _challenge(ctx, 401, "invalid_token", "The access token is not active.")
    if "openid" not in str(claims.get("scope", "")).split():
        return _challenge(ctx, 403, "insufficient_scope", "The openid scope is required.",
                          "openid")
    user = ctx.users.by_sub(claims["sub"])
    if user is None or user.disabled:
        return _challenge(ctx, 401, "invalid_token", "The access token is not active.")
    response = jsonify(released_claims(user, grant, str(claims.get("scope", "")), "userinfo"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/userinfo", methods=["OPTIONS"])
def userinfo_preflight() -> Response:
    return cors.preflight(cors.USERINFO)
