"""Magic links on the hosted pages (tenant switch ``magic_links``): asking for one from
the LOGIN page, and following it (services/authn/magic_link.py has the rules).

Asking answers with the same "Check your inbox" page whether or not the address has an
account. Following the link completes the first factor (amr ``mail``) only in the
browser that asked; elsewhere the person is told to open it there, and the link stays
usable. The link carries the token in its query string: every page sends
Referrer-Policy no-referrer, so it never leaks to another site, and the access log
records paths only, so it never reaches a log.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, render_template, request, url_for

from authserver.i18n import N_
from authserver.protocol.interaction import AuthResult
from authserver.services import sign_in_errors
from authserver.services.authn.magic_link import LinkUse, MagicLinks
from authserver.web.context import request_source, runtime, tenant
from authserver.web.expired import expired_link_page
from authserver.web.i18n import request_locale
from authserver.web.interaction import pending
from authserver.web.interaction.authenticators import Factor, register_factor
from authserver.web.interaction.blueprint import bp
from authserver.web.interaction.factors import after_factor
from authserver.web.interaction.flow import resume
from authserver.web.interaction.pages import notice_page
from authserver.web.interaction.waits import with_retry_after
from authserver.web.security import check_csrf, page_headers

MAX_TYPED = 320
OTHER_BROWSER = sign_in_errors.MAGIC_LINK_OTHER_BROWSER.message
GONE = sign_in_errors.MAGIC_LINK_GONE.message


def magic_links() -> MagicLinks:
    rt, t = runtime(), tenant()
    return MagicLinks(rt.database, rt.throttle, rt.senders, t.id, t.display_name,
                      request_locale())


def register(app: Flask) -> None:
    register_factor(app, Factor("magic_link",
                                login_template="interaction/login_magic_link.html"))


@bp.post("/interaction/<uid>/magic-link")
def magic_link(uid: str) -> Response:
    check_csrf()
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    if not flow.ctx.factor_policy.magic_links:
        return notice_page(N_("Not available"), sign_in_errors.MAGIC_LINKS_OFF.message, 404)
    handle = pending.browser_handle()  # the browser the link must come back to
    issuer = flow.ctx.issuer

    def link_for(token: str) -> str:
        # In the query string, not the path: the access log records paths only
        # (serve.py's %(U)s), so the token never reaches a log line.
        return f"{issuer}/interaction/{uid}/magic?{urlencode({'token': token})}"

    typed = request.form.get("identifier", "")[:MAX_TYPED]
    magic_links().request(typed, uid, handle or "", link_for, flow.ctx.clock())
    html = render_template("interaction/magic_link_sent.html", tenant=tenant(), uid=uid)
    return page_headers(Response(html, mimetype="text/html"))


@bp.get("/interaction/<uid>/magic")
def follow_magic_link(uid: str) -> Response:
    token = request.args.get("token", "")
    now = runtime().clock()
    used = magic_links().use(token, uid, pending.browser_handle(), request_source(), now)
    if used.outcome is LinkUse.OTHER_BROWSER:
        return notice_page(N_("Open the link in the other browser"), OTHER_BROWSER, 409)
    if used.outcome is LinkUse.THROTTLED:
        return with_retry_after(notice_page(
            N_("Too many attempts"), sign_in_errors.MAGIC_LINK_THROTTLED.message, 429),
            used.retry_after)
    if used.user_id is None:
        return expired_link_page(
            sign_in_errors.MAGIC_LINK_GONE,
            url_for("authorize.interaction", tenant=tenant().slug, uid=uid),
            N_("Back to sign-in"))
    flow = resume(uid)
    if isinstance(flow, Response):
        return flow
    return after_factor(flow, AuthResult(used.user_id, ("mail",), "1", now))
