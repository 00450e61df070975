"""The password-change gate (issue 10 item 4, validity period): after the factors and
before the session starts, a person whose password expired (the tenant's max_age) or
whom an operator marked "change required" chooses a new one at
``{issuer}/interaction/<uid>/password-change``; the sign-in then goes on to consent and
the code.

It stops everyone who has a password that is due, whatever factor they signed in with
(a passkey or a magic link included): the expiry is a property of the password, and a
password left expired would still work on the next password sign-in. A person without a
password is never stopped. The page needs no JavaScript: a form with the new password
twice, and the policy's reasons with their codes when it refuses.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, redirect, render_template, request, url_for

from authserver.protocol.interaction import AuthResult, Progress
from authserver.runtime.outbox_wiring import durable_notifier
from authserver.services.error_codes import ErrorCode
from authserver.services.password_change import PasswordChanges
from authserver.services.password_policy import (
    NEW_PASSWORDS_DIFFER,
    TOO_LONG,
    PasswordRefused,
)
from authserver.web.context import runtime, tenant
from authserver.web.i18n import request_locale
from authserver.web.interaction.factors import finish_sign_in
from authserver.web.interaction.flow import Flow, resume
from authserver.web.interaction.gates import register_gate
from authserver.web.password_pages import MAX_PASSWORD, problem_lines
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("password_change", __name__, url_prefix=TENANT_PREFIX)


def password_changes() -> PasswordChanges:
    rt, t = runtime(), tenant()
    return PasswordChanges(rt.database, rt.throttle, durable_notifier(rt),
                           rt.passwords, t.id, t.display_name, request_locale())


def _page(uid: str, why: ErrorCode, status: int = 200, **context: Any) -> Response:
    html = render_template("password_change.html", tenant=tenant(), uid=uid,
                           csrf_token=csrf_token(), why=why, **context)
    response = page_headers(Response(html, status=status, mimetype="text/html"))
    response.headers["Cache-Control"] = "no-store"
    return response


def _gate(flow: Flow, progress: Progress, done: AuthResult) -> Response | None:
    due = password_changes().due(done.user_id, flow.ctx.clock())
    if due is None:
        return None
    return redirect(url_for("password_change.change_page", tenant=tenant().slug,
                            uid=flow.uid), 303)


def _stopped(uid: str) -> tuple[Flow, AuthResult] | Response:
    """The interaction and who it stopped, or where to go instead (the interaction's
    own page when nobody has signed in in it yet, or it already finished)."""
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    done = flow.progress.authenticated
    if done is None or flow.progress.logged_in:
        return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)
    return flow, done


@bp.get("/interaction/<uid>/password-change")
def change_page(uid: str) -> Response:
    found = _stopped(uid)
    if isinstance(found, Response):
        return found
    flow, done = found
    due = password_changes().due(done.user_id, flow.ctx.clock())
    if due is None:
        return finish_sign_in(flow, flow.progress, done)
    return _page(uid, due)


@bp.post("/interaction/<uid>/password-change")
def change_submit(uid: str) -> Response:
    check_csrf()
    found = _stopped(uid)
    if isinstance(found, Response):
        return found
    flow, done = found
    service = password_changes()
    now = flow.ctx.clock()
    due = service.due(done.user_id, now)
    if due is None:
        return finish_sign_in(flow, flow.progress, done)
    new = request.form.get("password", "")
    again = request.form.get("password_again", "")
    if len(new) > MAX_PASSWORD or len(again) > MAX_PASSWORD:
        return _page(uid, due, TOO_LONG.status, problems=problem_lines([TOO_LONG]))
    if new != again:
        return _page(uid, due, NEW_PASSWORDS_DIFFER.status,
                     problems=problem_lines([NEW_PASSWORDS_DIFFER]))
    try:
        service.change_due(done.user_id, new, now)
    except PasswordRefused as refused:
        return _page(uid, due, 400, problems=problem_lines(refused.codes))
    return finish_sign_in(flow, flow.progress, done)


def register(app: Flask) -> None:
    register_gate("password_change", _gate)
    app.register_blueprint(bp)
