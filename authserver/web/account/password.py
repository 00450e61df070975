"""The account page's password section: change the password, with the current one.

The current password is the proof here (not a recent sign-in): a wrong one answers with
its code and counts against a throttle like sign-in failures do
(services/password_change.py). A change ends the person's other sessions and mails them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext

from authserver.services.password_change import Changed
from authserver.services.password_policy import (
    CHANGE_THROTTLED,
    NEW_PASSWORDS_DIFFER,
    NO_PASSWORD,
    TOO_LONG,
    WRONG_CURRENT,
    PasswordRefused,
)
from authserver.web.account.access import AccountView, signed_in_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import runtime, tenant
from authserver.web.password_change import password_changes
from authserver.web.password_pages import MAX_PASSWORD, problem_lines
from authserver.web.security import check_csrf


def _context(view: AccountView) -> Mapping[str, Any]:
    with runtime().database.unit_of_work() as uow:
        user = uow.users(tenant().id).by_id(view.user_id)
    return {"has_password": user is not None and bool(user.password_hash)}


def register(app: Flask) -> None:
    register_section(app, AccountSection("password", "account/password.html", 5, _context))


def _refused(view: AccountView, problems: list[tuple[str, str]], status: int) -> Response:
    return render_account(view, error=gettext("Your password was not changed."),
                          status=status, password_problems=problems)


@bp.post("/password")
def password_change() -> Response:
    check_csrf()
    view = signed_in_account()
    if isinstance(view, Response):
        return view
    form = request.form
    current, new, again = (form.get("current_password", ""), form.get("password", ""),
                           form.get("password_again", ""))
    if max(len(current), len(new), len(again)) > MAX_PASSWORD:
        return _refused(view, problem_lines([TOO_LONG]), TOO_LONG.status)
    if new != again:
        return _refused(view, problem_lines([NEW_PASSWORDS_DIFFER]),
                        NEW_PASSWORDS_DIFFER.status)
    try:
        result = password_changes().change(view.user_id, current, new, view.session.sid,
                                           runtime().clock())
    except PasswordRefused as refused:
        return _refused(view, problem_lines(refused.codes), 400)
    if result.outcome is Changed.THROTTLED:
        response = _refused(view, problem_lines([CHANGE_THROTTLED]), CHANGE_THROTTLED.status)
        response.headers["Retry-After"] = str(result.retry_after or 1)
        return response
    if result.outcome is Changed.WRONG_CURRENT:
        return _refused(view, problem_lines([WRONG_CURRENT]), WRONG_CURRENT.status)
    if result.outcome is Changed.NO_PASSWORD:
        return _refused(view, problem_lines([NO_PASSWORD]), NO_PASSWORD.status)
    return render_account(view, notice=gettext(
        "Your password was changed. Your other devices were signed out."))

