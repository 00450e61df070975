"""Self sign-up pages and API (issue 10 item 1): ``{issuer}/signup`` (form),
``{issuer}/signup/verify`` (the mailed link), ``POST {issuer}/api/v1/signup`` (JSON), and
the sign-in gate that stops an account whose address is not verified yet.

Every accepted request answers the same whether an account was created, the address
already had one or the request was rate limited (services/signup.py). Only a client
registered with ``explicit_errors`` gets the precise reason from the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request, url_for

from authserver.i18n import N_
from authserver.protocol.interaction.progress import AuthResult, Progress
from authserver.runtime.outbox_wiring import durable_notifier
from authserver.services import invitations
from authserver.services import signup as service
from authserver.services.error_codes import ErrorCode
from authserver.services.link_resend import RESEND_WAIT, LinkResend, Resent
from authserver.web.context import request_source, runtime, tenant
from authserver.web.expired import expired_link_page
from authserver.web.i18n import request_locale
from authserver.web.interaction.flow import Flow, expired, resume
from authserver.web.interaction.gates import register_gate
from authserver.web.password_pages import problem_lines
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("signup", __name__, url_prefix=TENANT_PREFIX)
SENT = {"status": "verification_sent"}
_FIELDS = ("email", "password", "given_name", "family_name", "client_id")


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(template, tenant=tenant(), **context)
    return page_headers(Response(html, status=status, mimetype="text/html"))


def _issuer() -> str:
    return runtime().tenant_context(tenant()).issuer


def _submit(fields: service.SignupRequest) -> service.Outcome:
    rt = runtime()
    issuer = _issuer()
    return service.sign_up(
        rt.database, durable_notifier(rt), rt.throttle, rt.passwords, tenant(),
        fields, request_source(), rt.clock(),
        lambda token: f"{issuer}/signup/verify?token={token}", f"{issuer}/account",
        request_locale())


@bp.route("/signup", methods=["GET", "POST"])
def signup_page() -> Response:
    if not tenant().accounts.signup.enabled:
        return _page("signup_message.html", 403, title=service.SIGNUP_OFF.message,
                     code=service.SIGNUP_OFF.code)
    if request.method == "GET":
        return _page("signup.html", csrf_token=csrf_token(), error=None, values={},
                     problems=[])
    check_csrf()
    form = request.form
    fields = service.SignupRequest(
        form.get("email", ""), form.get("password", ""),
        form.get("given_name", "").strip() or None, form.get("family_name", "").strip() or None)
    try:
        _submit(fields)
    except service.SignupRefused as refused:
        values = {"email": fields.email, "given_name": fields.given_name or "",
                  "family_name": fields.family_name or ""}
        return _page("signup.html", refused.code.status, csrf_token=csrf_token(),
                     error=refused.code, values=values,
                     problems=problem_lines(list(refused.problems)))
    return _page("signup_sent.html")


@bp.get("/signup/verify")
def verify() -> Response:
    token = request.args.get("token", "")
    if not service.verify_email(runtime().database, tenant(), token, runtime().clock()):
        return expired_link_page(service.LINK_GONE,
                                 url_for("account.home", tenant=tenant().slug),
                                 N_("Sign in to get a new link"))
    return _page("signup_verified.html")


def _api_error(code: ErrorCode) -> Response:
    response = jsonify({"error": code.name, "error_code": code.code})
    response.status_code = code.status
    return response


@bp.post("/api/v1/signup")
def api_signup() -> Response:
    if not tenant().accounts.signup.enabled:
        abort(404)
    body = request.get_json(silent=True) if request.is_json else None
    if (not isinstance(body, dict)
            or any(not isinstance(body.get(k), str) for k in ("email", "password"))
            or any(body.get(k) is not None and not isinstance(body.get(k), str)
                   for k in _FIELDS)):
        return _api_error(service.MALFORMED)
    basic = request.authorization
    explicit = basic is not None and basic.type == "basic" and service.explicit_errors(
        runtime().database, tenant().id, basic.username, basic.password, runtime().clock())
    fields = service.SignupRequest(body["email"], body["password"], body.get("given_name"),
                                   body.get("family_name"))
    try:
        outcome = _submit(fields)
    except service.SignupRefused as refused:
        return _api_error(refused.code)
    if explicit and outcome is service.Outcome.EMAIL_TAKEN:
        return _api_error(service.EMAIL_TAKEN)
    response = jsonify(SENT)
    response.status_code = 202
    return response


def _gate_page(uid: str, pending_invitation: bool, status: int = 403,
               sent: Resent | None = None) -> Response:
    code = invitations.NOT_ACCEPTED if pending_invitation else service.NOT_VERIFIED
    return _page("signup_gate.html", status, title=code.message, code=code.code, uid=uid,
                 csrf_token=csrf_token(), sent=sent, wait=RESEND_WAIT)


def _verification_gate(flow: Flow, progress: Progress, done: AuthResult) -> Response | None:
    with runtime().database.unit_of_work() as uow:
        user = uow.users(tenant().id).by_id(done.user_id)
        blocked = user is not None and user.verification_required
        pending_invitation = user is not None and invitations.is_pending(user)
    if not blocked:
        return None
    return _gate_page(flow.uid, pending_invitation)


@bp.post("/signup/resend")
def resend_link() -> Response:
    """The gate's button: a fresh link to the person the interaction has authenticated
    (bound to this browser by the interaction's cookie, and to this form by CSRF)."""
    check_csrf()
    uid = request.form.get("uid", "")[:64]
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    done = flow.progress.authenticated
    if done is None:
        return _page("signup_message.html", 400, title=service.NOT_VERIFIED.message,
                     code=service.NOT_VERIFIED.code)
    rt, t = runtime(), tenant()
    issuer = _issuer()
    outcome = LinkResend(rt.database, rt.throttle, durable_notifier(rt), t.id,
                         t.display_name, request_locale()).resend(
        done.user_id, rt.clock(), lambda token: f"{issuer}/signup/verify?token={token}",
        lambda token: f"{issuer}/invitation?token={token}")
    if outcome is Resent.NOT_NEEDED:
        return _page("signup_verified.html")
    if outcome is Resent.REFUSED:
        return expired()
    pending_invitation = outcome is Resent.INVITATION
    if outcome is Resent.THROTTLED:
        with rt.database.unit_of_work() as uow:
            user = uow.users(t.id).by_id(done.user_id)
            pending_invitation = user is not None and invitations.is_pending(user)
        return _gate_page(uid, pending_invitation, RESEND_WAIT.status, outcome)
    return _gate_page(uid, pending_invitation, 200, outcome)


def register(app: Flask) -> None:
    register_gate("email_verification", _verification_gate)
    app.register_blueprint(bp)
