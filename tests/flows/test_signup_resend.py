"""The verification gate's "send me a new link" button (issue 10 items 1, 2): a person who
signed in before verifying can have a fresh link mailed (the earlier one stops working),
a few times an hour; the form needs its CSRF token and the browser's own interaction."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from tests.support import mail_runtime
from tests.support.browser_flow import html_of, page_after
from tests.support.oauth import Pkce, authorize_params, build_world, csrf_of, form_action

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender = mail_runtime.runtime, mail_runtime.sender

NEW = "zoe@example.com"
PASSWORD_NEW = "a long and unusual passphrase 42"
VERIFY = re.compile(r"https?://\S+/signup/verify\?token=\S+")


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=True))
    return built


def signed_up_and_stopped(http, sender) -> str:
    """Sign up, then sign in before verifying: the gate page's HTML."""
    page = html_of(http.get("/t/acme/signup"))
    http.post("/t/acme/signup", data={"csrf_token": csrf_of(page), "email": NEW,
                                      "password": PASSWORD_NEW})
    sender.wait_for(1, to=NEW)
    _, html = page_after(http, http.get("/t/acme/authorize",
                                        query_string=authorize_params(pkce=Pkce())))
    gate = http.post(form_action(html), data={"csrf_token": csrf_of(html), "identifier": NEW,
                                              "password": PASSWORD_NEW, "action": "login"})
    assert gate.status_code == 403 and "AUTH-2009" in html_of(gate), \
        f"sign-in before verification must stop at the gate: {gate.status_code}"
    return html_of(gate)


def resend(http, gate_html: str, **override: str):
    uid = re.search(r'name="uid" value="([^"]+)"', gate_html)
    assert uid, "the gate page must carry a resend form"
    data = {"csrf_token": csrf_of(gate_html), "uid": uid.group(1), **override}
    return http.post("/t/acme/signup/resend", data=data)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_the_gate_mails_a_fresh_link_and_the_old_one_stops_working(http, world, sender):
    gate = signed_up_and_stopped(http, sender)
    assert "Send me a new link" in gate
    sent = resend(http, gate)
    assert sent.status_code == 200 and "We sent you a new link" in html_of(sent), \
        f"the resend must say it sent a link: {sent.status_code} {html_of(sent)[:300]}"
    first, second = (VERIFY.search(m.text).group(0) for m in sender.wait_for(2, to=NEW))
    assert first != second
    assert http.get(path_of(first)).status_code == 400, "the earlier link must stop working"
    verified = http.get(path_of(second))
    assert verified.status_code == 200 and "you can sign in now" in html_of(verified)


def test_resending_is_limited_per_account(http, world, sender):
    gate = signed_up_and_stopped(http, sender)
    for attempt in range(3):
        assert resend(http, gate).status_code == 200, f"resend {attempt + 1} must be sent"
    limited = resend(http, gate)
    assert limited.status_code == 429 and "AUTH-2110" in html_of(limited), \
        f"a fourth resend within the hour must wait: {limited.status_code}"
    sender.wait_for(4, to=NEW)
    time.sleep(0.2)  # a fifth message, were one queued, would have arrived by now
    assert len(sender.sent) == 4, f"sign-up mail plus three resends, no more: {sender.sent}"


def test_the_resend_form_needs_its_csrf_token_and_this_browsers_interaction(
        app, http, world, sender):
    gate = signed_up_and_stopped(http, sender)
    forged = resend(http, gate, csrf_token="forged")
    assert forged.status_code == 400 and "This form has expired" in html_of(forged)
    unknown = resend(http, gate, uid="not-an-interaction" + "x" * 500)
    assert unknown.status_code == 400 and "This sign-in request has expired" in \
        html_of(unknown)
    other = app.test_client()
    page = html_of(other.get("/t/acme/signup"))
    uid = re.search(r'name="uid" value="([^"]+)"', gate).group(1)
    elsewhere = other.post("/t/acme/signup/resend", data={"csrf_token": csrf_of(page),
                                                          "uid": uid})
    assert elsewhere.status_code == 400, "another browser cannot use this interaction"
    time.sleep(0.2)
    assert len(sender.sent) == 1, f"nothing more may be sent: {sender.sent}"
