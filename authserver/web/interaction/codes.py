"""Email and SMS codes on the hosted pages: the two code factors of the FACTOR page
(sending here, checking in the lead's factor route through :class:`CodeAuthenticator`),
and sign-in by phone number alone (tenant switch ``phone_sign_in``).

Phone-only sign-in answers identically whether or not the number belongs to an account
(services/authn/phone.py): the same page, status and cookies, with the number as typed.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import gettext

from authserver.protocol.interaction import AuthResult, Step
from authserver.services import sign_in_errors
from authserver.services.authn import Authenticator
from authserver.services.authn.code_factor import CodeAuthenticator
from authserver.services.authn.enrolment import METHOD_CHANNEL, deliverable
from authserver.services.authn.one_time_codes import Checked, OneTimeCodes, Sent
from authserver.services.authn.phone import PhoneSignIn
from authserver.services.phone_numbers import parse_phone
from authserver.services.senders import Channel
from authserver.web.context import request_source, runtime, tenant
from authserver.web.i18n import request_locale
from authserver.web.interaction.authenticators import Factor, register_factor
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import (
    after_factor,
    offered_methods,
    person,
    render_factor_page,
)
from authserver.web.interaction.flow import Flow, presented, resume
from authserver.web.interaction.pages import notice_page
from authserver.web.interaction.waits import seconds_or_minutes, with_retry_after
from authserver.web.problems import coded
from authserver.web.redirects import form_action_for
from authserver.web.security import check_csrf, csrf_token, page_headers

CHANNELS = METHOD_CHANNEL
SEND_FAILED = sign_in_errors.CODE_NOT_SENT.message
NOT_OFFERED = sign_in_errors.CODES_NOT_OFFERED.message
PHONE_REFUSED = sign_in_errors.PHONE_CODE_REFUSED.message
MAX_TYPED = 64


def one_time_codes() -> OneTimeCodes:
    rt, t = runtime(), tenant()
    return OneTimeCodes(rt.database, rt.throttle, rt.senders, t.id, t.display_name,
                        request_locale())


def _authenticator(channel: Channel) -> Authenticator:
    return CodeAuthenticator(one_time_codes(), channel)


def channel_offered(method: str) -> bool:
    """For the partials: whether this server has a sender for ``method``'s channel (a
    channel without one is not offered: no button that can only fail)."""
    return method in CHANNELS and bool(deliverable(frozenset({method}), runtime().senders))


def register(app: Flask) -> None:
    app.jinja_env.globals["code_channel_offered"] = channel_offered
    register_factor(app, Factor("sms", build=lambda: _authenticator(Channel.SMS),
                                template="interaction/factor_sms.html",
                                login_template="interaction/login_phone.html"))
    register_factor(app, Factor("email", build=lambda: _authenticator(Channel.EMAIL),
                                template="interaction/factor_email.html"))


@bp.post("/interaction/<uid>/factor/<method>/send")
def send_code(uid: str, method: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    user_id, channel = person(flow), CHANNELS.get(method)
    if (user_id is None or channel is None
            or method not in offered_methods(flow.ctx.factor_policy, user_id,
                                             presented(flow))):
        return render_factor_page(flow, Step.FACTOR, error=NOT_OFFERED, status=400)
    sent = one_time_codes().send(user_id, channel, uid, flow.ctx.clock())
    if sent.outcome is Sent.SENT:
        return render_factor_page(flow, Step.FACTOR, notice=gettext(
            "We sent a code to %(where)s.", where=sent.masked))
    if sent.outcome is Sent.THROTTLED:
        wait = sent.retry_after or 1
        return with_retry_after(render_factor_page(flow, Step.FACTOR, status=429, error=coded(
            sign_in_errors.CODE_RESEND_WAIT, wait=seconds_or_minutes(wait))), wait)
    if sent.outcome is Sent.FAILED:
        return render_factor_page(flow, Step.FACTOR, error=SEND_FAILED, status=503)
    return render_factor_page(flow, Step.FACTOR, error=NOT_OFFERED, status=400)


# --- sign-in by phone number alone -------------------------------------------------------


def _phone_flow(uid: str) -> Flow | Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if not flow.ctx.factor_policy.phone_sign_in:
        return notice_page("Not available",
                           "Signing in with a phone number is not offered here.", 404,
                           flow.uid)
    return flow


def _typed_phone() -> str:
    typed = request.form.get("identifier", "").strip()[:MAX_TYPED]
    return parse_phone(typed) or typed


def _code_page(flow: Flow, phone: str, error: str | None = None,
               status: int = 200) -> Response:
    html = render_template("interaction/phone_code.html", uid=flow.uid, tenant=tenant(),
                           client=flow.client, phone=phone, error=error,
                           csrf_token=csrf_token())
    return page_headers(Response(html, status=status, mimetype="text/html"),
                        form_action=form_action_for(flow.authz.redirect_uri))


@bp.post("/interaction/<uid>/phone")
def phone_sign_in(uid: str) -> Response:
    flow = _phone_flow(uid)
    if isinstance(flow, Response):
        return flow
    phone = _typed_phone()
    PhoneSignIn(one_time_codes()).request(phone, uid, flow.ctx.clock())
    return _code_page(flow, phone)


@bp.post("/interaction/<uid>/phone/code")
def phone_code(uid: str) -> Response:
    flow = _phone_flow(uid)
    if isinstance(flow, Response):
        return flow
    phone, now = _typed_phone(), flow.ctx.clock()
    code = request.form.get("code", "")[:20]
    result, user_id = PhoneSignIn(one_time_codes()).check(phone, uid, code,
                                                          request_source(), now)
    if user_id is not None:
        return after_factor(flow, AuthResult(user_id, ("sms",), "1", now))
    if result.outcome is Checked.THROTTLED:
        wait = result.retry_after or 1
        return with_retry_after(_code_page(
            flow, phone, coded(sign_in_errors.TOO_MANY_ATTEMPTS, wait=seconds_or_minutes(wait)),
            429), wait)
    return _code_page(flow, phone, PHONE_REFUSED, 401)
