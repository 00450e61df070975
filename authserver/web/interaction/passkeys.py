"""Passkeys on the sign-in pages (the factor "webauthn").

- LOGIN page, username-less: ``POST /interaction/<uid>/passkey/options`` (mode=login)
  answers request options with no allowed credentials; passkeys.js lets the browser pick
  a discoverable credential and posts the assertion to ``/interaction/<uid>/passkey``,
  which joins the result (amr "hwk"/"swk" + "mfa") to the interaction.
- FACTOR page, a further factor: the same options route (mode=factor) offers the person's
  own credentials; the assertion goes to the lead's ``/interaction/<uid>/factor/webauthn``
  like every other factor's form (its ``credential`` field).

Both challenges are bound to the interaction ``uid`` and used once
(services/authn/webauthn.py).
"""

from __future__ import annotations

from flask import Flask, Response, request

from authserver.protocol.interaction import Step
from authserver.services import sign_in_errors
from authserver.services.authn import Authenticator, Outcome, Submission
from authserver.web.context import request_source
from authserver.web.interaction.authenticators import Factor, register_factor
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import NOT_OFFERED, after_factor, person
from authserver.web.interaction.flow import EXPIRED, Flow, resume
from authserver.web.interaction.pages import render_step
from authserver.web.interaction.waits import too_many_attempts, with_retry_after
from authserver.web.known_device import device_cookie
from authserver.web.passkey_json import csrf_refused, json_answer, json_error, passkey_sign_in
from authserver.web.security import check_csrf


def _build() -> Authenticator:
    return passkey_sign_in()


def _offered(flow: Flow) -> bool:
    """Passkeys are a way in where the tenant lists them (``--mfa-methods``), as the
    login page shows its button (pages._login_offered)."""
    return "webauthn" in flow.ctx.factor_policy.methods


def register(app: Flask) -> None:
    register_factor(app, Factor("webauthn", build=_build,
                                template="interaction/factor_passkey.html",
                                login_template="interaction/login_passkey.html"))


@bp.post("/interaction/<uid>/passkey/options")
def passkey_options(uid: str) -> Response:
    refused = csrf_refused()
    if refused is not None:
        return refused
    flow = resume(uid)
    if isinstance(flow, Response):
        return json_error(400, EXPIRED)
    mode = request.form.get("mode", "")
    if mode not in ("login", "factor"):
        return json_error(400, sign_in_errors.PASSKEY_UNKNOWN_REQUEST.message)
    if not _offered(flow):
        return json_error(400, NOT_OFFERED)
    user_id = person(flow) if mode == "factor" else None
    if mode == "factor" and user_id is None:
        return json_error(400, sign_in_errors.PASSKEY_SIGN_IN_FIRST.message)
    return json_answer(passkey_sign_in().options(uid, user_id, flow.ctx.clock()))


@bp.post("/interaction/<uid>/passkey", endpoint="passkey_sign_in")
def passkey_sign_in_route(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if not _offered(flow):
        return render_step(Step.LOGIN, flow, None, error=NOT_OFFERED, status=400)
    attempt = passkey_sign_in().authenticate(Submission(
        request.form, request_source(), device_cookie(), flow.ctx.clock(), user_id=None,
        attempt=uid))
    if attempt.outcome is Outcome.THROTTLED:
        wait = attempt.retry_after or 1
        return with_retry_after(render_step(Step.LOGIN, flow, None, status=429,
                                            error=too_many_attempts(wait)), wait)
    if attempt.result is None:
        return render_step(Step.LOGIN, flow, None, error=attempt.error, status=401)
    return after_factor(flow, attempt.result)
