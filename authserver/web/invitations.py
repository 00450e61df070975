"""The invitation page ``{issuer}/invitation?token=…`` (services/invitations.py has the
rules): the invited person chooses their first password there, in a plain form (CSRF,
no JavaScript). The token travels in the query string and then a hidden field; every
page sends Referrer-Policy no-referrer and the access log records paths only.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext

from authserver.services.account_tokens import MAX_TOKEN_LENGTH
from authserver.services.error_codes import ErrorCode
from authserver.services.invitations import (
    LINK_GONE,
    MAX_PASSWORD_INPUT,
    AcceptOutcome,
    Invitations,
    PasswordRefused,
)
from authserver.web.context import runtime, tenant
from authserver.web.i18n import request_locale
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("invitation", __name__, url_prefix=TENANT_PREFIX)


def _invitations() -> Invitations:
    rt, t = runtime(), tenant()
    return Invitations(rt.database, rt.passwords, t.id, t.accounts.passwords)


def _html(template: str, status: int = 200, **context: object) -> Response:
    html = render_template(template, tenant=tenant(), **context)
    return page_headers(Response(html, status=status, mimetype="text/html"))


def _gone() -> Response:
    return _html("invitation/notice.html", LINK_GONE.status, alert=True,
                 heading=gettext("This invitation link no longer works"),
                 message=gettext(LINK_GONE.message), code=LINK_GONE.code)


def _form(token: str, email: str, problems: list[ErrorCode] | None = None,
          detail: str | None = None) -> Response:
    return _html("invitation/accept.html", 400 if problems else 200,
                 csrf_token=csrf_token(), token=token, email=email, problems=problems or [],
                 detail=detail, max_length=tenant().accounts.passwords.max_length)


def _token(value: str | None) -> str:
    # Longer values are no token of ours; cut, they simply match nothing.
    return (value or "")[:MAX_TOKEN_LENGTH + 1]


@bp.get("/invitation")
def invitation_page() -> Response:
    token = _token(request.args.get("token"))
    invitee = _invitations().invitee(token, runtime().clock())
    if invitee is None:
        return _gone()
    return _form(token, invitee.email)


@bp.post("/invitation")
def accept() -> Response:
    check_csrf()
    token = _token(request.form.get("token"))
    password = request.form.get("password", "")[:MAX_PASSWORD_INPUT + 1]
    repeated = request.form.get("password_again", "")[:MAX_PASSWORD_INPUT + 1]
    invitations = _invitations()
    now = runtime().clock()
    invitee = invitations.invitee(token, now)
    if invitee is None:
        return _gone()
    try:
        outcome = invitations.accept(token, password, repeated, now, request_locale())
    except PasswordRefused as refused:
        return _form(token, invitee.email, refused.codes, refused.detail or None)
    if outcome is AcceptOutcome.GONE:
        return _gone()
    issuer = runtime().tenant_context(tenant()).issuer
    return _html("invitation/notice.html", alert=False,
                 heading=gettext("Your account is ready"),
                 message=gettext("Your password is set. Sign in with your email address "
                                 "and the password you just chose."),
                 sign_in=f"{issuer}/account")
