"""The first factor (a password; passwordless ways in add their own routes) and the
account chooser (prompt=select_account). What happens after a factor: factors.py."""

from __future__ import annotations

from flask import Response, request

from authserver.protocol.errors import AccessDeniedError
from authserver.protocol.interaction import Step
from authserver.services import sign_in_errors
from authserver.services.authn import Outcome, Submission
from authserver.web.context import request_source
from authserver.web.interaction.authenticators import authenticator
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import after_factor
from authserver.web.interaction.flow import finish_error, proceed, resume
from authserver.web.interaction.pages import render_step
from authserver.web.interaction.waits import too_many_attempts, with_retry_after
from authserver.web.known_device import device_cookie
from authserver.web.security import check_csrf


@bp.post("/interaction/<uid>/login")
def login(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if request.form.get("action") == "cancel":
        return finish_error(flow, AccessDeniedError("The user cancelled sign-in."))
    identifier = request.form.get("identifier", "")
    attempt = authenticator("pwd").authenticate(Submission(
        request.form, request_source(), device_cookie(), flow.ctx.clock()))
    if attempt.outcome is Outcome.THROTTLED:
        # The same page whether or not the account exists and whatever the password.
        wait = attempt.retry_after or 1
        return with_retry_after(render_step(Step.LOGIN, flow, None, identifier=identifier,
                                            error=too_many_attempts(wait), status=429), wait)
    if attempt.result is None:
        return render_step(Step.LOGIN, flow, None, identifier=identifier,
                           error=sign_in_errors.SIGN_IN_REFUSED.message, status=401)
    return after_factor(flow, attempt.result, attempt.device_token)


@bp.post("/interaction/<uid>/account")
def choose_account(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if request.form.get("action") == "switch":
        return render_step(Step.LOGIN, flow, None)
    return proceed(flow.ctx, flow.client, flow.authz, flow.progress.account_confirmed(), uid)
