"""The account page's phone section: add or change a number (an SMS code proves it),
or remove it (services/phone_verification.py). A verified number receives sign-in codes
and, where the tenant allows it, signs in by itself."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext

from authserver.i18n import N_
from authserver.services import sign_in_errors
from authserver.services.authn.one_time_codes import Checked, OneTimeCodes, Sent
from authserver.services.error_codes import ErrorCode
from authserver.services.phone_numbers import parse_phone
from authserver.services.phone_verification import (
    NO_CODE_WAITING,
    NO_SMS,
    NOT_A_NUMBER,
    SEND_FAILED,
    PhoneVerification,
)
from authserver.services.senders import Channel
from authserver.web.account.access import AccountView, changing_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import request_source, runtime, tenant
from authserver.web.i18n import request_locale
from authserver.web.interaction.waits import seconds_or_minutes, with_retry_after
from authserver.web.problems import coded

# A refused code, as on the sign-in pages; "none sent" in this page's own words.
REFUSED: dict[Checked, ErrorCode] = {
    Checked.WRONG: sign_in_errors.SENT_CODE_WRONG,
    Checked.EXPIRED: sign_in_errors.SENT_CODE_EXPIRED,
    Checked.EXHAUSTED: sign_in_errors.SENT_CODE_EXHAUSTED,
    Checked.NONE_SENT: NO_CODE_WAITING,
}


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
        return _refused(view, NOT_A_NUMBER)
    sent = _verification().send(view.user_id, phone, view.session.sid, runtime().clock())
    if sent.outcome is Sent.SENT:
        return render_account(view, phone_code_sent=True,
                              notice=gettext("We sent a code to %(where)s.", where=sent.masked))
    if sent.outcome is Sent.THROTTLED:
        wait = sent.retry_after or 1
        return with_retry_after(render_account(
            view, error=coded(sign_in_errors.CODE_RESEND_WAIT, wait=seconds_or_minutes(wait)),
            status=sign_in_errors.CODE_RESEND_WAIT.status, phone_code_sent=True), wait)
    if sent.outcome is Sent.FAILED:
        return _refused(view, SEND_FAILED)
    return _refused(view, NO_SMS)


def _refused(view: AccountView, error: ErrorCode, **once: Any) -> Response:
    return render_account(view, error=coded(error), status=error.status, **once)


@bp.post("/phone/confirm")
def confirm_phone() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    rt = runtime()
    result = _verification().confirm(
        view.user_id, view.session.sid, request.form.get("code", "")[:20],
        request_source(), rt.clock())
    if result.outcome is Checked.ACCEPTED:
        return render_account(view, notice=N_("Your phone number is verified."))
    if result.outcome is Checked.THROTTLED:
        wait = result.retry_after or 1
        return with_retry_after(render_account(
            view, error=coded(sign_in_errors.TOO_MANY_ATTEMPTS, wait=seconds_or_minutes(wait)),
            status=sign_in_errors.TOO_MANY_ATTEMPTS.status), wait)
    return _refused(view, REFUSED[result.outcome], phone_code_sent=True)


@bp.post("/phone/remove")
def remove_phone() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    _verification().remove(view.user_id)
    return render_account(view, notice=N_("Your phone number was removed."))
