"""The interaction page itself (GET), its rendering, and the door back in after a
cross-site POST from elsewhere (an upstream IdP's return)."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, url_for
from flask_babel import gettext

from authserver.i18n import N_
from authserver.protocol.errors import InvalidRequestError, OAuth2Error
from authserver.protocol.interaction import FactorPolicy, Step
from authserver.protocol.policies import SECOND_FACTOR_METHODS
from authserver.services.sessions import ActiveSession
from authserver.web.context import tenant
from authserver.web.interaction.authenticators import factors
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.flow import (
    Flow,
    finish_error,
    offered_methods,
    person,
    presented,
    proceed,
    resume,
    step_for,
)
from authserver.web.redirects import form_action_for
from authserver.web.security import csrf_token, page_headers
from authserver.web.sessions import clear_session_cookie, current_session, signed_out_notice

TEMPLATES = {Step.LOGIN: "login.html", Step.SELECT_ACCOUNT: "select_account.html",
             Step.CONSENT: "consent.html"}
SCOPE_WORDS = {
    "openid": N_("Confirm who you are"),
    "profile": N_("See your name and user name"),
    "email": N_("See your email address"),
    "phone": N_("See your phone number"),
    "address": N_("See your postal address"),
    "offline_access": N_("Keep access while you are not using it"),
}


@bp.get("/interaction/<uid>")
def interaction(uid: str) -> Response:
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    active = current_session()
    try:
        step = step_for(flow, active)
    except OAuth2Error as error:
        return finish_error(flow, error)
    if step is Step.ISSUE:
        return proceed(flow.ctx, flow.client, flow.authz, flow.progress, uid)
    if step in (Step.FACTOR, Step.ENROL):
        return render_factor_page(flow, step)
    return render_step(step, flow, active)


@bp.post("/interaction/<uid>/resume")
def resume_after_post(uid: str) -> Response:
    """Where a cross-site form POST comes back (as a SAML IdP returns).

    Browsers do not send SameSite=Lax cookies with a cross-site POST, so this request
    cannot know whose it is and decides nothing. A 303 turns it into a top-level GET on
    our own origin, which carries the flow cookie again; that GET checks the binding,
    so only the browser that began the request can go on from here.
    """
    response = redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Passwordless ways in, most phishing-resistant first.
LOGIN_ORDER = ("webauthn", "magic_link", "sms")


def _login_offered(method: str, policy: FactorPolicy) -> bool:
    """Whether a passwordless way in is switched on for this tenant."""
    switches = {"magic_link": policy.magic_links, "sms": policy.phone_sign_in,
                "webauthn": "webauthn" in policy.methods}
    return switches.get(method, False)


def _page(template: str, flow: Flow, status: int, **context: Any) -> Response:
    authz = flow.authz
    html = render_template(template, uid=flow.uid, client=flow.client, tenant=tenant(),
                           csrf_token=csrf_token(), **context)
    return page_headers(Response(html, status=status, mimetype="text/html"),
                        form_action=form_action_for(authz.redirect_uri))


def render_step(step: Step, flow: Flow, active: ActiveSession | None,
                identifier: str | None = None, error: str | None = None,
                status: int = 200) -> Response:
    if step not in TEMPLATES:
        raise InvalidRequestError("Unexpected interaction step.")
    authz = flow.authz
    scopes = [(s, gettext(SCOPE_WORDS[s]) if s in SCOPE_WORDS
               else gettext("Use “%(scope)s”", scope=s)) for s in authz.scope.split()]
    policy = flow.ctx.factor_policy
    table = factors()
    login_partials = [table[m].login_template for m in LOGIN_ORDER
                      if m in table and table[m].login_template and _login_offered(m, policy)]
    signed_out = signed_out_notice() if step is Step.LOGIN else None
    response = _page(TEMPLATES[step], flow, status, active=active, scopes=scopes,
                     identifier=identifier if identifier is not None else (
                         authz.login_hint or ""),
                     error=error, login_partials=login_partials, signed_out=signed_out)
    if signed_out is not None:
        clear_session_cookie(response)  # said once: the cookie named nothing live
    return response


def render_factor_page(flow: Flow, step: Step, error: str | None = None,
                       notice: str | None = None, status: int = 200,
                       **context: Any) -> Response:
    """The page asking for a further factor (FACTOR) or for setting one up (ENROL): the
    partial of every method this person may use, or this tenant offers to set up."""
    user_id = person(flow)
    if user_id is None:
        return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=flow.uid),
                        303)
    table = factors()
    if step is Step.ENROL:
        policy = flow.ctx.factor_policy
        methods = [m for m in SECOND_FACTOR_METHODS if m in policy.methods]
        partials = [table[m].enrol_template for m in methods
                    if m in table and table[m].enrol_template]
        template = "enrol.html"
    else:
        methods = offered_methods(flow.ctx.factor_policy, user_id, presented(flow))
        partials = [table[m].template for m in methods if m in table and table[m].template]
        template = "factor.html"
    return _page(template, flow, status, partials=partials, methods=methods, error=error,
                 notice=notice, person_id=user_id, identifier="", **context)


def notice_page(heading: str, message: str, status: int, uid: str | None = None) -> Response:
    """A plain page saying what happened (a link used, a way in not offered …); with
    ``uid``, a way back to that sign-in."""
    html = render_template("interaction/code_notice.html", heading=heading,
                           message=message, alert=status >= 400, tenant=tenant(), uid=uid)
    return page_headers(Response(html, status=status, mimetype="text/html"))
