"""TOTP on the sign-in pages.

On the further-factor page the partial posts ``code`` to the shared factor route
(factors.py), which runs :class:`~authserver.services.authn.totp.TotpAuthenticator`. On
the enrolment page (the tenant requires a second factor and the person has none) the
partial posts here: the first POST makes a seed and shows it (QR code and text), the
next confirms it with a code, which counts as the second factor of this sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, redirect, request, url_for
from markupsafe import Markup

from authserver.protocol.errors import OAuth2Error
from authserver.protocol.interaction import AuthResult, Step
from authserver.protocol.policies import ACR_MULTI
from authserver.services import sign_in_errors
from authserver.services.authn import Attempt, Authenticator, Outcome
from authserver.services.authn.totp import AMR, TotpAuthenticator
from authserver.services.totp_enrolment import Confirmed, TotpEnrolment, TotpSetup
from authserver.web.context import runtime, tenant
from authserver.web.interaction.authenticators import Factor, register_factor
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import (
    after_factor,
    person,
    render_factor_page,
    throttled_page,
)
from authserver.web.interaction.flow import Flow, resume, step_for
from authserver.web.security import check_csrf
from authserver.web.sessions import current_session

WRONG_CODE = sign_in_errors.TOTP_WRONG.message
START_AGAIN = sign_in_errors.TOTP_SET_UP_AGAIN.message
NOT_HERE = sign_in_errors.TOTP_NOT_HERE.message


@dataclass(frozen=True, slots=True)
class ShownSetup:
    """A new seed as a page shows it: QR code (server-drawn SVG) and the key as text."""

    secret: str
    grouped: str
    uri: str
    qr: Markup


def shown(setup: TotpSetup) -> ShownSetup:
    # segno's SVG holds only numbers and our fixed title: safe to insert unescaped.
    return ShownSetup(setup.secret, setup.grouped, setup.uri, Markup(setup.qr_svg))  # noqa: S704


def totp_enrolment() -> TotpEnrolment:
    rt = runtime()
    return TotpEnrolment(rt.database, rt.master_key, rt.throttle, tenant().id)


def _authenticator() -> Authenticator:
    rt = runtime()
    return TotpAuthenticator(rt.database, rt.throttle, rt.master_key, tenant().id)


def register(app: Flask) -> None:
    register_factor(app, Factor("totp", build=_authenticator,
                                template="interaction/factor_totp.html",
                                enrol_template="interaction/enrol_totp.html"))


def _enrolling(flow: Flow) -> int | None:
    """The person, when this interaction really is at the enrolment step and the tenant
    offers TOTP: never a way to replace a second factor someone already has."""
    user_id = person(flow)
    if user_id is None or "totp" not in flow.ctx.factor_policy.methods:
        return None
    try:
        step = step_for(flow, current_session())
    except OAuth2Error:
        return None
    return user_id if step is Step.ENROL else None


@bp.post("/interaction/<uid>/enrol/totp")
def enrol_totp(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    user_id = _enrolling(flow)
    if user_id is None:
        if person(flow) is None:
            return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid),
                            303)
        return render_factor_page(flow, Step.ENROL, error=NOT_HERE, status=400)
    service, now, actor = totp_enrolment(), flow.ctx.clock(), f"user:{user_id}"
    if request.form.get("action") == "begin":
        setup = service.begin(user_id, actor, now)
        return render_factor_page(flow, Step.ENROL, totp_setup=shown(setup))
    outcome = service.confirm(user_id, request.form.get("code", ""), actor, now)
    if outcome is Confirmed.CONFIRMED:
        return after_factor(flow, AuthResult(user_id, AMR, ACR_MULTI, now))
    if outcome is Confirmed.THROTTLED:
        return throttled_page(flow, Step.ENROL, Attempt(
            Outcome.THROTTLED, retry_after=service.retry_after(user_id)))
    pending = service.pending(user_id)
    if outcome is Confirmed.NOTHING_PENDING or pending is None:
        return render_factor_page(flow, Step.ENROL, error=START_AGAIN, status=400)
    return render_factor_page(flow, Step.ENROL, error=WRONG_CODE, status=401,
                              totp_setup=shown(pending))
