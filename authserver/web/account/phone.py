"""The account page's phone section: add or change a number (an SMS code proves it),
or remove it (services/phone_verification.py). A verified number receives sign-in codes
and, where the tenant allows it, signs in by itself."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext

from authserver.i18n import N_
from authserver.services.authn.code_factor import REFUSALS
from authserver.services.authn.one_time_codes import Checked, OneTimeCodes, Sent
from authserver.services.phone_numbers import parse_phone
from authserver.services.phone_verification import PhoneVerification
from authserver.services.senders import Channel
from authserver.web.account.access import AccountView, changing_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import request_source, runtime, tenant
from authserver.web.i18n import request_locale

SEND_FAILED = "We could not send the code. Try again in a few minutes."


def _verification() -> PhoneVerification:
    rt, t = runtime(), tenant()
    return PhoneVerification(OneTimeCodes(rt.database, rt.throttle, rt.senders, t.id,
                                          t.display_name, request_locale()))


def _context(view: AccountView) -> dict[str, Any]:
    rt = runtime()
    with rt.database.unit_of_work() as uow:
        user = uow.users(tenant().id).by_id(view.user_id)
        phone = user.phone if user else None
        verified = bool(user and user.phone_verified)
    return {"phone": phone, "phone_verified": verified,
            "sms_offered": rt.senders.get(Channel.SMS) is not None}


def register(app: Flask) -> None:
    register_section(app, AccountSection(
        "phone", "account/phone.html", 40, _context,
        offered=lambda policy: policy.offers("sms") or policy.phone_sign_in))


@bp.post("/phone")
def add_phone() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    phone = parse_phone(request.form.get("phone", "")[:64])
    if phone is None:
        return render_account(view, error="That is not a phone number in international "
                              "form, such as +15551234567.", status=400)
    sent = _verification().send(view.user_id, phone, view.session.sid, runtime().clock())
    if sent.outcome is Sent.SENT:
        return render_account(view, phone_code_sent=True,
                              notice=gettext("We sent a code to %(where)s.", where=sent.masked))
    if sent.outcome is Sent.THROTTLED:
        return render_account(view, error="A code was sent a moment ago. Wait "
                              f"{sent.retry_after or 1} seconds before asking for another.",
                              status=429, phone_code_sent=True)
    if sent.outcome is Sent.FAILED:
        return render_account(view, error=SEND_FAILED, status=503)
    return render_account(view, error="Text messages cannot be sent from this server.",
                          status=400)


@bp.post("/phone/confirm")
def confirm_phone() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    rt = runtime()
    outcome = _verification().confirm(
        view.user_id, view.session.sid, request.form.get("code", "")[:20],
        request_source(), rt.clock())
    if outcome is Checked.ACCEPTED:
        return render_account(view, notice=N_("Your phone number is verified."))
    if outcome is Checked.THROTTLED:
        return render_account(view, error="Too many attempts. Try again later.",
                              status=429)
    return render_account(view, error=REFUSALS[outcome], status=401, phone_code_sent=True)


@bp.post("/phone/remove")
def remove_phone() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    _verification().remove(view.user_id)
    return render_account(view, notice=N_("Your phone number was removed."))
