"""The account page's sessions section: where the person is signed in (device from the
user agent, address, when they signed in, when last seen; this browser marked), and
forms to end any other one or all others (OWASP ASVS 5.0 V7.5.2). No JavaScript.

Ending asks for a recent sign-in like any change to the account (changing_account):
someone holding a stolen session cookie cannot sign the owner out everywhere else. A
sid that is not one of the person's open sessions (unknown, another person's, ended,
malformed) gets one answer, AUTH-4001, and ends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext, ngettext

from authserver.services import session_list
from authserver.services.error_codes import ErrorCode
from authserver.web.account.access import AccountView, changing_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import runtime, tenant


def _context(view: AccountView) -> Mapping[str, Any]:
    rt = runtime()
    with rt.database.unit_of_work() as uow:
        sessions = session_list.live_sessions(uow, tenant().id, view.user_id,
                                              rt.session_limits(tenant()), rt.clock())
    return {"sessions": sessions, "this_sid": view.session.sid}


def register(app: Flask) -> None:
    register_section(app, AccountSection("sessions", "account/sessions.html", 90, _context))


def _refused(view: AccountView, error: ErrorCode) -> Response:
    return render_account(view, error=f"{gettext(error.message)} ({error.code})",
                          status=error.status)


def _end(view: AccountView, sids: list[str] | None) -> int:
    rt = runtime()
    with rt.database.unit_of_work() as uow:
        return session_list.end_own(uow, tenant().id, view.user_id, sids, view.session.sid,
                                    rt.clock())


@bp.post("/sessions/end")
def session_end_one() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    sid = request.form.get("sid", "")
    if sid == view.session.sid:
        return _refused(view, session_list.THIS_DEVICE)
    if not _end(view, [sid]):
        return _refused(view, session_list.NOT_OPEN)
    return render_account(view, notice=gettext("That session has ended. The device it was "
                                               "on has to sign in again."))


@bp.post("/sessions/end-others")
def session_end_others() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    ended = _end(view, None)
    notice = ngettext("%(num)d other session has ended.", "%(num)d other sessions have ended.",
                      ended) if ended else gettext("You had no other sessions.")
    return render_account(view, notice=notice)
