"""The consent page's answer (OIDC Core §3.1.2.4): remembered scopes, or access_denied."""

from __future__ import annotations

from flask import Response, request

from authserver.protocol.errors import AccessDeniedError
from authserver.services import sign_in_errors
from authserver.services.consent import ConsentService
from authserver.web.context import runtime, tenant
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.flow import finish_error, proceed, resume
from authserver.web.redirects import error_page
from authserver.web.security import check_csrf
from authserver.web.sessions import current_session


@bp.post("/interaction/<uid>/consent")
def consent(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    active = current_session()
    if active is None:
        return error_page(sign_in_errors.SESSION_ENDED.message)
    if request.form.get("action") != "approve":
        return finish_error(flow, AccessDeniedError("The user denied access."))
    ConsentService(runtime().database, tenant().id).remember(
        active.user_id, flow.client.client_id, flow.authz.scope.split(), flow.ctx.clock())
    return proceed(flow.ctx, flow.client, flow.authz, flow.progress.consent_given(), uid)
