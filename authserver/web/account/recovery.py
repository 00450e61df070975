"""The account page's recovery-code section: how many unused codes are left, and a
button that makes a new batch of ten, shown on that response only; the old batch stops
working (services/recovery_codes.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from authserver.i18n import N_
from authserver.services import recovery_codes
from authserver.web.account.access import AccountView, changing_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import runtime, tenant

GENERATED = N_("Here are your new recovery codes. Save them now: they are shown only this "
             "once, and any codes you had before no longer work.")


def _context(view: AccountView) -> Mapping[str, Any]:
    with runtime().database.unit_of_work() as uow:
        return {"recovery_left": recovery_codes.remaining(uow, tenant().id, view.user_id)}


def register(app: Flask) -> None:
    register_section(app, AccountSection(
        "recovery", "account/recovery.html", 30, _context,
        offered=lambda policy: policy.depends_on_enrolment))


@bp.post("/recovery-codes")
def recovery_generate() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    with runtime().database.unit_of_work() as uow:
        codes = recovery_codes.generate(uow, tenant().id, view.user_id,
                                        f"user:{view.user_id}", runtime().clock())
    return render_account(view, notice=GENERATED, recovery_codes=codes)
