"""The account page's passkeys section: add (WebAuthn registration), rename, remove.

Rename and remove are plain forms; adding runs the ceremony in passkeys.js: options
from ``POST /account/passkeys/options`` (JSON), then the browser's answer posted as the
``credential`` field of an ordinary form to ``POST /account/passkeys``. The registration
challenge is bound to the account session (services/passkeys.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, redirect, request, url_for

from authserver.services.errors import InvalidInput, NotFound
from authserver.services.passkeys import RegistrationRefused
from authserver.web.account.access import AccountView, changing_account, signed_in_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section
from authserver.web.context import runtime, tenant
from authserver.web.passkey_json import csrf_refused, json_answer, json_error, passkeys
from authserver.web.security import check_csrf


def _context(view: AccountView) -> Mapping[str, Any]:
    return {"passkeys": passkeys().list(view.user_id)}


def register(app: Flask) -> None:
    register_section(app, AccountSection(
        "passkeys", "account/passkeys.html", 30, _context,
        offered=lambda policy: "webauthn" in policy.methods))


def _home() -> Response:
    return redirect(url_for("account.home", tenant=tenant().slug), 303)


@bp.post("/passkeys/options")
def passkey_options() -> Response:
    refused = csrf_refused()
    if refused is not None:
        return refused
    view = signed_in_account(fresh=True)
    if isinstance(view, Response):
        return json_error(401, "Adding a passkey needs a recent sign-in: reload the page "
                               "and sign in again.")
    return json_answer(passkeys().registration_options(view.user_id, view.session.sid,
                                                       runtime().clock()))


@bp.post("/passkeys")
def passkey_register() -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    try:
        passkeys().register(view.user_id, view.session.sid, request.form.get("credential", ""),
                            request.form.get("name"), runtime().clock())
    except RegistrationRefused as refused:
        return render_account(view, error=str(refused), status=400)
    except InvalidInput as invalid:
        return render_account(view, error=invalid.problem, status=400)
    return _home()


@bp.post("/passkeys/<int:passkey_id>/rename")
def passkey_rename(passkey_id: int) -> Response:
    check_csrf()
    view = signed_in_account()
    if isinstance(view, Response):
        return view
    try:
        passkeys().rename(view.user_id, passkey_id, request.form.get("name"),
                          f"user:{view.user_id}")
    except InvalidInput as invalid:
        return render_account(view, error=invalid.problem, status=400)
    except NotFound as missing:
        return render_account(view, error=str(missing), status=404)
    return _home()


@bp.post("/passkeys/<int:passkey_id>/delete")
def passkey_delete(passkey_id: int) -> Response:
    view = changing_account()
    if isinstance(view, Response):
        return view
    try:
        passkeys().remove(view.user_id, passkey_id, f"user:{view.user_id}")
    except NotFound as missing:
        return render_account(view, error=str(missing), status=404)
    return _home()
