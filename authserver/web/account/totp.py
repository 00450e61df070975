"""The account page's authenticator-app section: set one up (QR code and key, then a
code to confirm), or remove it. Changing how one signs in needs a recent sign-in
(access.py ``fresh``); every change is audited by the enrolment service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

from authserver.i18n import N_
from authserver.services.totp_enrolment import Confirmed
from authserver.web.account.access import AccountView, changing_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import runtime
from authserver.web.interaction.totp import START_AGAIN, WRONG_CODE, shown, totp_enrolment

SET_UP = N_("Your authenticator app is set up. You will be asked for a code when you sign in.")
REMOVED = N_("Your authenticator app was removed.")
TOO_MANY = "Too many attempts. Try again in a few minutes."


def _context(view: AccountView) -> Mapping[str, Any]:
    return {"totp": totp_enrolment().status(view.user_id)}


def register(app: Flask) -> None:
    register_section(app, AccountSection("totp", "account/totp.html", 20, _context,
                                            offered=lambda policy: policy.offers("totp")))


def _actor(view: AccountView) -> str:
    return f"user:{view.user_id}"


@bp.post("/totp/begin")
def totp_begin() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    setup = totp_enrolment().begin(view.user_id, _actor(view), runtime().clock())
    return render_account(view, totp_setup=shown(setup))


@bp.post("/totp/confirm")
def totp_confirm() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    service = totp_enrolment()
    outcome = service.confirm(view.user_id, request.form.get("code", ""), _actor(view),
                              runtime().clock())
    if outcome is Confirmed.CONFIRMED:
        return render_account(view, notice=SET_UP)
    pending = service.pending(view.user_id)
    if outcome is Confirmed.NOTHING_PENDING or pending is None:
        return render_account(view, error=START_AGAIN, status=400)
    if outcome is Confirmed.THROTTLED:
        response = render_account(view, error=TOO_MANY, status=429,
                                  totp_setup=shown(pending))
        response.headers["Retry-After"] = str(service.retry_after(view.user_id) or 1)
        return response
    return render_account(view, error=WRONG_CODE, status=401, totp_setup=shown(pending))


@bp.post("/totp/remove")
def totp_remove() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    totp_enrolment().remove(view.user_id, _actor(view))
    return render_account(view, notice=REMOVED)
