"""The first factor (a password; passwordless ways in add their own routes) and the
account chooser (prompt=select_account). What happens after a factor: factors.py."""

from __future__ import annotations

from flask import Response, request

from authserver.protocol.errors import AccessDeniedError
from authserver.protocol.interaction import Step
from authserver.services.authn import Outcome, Submission
from authserver.web.client_address import source_address
from authserver.web.context import runtime
from authserver.web.interaction.authenticators import authenticator
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import after_factor
from authserver.web.interaction.flow import finish_error, proceed, resume
from authserver.web.interaction.pages import render_step
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
    rt = runtime()
    attempt = authenticator("pwd").authenticate(Submission(
        request.form, source_address(request.environ, rt.settings.trusted_proxies),
        device_cookie(), flow.ctx.clock()))
    if attempt.outcome is Outcome.THROTTLED:
        # The same page whether or not the account exists and whatever the password.
        wait = attempt.retry_after or 1
        page = render_step(Step.LOGIN, flow, None, identifier=identifier,
                           error=f"Too many attempts. Try again in {_minutes(wait)}.",
                           status=429)
        page.headers["Retry-After"] = str(wait)
        return page
    if attempt.result is None:
        return render_step(Step.LOGIN, flow, None, identifier=identifier,
                           error="The email address or password is not correct.", status=401)
    return after_factor(flow, attempt.result, attempt.device_token)


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@bp.post("/interaction/<uid>/account")
def choose_account(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if request.form.get("action") == "switch":
        return render_step(Step.LOGIN, flow, None)
    return proceed(flow.ctx, flow.client, flow.authz, flow.progress.account_confirmed(), uid)
