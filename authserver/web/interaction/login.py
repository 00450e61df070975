"""Signing in: an authenticator checks a factor, its result joins the interaction's
progress, and once the factor policy needs nothing more the session starts with the
accumulated amr, acr and auth_time. Also the account chooser (prompt=select_account)."""

from __future__ import annotations

from flask import Response, redirect, request, url_for

from authserver.protocol.errors import AccessDeniedError
from authserver.protocol.interaction import AuthResult, Progress, Step, factor_step
from authserver.services.authn import Outcome, Submission
from authserver.web.client_address import source_address
from authserver.web.context import runtime, tenant
from authserver.web.interaction import pending
from authserver.web.interaction.authenticators import authenticator
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.flow import Flow, expired, finish_error, proceed, resume
from authserver.web.interaction.pages import render_step
from authserver.web.known_device import device_cookie, set_device_cookie
from authserver.web.security import check_csrf
from authserver.web.sessions import cookie_name, sessions, set_session_cookie


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
    return _after_factor(flow, attempt.result, attempt.device_token)


def _after_factor(flow: Flow, result: AuthResult, device_token: str | None) -> Response:
    done = flow.progress.so_far(result)
    progress = flow.progress.after_factor(result)
    if factor_step(flow.authz, flow.ctx.factor_policy, (), done.amr) is not None:
        # More factors to go: the interaction page asks for the next one.
        if not pending.save(flow.uid, progress):
            return expired()
        return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=flow.uid),
                        303)
    response = _start_session(flow, progress, done)
    if device_token:
        set_device_cookie(response, device_token)
    return response


def _start_session(flow: Flow, progress: Progress, done: AuthResult) -> Response:
    token, _sid = sessions().start(done.user_id, list(done.amr), done.acr, flow.ctx.clock(),
                                   replacing=request.cookies.get(cookie_name()),
                                   auth_time=done.auth_time)
    pending.new_flow_cookie()
    response = proceed(flow.ctx, flow.client, flow.authz, progress.signed_in(), flow.uid,
                       session_token=token)
    set_session_cookie(response, token)
    return response


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
