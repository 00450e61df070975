"""Further factors: after the first one, and when a session steps up (OIDC Core
§3.1.2.1 acr_values). Each factor joins the interaction's progress; once the factor
policy needs nothing more, a new session starts with the accumulated amr, acr and
auth_time (a new session id at sign-in and at step-up) and the request resumes."""

from __future__ import annotations

import dataclasses

from flask import Response, redirect, request, url_for

from authserver.protocol.interaction import AuthResult, Progress, Step, factor_step
from authserver.protocol.policies import acr_for, with_mfa
from authserver.services import sign_in_errors
from authserver.services.authn import Attempt, Outcome, Submission
from authserver.web.context import request_source, tenant
from authserver.web.interaction import gates, pending
from authserver.web.interaction.authenticators import authenticator, factor
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.flow import (
    Flow,
    expired,
    offered_methods,
    person,
    presented,
    proceed,
    resume,
    set_up_under,
)
from authserver.web.interaction.pages import render_factor_page
from authserver.web.interaction.waits import too_many_attempts, with_retry_after
from authserver.web.known_device import device_cookie, set_device_cookie
from authserver.web.security import check_csrf
from authserver.web.sessions import (
    cookie_name,
    current_session,
    sessions,
    set_session_cookie,
    this_browser,
)

__all__ = ["after_factor", "finish_sign_in", "offered_methods", "person", "render_factor_page",
           "throttled_page"]
NOT_OFFERED = sign_in_errors.METHOD_NOT_OFFERED.message
WRONG_CODE = sign_in_errors.WRONG_CODE.message


def _so_far(flow: Flow) -> Progress:
    """The progress, with what the person proved before this factor: this interaction's
    factors, or those of the session being stepped up."""
    progress = flow.progress
    if progress.authenticated is not None and not progress.logged_in:
        return progress
    active = current_session()
    if active is None or person(flow) != active.user_id:
        return dataclasses.replace(progress, authenticated=None)
    before = AuthResult(active.user_id, active.amr, active.acr, active.auth_time)
    return dataclasses.replace(progress, authenticated=before, logged_in=False)


def after_factor(flow: Flow, result: AuthResult, device_token: str | None = None) -> Response:
    """Join ``result`` to the interaction: the next factor page, or a new session and the
    request resumed when the policy needs nothing more."""
    progress = _so_far(flow).after_factor(result)
    done = progress.authenticated
    assert done is not None  # after_factor always records a result
    policy = flow.ctx.factor_policy
    if factor_step(flow.authz, policy, set_up_under(policy, done.user_id),
                   done.amr) is not None:
        if not pending.save(flow.uid, progress):
            return expired()
        response = redirect(url_for("authorize.interaction", tenant=tenant().slug,
                                    uid=flow.uid), 303)
    else:
        response = finish_sign_in(flow, progress, done)
    if device_token:
        set_device_cookie(response, device_token)
    return response


def finish_sign_in(flow: Flow, progress: Progress, done: AuthResult) -> Response:
    """Every factor is done: the first gate's page (gates.py) if one stops the sign-in,
    else a new session and the request resumed."""
    stop = gates.first_stop(flow, progress, done)
    if stop is not None:
        if not pending.save(flow.uid, progress):
            return expired()
        return stop
    return _start_session(flow, progress, done)


def _start_session(flow: Flow, progress: Progress, done: AuthResult) -> Response:
    amr = with_mfa(done.amr)
    token, _sid = sessions().start(done.user_id, list(amr), acr_for(amr), flow.ctx.clock(),
                                   replacing=request.cookies.get(cookie_name()),
                                   auth_time=done.auth_time, browser=this_browser())
    pending.new_flow_cookie()
    response = proceed(flow.ctx, flow.client, flow.authz, progress.signed_in(), flow.uid,
                       session_token=token)
    set_session_cookie(response, token)
    return response


def throttled_page(flow: Flow, step: Step, attempt: Attempt) -> Response:
    """The same page whatever was typed: wait this long."""
    wait = attempt.retry_after or 1
    return with_retry_after(render_factor_page(flow, step, error=too_many_attempts(wait),
                                               status=429), wait)


@bp.post("/interaction/<uid>/factor/<method>")
def further_factor(uid: str, method: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    user_id = person(flow)
    if user_id is None:
        return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)
    found = factor(method)
    offered = offered_methods(flow.ctx.factor_policy, user_id, presented(flow))
    if found is None or found.build is None or method not in offered:
        return render_factor_page(flow, Step.FACTOR, error=NOT_OFFERED, status=400)
    attempt = authenticator(method).authenticate(Submission(
        request.form, request_source(), device_cookie(), flow.ctx.clock(),
        user_id=user_id, attempt=uid))
    if attempt.outcome is Outcome.THROTTLED:
        return throttled_page(flow, Step.FACTOR, attempt)
    if attempt.result is None or attempt.result.user_id != user_id:
        return render_factor_page(flow, Step.FACTOR, error=attempt.error or WRONG_CODE,
                                  status=401)
    return after_factor(flow, attempt.result, attempt.device_token)
