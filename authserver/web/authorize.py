"""The authorization endpoint and the hosted interaction pages (login, account, consent).

The endpoint validates the request (protocol.authorization), then hands off to the
interaction pages while the request waits in this browser's signed flow cookie; when the
person has signed in and consented, the flow resumes and a code is issued. Keeping the
pending request in the browser's own cookie means only the browser that started a
request can complete it (SECURITY.md, consent).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from authserver.protocol.authorization import (
    AuthorizationRequest,
    RedirectTarget,
    UntrustedRequest,
    trusted_client,
    validate,
)
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import AccessDeniedError, InvalidRequestError, OAuth2Error
from authserver.protocol.interaction import (
    CONSENT,
    ISSUE,
    LOGIN,
    SELECT_ACCOUNT,
    Progress,
    SignedIn,
    next_step,
)
from authserver.protocol.ports import ClientRecord, CodeRecord
from authserver.protocol.tokens import digest
from authserver.services.authentication import Outcome, PasswordSignIn
from authserver.services.consent import ConsentService
from authserver.services.sessions import ActiveSession
from authserver.web.client_address import source_address
from authserver.web.context import runtime, tenant
from authserver.web.known_device import device_cookie, known_devices, set_device_cookie
from authserver.web.params import query_params
from authserver.web.redirects import authorization_response, error_page, form_action_for
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.sessions import (
    cookie_name,
    current_session,
    sessions,
    set_session_cookie,
)
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("authorize", __name__, url_prefix=TENANT_PREFIX)

PENDING_KEY = "authz"
PENDING_LIMIT = 5
PENDING_TTL = 30 * 60
ACR_PASSWORD = "1"  # single-factor; the account-security work adds stronger levels
SCOPE_WORDS = {
    "openid": "Confirm who you are",
    "profile": "See your name and user name",
    "email": "See your email address",
    "phone": "See your phone number",
    "address": "See your postal address",
    "offline_access": "Keep access while you are not using it",
}


def _ctx() -> TenantContext:
    return runtime().tenant_context(tenant())


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    ctx = _ctx()
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
        authz = validate(params, resources, client, target)
    except OAuth2Error as error:
        return authorization_response(ctx.issuer, target, error=error)
    return _proceed(ctx, client, authz, Progress(), uid=None)


@dataclass(frozen=True)
class _Flow:
    """A pending authorization request found again by its interaction id."""

    ctx: TenantContext
    authz: AuthorizationRequest
    progress: Progress
    client: ClientRecord


def _resume(uid: str) -> _Flow | Response:
    """The pending request behind ``uid`` in this browser, or the page saying why not."""
    pending = _pending(uid)
    if pending is None:
        return error_page("This sign-in request has expired. Go back to the application "
                          "and start again.")
    ctx = _ctx()
    authz, progress = pending
    client = ctx.clients.get(authz.client_id)
    if client is None:
        return error_page("The application is no longer registered.")
    return _Flow(ctx, authz, progress, client)


@bp.get("/interaction/<uid>")
def interaction(uid: str) -> Response:
    flow = _resume(uid)
    if isinstance(flow, Response):
        return flow
    ctx, authz, progress, client = flow.ctx, flow.authz, flow.progress, flow.client
    active = current_session()
    try:
        step = next_step(authz, client, _signed_in(active), _granted(active, client),
                         progress, ctx.clock())
    except OAuth2Error as error:
        return _finish_error(ctx, uid, authz, error)
    if step == ISSUE:
        return _proceed(ctx, client, authz, progress, uid)
    return _render_step(step, uid, authz, client, active)


@bp.post("/interaction/<uid>/login")
def login(uid: str) -> Response:
    check_csrf()
    flow = _resume(uid)
    if isinstance(flow, Response):
        return flow
    ctx, authz, progress, client = flow.ctx, flow.authz, flow.progress, flow.client
    if request.form.get("action") == "cancel":
        return _finish_error(ctx, uid, authz, AccessDeniedError("The user cancelled sign-in."))
    identifier = request.form.get("identifier", "")
    rt = runtime()
    result = PasswordSignIn(rt.database, rt.throttle, known_devices(), tenant().id).attempt(
        identifier, request.form.get("password", ""),
        source_address(request.environ, rt.settings.trusted_proxies), device_cookie(),
        ctx.clock())
    if result.outcome is Outcome.THROTTLED:
        # The same page whether or not the account exists and whatever the password.
        wait = result.retry_after or 1
        page = _render_step(LOGIN, uid, authz, client, None, identifier=identifier,
                            error=f"Too many attempts. Try again in {_minutes(wait)}.",
                            status=429)
        page.headers["Retry-After"] = str(wait)
        return page
    if result.outcome is not Outcome.SIGNED_IN or result.user_id is None:
        return _render_step(LOGIN, uid, authz, client, None, identifier=identifier,
                            error="The email address or password is not correct.", status=401)
    user_id = result.user_id
    token, _sid = sessions().start(user_id, ["pwd"], ACR_PASSWORD, ctx.clock(),
                                   replacing=request.cookies.get(cookie_name()))
    # A new flow cookie too: nothing from before sign-in carries over (session fixation).
    pending_all = session.get(PENDING_KEY, {})
    session.clear()
    session[PENDING_KEY] = pending_all
    response = _proceed(ctx, client, authz, Progress(logged_in=True, consented=progress.consented),
                        uid, session_token=token)
    set_session_cookie(response, token)
    if result.device_token:
        set_device_cookie(response, result.device_token)
    return response


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@bp.post("/interaction/<uid>/account")
def choose_account(uid: str) -> Response:
    check_csrf()
    flow = _resume(uid)
    if isinstance(flow, Response):
        return flow
    ctx, authz, progress, client = flow.ctx, flow.authz, flow.progress, flow.client
    if request.form.get("action") == "switch":
        return _render_step(LOGIN, uid, authz, client, None)
    return _proceed(ctx, client, authz, Progress(progress.logged_in, True, progress.consented),
                    uid)


@bp.post("/interaction/<uid>/consent")
def consent(uid: str) -> Response:
    check_csrf()
    flow = _resume(uid)
    if isinstance(flow, Response):
        return flow
    ctx, authz, progress, client = flow.ctx, flow.authz, flow.progress, flow.client
    active = current_session()
    if active is None:
        return error_page("Your session has ended. Go back to the application and start again.")
    if request.form.get("action") != "approve":
        return _finish_error(ctx, uid, authz, AccessDeniedError("The user denied access."))
    ConsentService(runtime().database, tenant().id).remember(
        active.user_id, client.client_id, authz.scope.split(), ctx.clock())
    return _proceed(ctx, client, authz, Progress(progress.logged_in, progress.account_chosen,
                                                  True), uid)


# --- flow helpers --------------------------------------------------------------------------


def _proceed(ctx: TenantContext, client: ClientRecord, authz: AuthorizationRequest,
             progress: Progress, uid: str | None, session_token: str | None = None) -> Response:
    active = sessions().find(session_token, ctx.clock()) if session_token else current_session()
    target = RedirectTarget(authz.redirect_uri, authz.state, authz.response_mode)
    try:
        step = next_step(authz, client, _signed_in(active), _granted(active, client), progress,
                         ctx.clock())
    except OAuth2Error as error:
        _drop(uid)
        return authorization_response(ctx.issuer, target, error=error)
    if step != ISSUE or active is None:
        uid = _store(uid, authz, progress)
        return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)
    _drop(uid)
    code = _issue_code(ctx, authz, active)
    return authorization_response(ctx.issuer, target, code=code)


def _issue_code(ctx: TenantContext, authz: AuthorizationRequest, active: ActiveSession) -> str:
    code = secrets.token_urlsafe(32)
    now = ctx.clock()
    ctx.code_storage.save_code(CodeRecord(
        code_digest=digest(code), client_id=authz.client_id, user_id=active.user_id,
        sid=active.sid, redirect_uri=authz.redirect_uri, scope=authz.scope, nonce=authz.nonce,
        code_challenge=authz.code_challenge, resources=tuple(authz.resources),
        claims=authz.claims, auth_time=active.auth_time, acr=active.acr, amr=tuple(active.amr),
        expires_at=now + dt.timedelta(seconds=runtime().settings.auth_code_ttl)))
    return code


def _finish_error(ctx: TenantContext, uid: str, authz: AuthorizationRequest,
                  error: OAuth2Error) -> Response:
    _drop(uid)
    target = RedirectTarget(authz.redirect_uri, authz.state, authz.response_mode)
    return authorization_response(ctx.issuer, target, error=error)


def _signed_in(active: ActiveSession | None) -> SignedIn | None:
    return SignedIn(active.user_id, active.auth_time) if active else None


def _granted(active: ActiveSession | None, client: ClientRecord) -> set[str]:
    if active is None or client.first_party:
        return set()
    return ConsentService(runtime().database, tenant().id).granted(active.user_id,
                                                                   client.client_id)


def _store(uid: str | None, authz: AuthorizationRequest, progress: Progress) -> str:
    pending: dict[str, Any] = dict(session.get(PENDING_KEY, {}))
    now = int(time.time())
    pending = {k: v for k, v in pending.items() if v.get("at", 0) > now - PENDING_TTL}
    uid = uid or secrets.token_urlsafe(16)
    pending[uid] = {"at": now, "tenant": tenant().slug, "req": authz.to_dict(),
                    "progress": [progress.logged_in, progress.account_chosen, progress.consented]}
    if len(pending) > PENDING_LIMIT:  # a flow cookie must stay small
        for old in sorted(pending, key=lambda k: pending[k]["at"])[:-PENDING_LIMIT]:
            del pending[old]
    session[PENDING_KEY] = pending
    return uid


def _pending(uid: str) -> tuple[AuthorizationRequest, Progress] | None:
    entry = session.get(PENDING_KEY, {}).get(uid)
    if not entry or entry.get("tenant") != tenant().slug:
        return None
    if entry.get("at", 0) < time.time() - PENDING_TTL:
        return None
    return AuthorizationRequest.from_dict(entry["req"]), Progress(*entry["progress"])


def _drop(uid: str | None) -> None:
    if uid and uid in session.get(PENDING_KEY, {}):
        pending = dict(session[PENDING_KEY])
        del pending[uid]
        session[PENDING_KEY] = pending


def _render_step(step: str, uid: str, authz: AuthorizationRequest, client: ClientRecord,
                 active: ActiveSession | None, identifier: str | None = None,
                 error: str | None = None, status: int = 200) -> Response:
    templates = {LOGIN: "login.html", SELECT_ACCOUNT: "select_account.html",
                 CONSENT: "consent.html"}
    if step not in templates:
        raise InvalidRequestError("Unexpected interaction step.")
    scopes = [(s, SCOPE_WORDS.get(s, f"Use “{s}”")) for s in authz.scope.split()]
    html = render_template(
        templates[step], uid=uid, client=client, tenant=tenant(), active=active, scopes=scopes,
        identifier=identifier if identifier is not None else (authz.login_hint or ""),
        error=error, csrf_token=csrf_token())
    return page_headers(Response(html, status=status, mimetype="text/html"),
                        form_action=form_action_for(authz.redirect_uri))
