"""Password reset pages at ``{issuer}/reset`` (services/password_reset.py has the rules).

Asking answers with the same "Check your inbox" page (status, body, cookies) whether or
not the address has an account. The mailed link carries its token in the query string:
every page sends Referrer-Policy no-referrer and the access log records paths only, so
the token reaches neither another site nor a log line.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext

from authserver.i18n import N_
from authserver.runtime.outbox_wiring import durable_notifier
from authserver.services import account_tokens
from authserver.services.account_tokens import Purpose
from authserver.services.errors import InvalidInput
from authserver.services.password_policy import PasswordRefused
from authserver.services.password_reset import (
    LINK_GONE,
    PASSWORD_REFUSED,
    PasswordReset,
    ResetOutcome,
)
from authserver.web.context import request_source, runtime, tenant
from authserver.web.expired import expired_link_page
from authserver.web.i18n import request_locale
from authserver.web.password_pages import problem_lines
from authserver.web.security import check_csrf, csrf_token, page_headers
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("reset", __name__, url_prefix=TENANT_PREFIX)
MAX_TYPED = 320
MAX_PASSWORD = 1024  # far above any policy's max_length; the policy gives the message


def _resets() -> PasswordReset:
    rt, t = runtime(), tenant()
    return PasswordReset(rt.database, rt.throttle, durable_notifier(rt),
                         rt.passwords, t.id, t.display_name, request_locale())


def _page(template: str, status: int = 200, **context: object) -> Response:
    html = render_template(template, tenant=tenant(), csrf_token=csrf_token(), **context)
    return page_headers(Response(html, status=status, mimetype="text/html"))


def _gone() -> Response:
    return expired_link_page(LINK_GONE, url_for("reset.reset_page", tenant=tenant().slug),
                             N_("Ask for a new link"))


@bp.get("/reset")
def reset_page() -> Response:
    token = request.args.get("token")
    if token is None:
        return _page("reset/request.html")
    if not _resets().link_works(token, runtime().clock()):
        return _gone()
    return _page("reset/new_password.html", token=token)


@bp.post("/reset")
def request_link() -> Response:
    check_csrf()
    issuer = runtime().tenant_context(tenant()).issuer

    def link_for(token: str) -> str:
        return f"{issuer}/reset?{urlencode({'token': token})}"

    def invitation_link_for(token: str) -> str:
        return f"{issuer}/invitation?{urlencode({'token': token})}"

    typed = request.form.get("email", "")[:MAX_TYPED]
    _resets().request(typed, request_source(), link_for, runtime().clock(),
                      invitation_link_for)
    minutes = int(account_tokens.LIFETIMES[Purpose.PASSWORD_RESET].total_seconds() // 60)
    html = render_template("reset/sent.html", tenant=tenant(), minutes=minutes)
    return page_headers(Response(html, mimetype="text/html"))


@bp.post("/reset/password")
def set_new_password() -> Response:
    check_csrf()
    token = request.form.get("token", "")
    password = request.form.get("password", "")
    if len(password) > MAX_PASSWORD:
        return _page("reset/new_password.html", PASSWORD_REFUSED.status, token=token,
                     problem=gettext(PASSWORD_REFUSED.message), code=PASSWORD_REFUSED.code)
    try:
        outcome = _resets().complete(token, password, runtime().clock())
    except PasswordRefused as refused:
        return _page("reset/new_password.html", PASSWORD_REFUSED.status, token=token,
                     problem=gettext(PASSWORD_REFUSED.message), code=PASSWORD_REFUSED.code,
                     problems=problem_lines(refused.codes))
    except InvalidInput as refused:
        return _page("reset/new_password.html", PASSWORD_REFUSED.status, token=token,
                     problem=refused.problem, code=PASSWORD_REFUSED.code)
    if outcome is ResetOutcome.GONE:
        return _gone()
    html = render_template("reset/notice.html", tenant=tenant(), alert=False, again=False,
                           heading=gettext("Your password was changed"),
                           message=gettext("Sign in with your new password. Every device "
                                           "that was signed in to your account has been "
                                           "signed out."))
    return page_headers(Response(html, mimetype="text/html"))
