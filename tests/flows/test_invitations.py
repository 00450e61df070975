"""Invitations (issue 10 item 2), through the real WSGI app: an operator's invitation mails
a link that works once and for 7 days; following it sets the first password (no password
is ever mailed); until then the account cannot sign in, and a password attempt gets the
very answer a wrong password gets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from authserver.runtime import admin_context
from authserver.services.account_policy import PasswordRules
from authserver.services.accounts import NewUser
from authserver.services.invitation_admin import InvitationMail, create_invited, reinvite
from authserver.services.password_policy import password_problems
from authserver.services.senders import Senders
from authserver.storage.models import User
from tests.support import mail_runtime
from tests.support.browser_flow import html_of, page_after
from tests.support.oauth import (
    PASSWORD,
    REDIRECT,
    Pkce,
    authorize_params,
    csrf_of,
    form_action,
    query_of,
)
from tests.support.senders import RecordingSender
from tests.support.tokens import audit_events

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender, world = mail_runtime.runtime, mail_runtime.sender, mail_runtime.world

INVITEE = "ivy@example.com"
FIRST_PASSWORD = "a first passphrase nobody guesses 42"
# Quotes, markup, Unicode, an encoded NUL, a path, SQL: what a tampered link might carry.
HOSTILE = ["\"'><script>alert(1)</script>", "\u202e\u0000\ufeff", "тест-токен", "%00",
           "../../etc/passwd", "' OR '1'='1"]
LINK = re.compile(r"https?://[^/\s]+(/t/acme/invitation\?token=([\w\-]+))")


def mail(runtime) -> InvitationMail:
    return InvitationMail(runtime.senders, runtime.issuer("acme"))


def invite(runtime, email: str = INVITEE) -> None:
    invited = create_invited(admin_context(runtime, "test"), "acme",
                             NewUser(email=email, password=None, given_name="Ivy"),
                             mail(runtime))
    assert invited.delivered, f"the invitation must be delivered: {invited.problem}"


def link_of(sender: RecordingSender, nth: int = -1) -> str:
    text = sender.wait_for(1, to=INVITEE)[nth].text
    found = LINK.search(text)
    assert found, f"the invitation must carry a link to the invitation page: {text!r}"
    return found.group(1)


def row(runtime, email: str = INVITEE) -> User:
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None, f"no user {email}"
        session.expunge(user)
        return user


def accept(http, path: str, password: str = FIRST_PASSWORD, again: str | None = None):
    page = http.get(path)
    assert page.status_code == 200, f"a fresh link must show the form: {page.status_code}"
    html = html_of(page)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return http.post("/t/acme/invitation", data={
        "csrf_token": csrf_of(html), "token": token, "password": password,
        "password_again": password if again is None else again})


def login_attempt(http, email: str, password: str):
    _, html = page_after(http, http.get("/t/acme/authorize",
                                        query_string=authorize_params(pkce=Pkce())))
    return http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                              "identifier": email, "password": password,
                                              "action": "login"})


def test_the_invitation_sets_the_first_password_and_the_person_signs_in(
        http, world, runtime, sender):
    invite(runtime)
    [message] = sender.wait_for(1, to=INVITEE)
    assert message.purpose == "invitation" and "7 days" in message.text
    assert FIRST_PASSWORD not in message.text
    pending = row(runtime)
    assert (pending.password_hash, pending.verification_required, pending.email_verified) \
        == (None, True, False), "an invitee has no password and awaits acceptance"

    page = http.get(link_of(sender))
    assert page.status_code == 200 and INVITEE in html_of(page), \
        "the page must say which account is being set up"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = accept(http, link_of(sender))
    assert done.status_code == 200 and "Your account is ready" in html_of(done), \
        f"accepting must succeed: {done.status_code} {html_of(done)[:400]}"
    assert 'href="http://127.0.0.1:8000/t/acme/account"' in html_of(done), \
        "the page must lead on to signing in"
    ready = row(runtime)
    assert (ready.password_hash is not None, ready.verification_required,
            ready.email_verified) == (True, False, True), \
        "accepting sets the password and proves the address"
    assert len(audit_events(runtime, "user.invited")) == 1
    assert len(audit_events(runtime, "user.invitation_accepted")) == 1

    signed_in = login_attempt(http, INVITEE, FIRST_PASSWORD)
    assert signed_in.status_code == 303, f"the new password must sign in: {signed_in.status_code}"
    consent = http.get(signed_in.headers["Location"])
    html = html_of(consent)
    approved = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                                  "action": "approve"})
    assert approved.headers["Location"].startswith(REDIRECT)
    assert "code" in query_of(approved.headers["Location"]), "no authorization code issued"


def test_a_used_link_is_a_plain_page_and_changes_nothing(http, world, runtime, sender):
    invite(runtime)
    path = link_of(sender)
    assert accept(http, path).status_code == 200
    hash_after = row(runtime).password_hash
    again = http.get(path)
    assert again.status_code == 410 and "AUTH-2101" in html_of(again), \
        f"a spent link must say it no longer works: {again.status_code}"
    token = path.split("token=")[1]
    form = html_of(http.get("/t/acme/reset"))  # any page, for this browser's CSRF token
    reused = http.post("/t/acme/invitation", data={
        "csrf_token": csrf_of(form), "token": token, "password": "another passphrase 77 x",
        "password_again": "another passphrase 77 x"})
    assert reused.status_code == 410 and "AUTH-2101" in html_of(reused)
    assert row(runtime).password_hash == hash_after, "a spent link must not set a password"


def test_the_link_expires_after_7_days(http, world, runtime, sender, clock):
    invite(runtime)
    path = link_of(sender)
    clock.now += dt.timedelta(days=7, seconds=1)
    expired = http.get(path)
    assert expired.status_code == 410 and "AUTH-2101" in html_of(expired), \
        "a link older than 7 days must not work"
    assert "Ask the person who invited you" in html_of(expired)


@pytest.mark.parametrize(("password", "again"), [
    ("short", None), ("x" * 2000, None), ("password1234", None),
    (FIRST_PASSWORD, FIRST_PASSWORD + "!"),
])
def test_a_refused_password_shows_its_codes_and_the_link_keeps_working(
        http, world, runtime, sender, password, again):
    # The codes the tenant's rules give (AUTH-3001 too short, 3002 too long, 3003 too
    # weak …), or AUTH-2103 when the two fields differ.
    codes = ([c.code for c in password_problems(password, PasswordRules())]
             if again is None else ["AUTH-2103"])
    assert codes, f"{password[:20]!r} must be a password the default rules refuse"
    invite(runtime)
    path = link_of(sender)
    refused = accept(http, path, password, again)
    shown = re.findall(r"AUTH-\d{4}", html_of(refused))
    assert (refused.status_code, shown) == (400, codes), \
        f"exactly {codes} must be shown for a refused password: {refused.status_code} {shown}"
    assert 'name="password"' in html_of(refused), "the form must be shown again"
    assert row(runtime).password_hash is None, "a refused password changes nothing"
    assert accept(http, path).status_code == 200, "the link must still work"


def test_the_default_rules_refuse_the_examples_with_the_expected_first_code():
    assert [password_problems(p, PasswordRules())[0].code
            for p in ("short", "x" * 2000)] == ["AUTH-3001", "AUTH-3002"]


@pytest.mark.parametrize("token", ["", "made-up", "x" * 5000, *HOSTILE])
def test_hostile_tokens_get_the_plain_page_never_a_500(http, world, runtime, sender, token):
    page = http.get("/t/acme/invitation", query_string={"token": token})
    assert page.status_code in (400, 410), f"{token[:40]!r} answered {page.status_code}"
    if page.status_code == 410:
        assert "AUTH-2101" in html_of(page)
    form = html_of(http.get("/t/acme/reset"))
    posted = http.post("/t/acme/invitation", data={
        "csrf_token": csrf_of(form), "token": token, "password": token,
        "password_again": token})
    assert posted.status_code in (400, 410), f"{token[:40]!r} posted: {posted.status_code}"
    assert "Traceback" not in html_of(posted)


def test_a_link_that_is_not_utf_8_is_the_plain_page(http, world):
    for query in ("token=%ff%fe", "token=a&token=b", "token"):
        page = http.get(f"/t/acme/invitation?{query}")
        assert page.status_code == 410 and "AUTH-2101" in html_of(page), \
            f"{query!r} answered {page.status_code}"


def test_hostile_form_input_gets_a_clear_answer(http, world, runtime, sender):
    invite(runtime)
    path = link_of(sender)
    token = path.split("token=")[1]
    no_csrf = http.post("/t/acme/invitation", data={"token": token, "password": "x",
                                                    "password_again": "x"})
    assert no_csrf.status_code == 400 and "This form has expired" in html_of(no_csrf)
    form = html_of(http.get(path))
    missing = http.post("/t/acme/invitation", data={"csrf_token": csrf_of(form),
                                                    "token": token})
    assert missing.status_code == 400 and "AUTH-3001" in html_of(missing), \
        "an empty password is refused as too short"
    huge = "p" * 500_000
    oversized = http.post("/t/acme/invitation", data={
        "csrf_token": csrf_of(form), "token": token, "password": huge,
        "password_again": huge})
    assert oversized.status_code == 400 and "AUTH-3002" in html_of(oversized)
    doubled = http.post("/t/acme/invitation", data=MultiDict([
        ("csrf_token", csrf_of(form)), ("token", token), ("token", "other"),
        ("password", FIRST_PASSWORD), ("password_again", FIRST_PASSWORD)]))
    assert doubled.status_code == 200, "the first of repeated fields is read, as Flask does"
    assert row(runtime).password_hash is not None


def test_a_pending_invitee_cannot_sign_in_and_hears_what_a_wrong_password_hears(
        app, world, runtime, sender):
    invite(runtime)

    def normalised(response, typed: str):
        body = html_of(response).replace(typed, "…")
        body = re.sub(r'value="[\w\-]{20,}"', 'value="…"', body)
        body = re.sub(r"/interaction/[\w\-]+", "/interaction/…", body)
        cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
        return response.status_code, body, cookies

    invitee = login_attempt(app.test_client(), INVITEE, FIRST_PASSWORD)
    wrong = login_attempt(app.test_client(), "ann@example.com", "not the password at all")
    assert invitee.status_code == 401, f"an invitee must not sign in: {invitee.status_code}"
    assert normalised(invitee, INVITEE) == normalised(wrong, "ann@example.com"), \
        "the answer must be the wrong-password answer, saying nothing about the invitation"


def test_inviting_again_invalidates_the_earlier_link(http, world, runtime, sender):
    invite(runtime)
    first = link_of(sender)
    again = reinvite(admin_context(runtime, "test"), "acme", INVITEE, None, mail(runtime))
    assert again.delivered
    second = link_of(sender, nth=1)
    assert first != second
    assert http.get(first).status_code == 410, "the earlier link must stop working"
    assert accept(http, second).status_code == 200, "the newest link works"


def test_a_reset_request_for_a_pending_invitee_mails_a_fresh_invitation(
        http, world, runtime, sender):
    invite(runtime)
    first = link_of(sender)
    page = html_of(http.get("/t/acme/reset"))
    asked = http.post("/t/acme/reset", data={"csrf_token": csrf_of(page), "email": INVITEE})
    unknown = http.post("/t/acme/reset", data={"csrf_token": csrf_of(page),
                                               "email": "nobody@example.com"})
    assert (asked.status_code, html_of(asked)) == (unknown.status_code, html_of(unknown)), \
        "the reset answer must be the same as for an unknown address"
    mails = sender.wait_for(2, to=INVITEE)
    assert mails[1].purpose == "invitation" and "/t/acme/reset?token=" not in mails[1].text, \
        f"a pending invitee has no password to reset: a fresh invitation is sent: {mails[1]}"
    assert http.get(first).status_code == 410
    assert accept(http, link_of(sender, nth=1)).status_code == 200


def test_an_invitation_needs_an_email_sender_and_no_password(runtime, world):
    from authserver.services.errors import InvalidInput
    no_mail = InvitationMail(Senders(), runtime.issuer("acme"))
    with pytest.raises(InvalidInput, match="no email sender is configured"):
        create_invited(admin_context(runtime, "test"), "acme",
                       NewUser(email=INVITEE, password=None), no_mail)
    with pytest.raises(InvalidInput, match="chooses their own password"):
        create_invited(admin_context(runtime, "test"), "acme",
                       NewUser(email=INVITEE, password=PASSWORD), mail(runtime))
    with runtime.database.session() as session:
        assert session.scalar(select(User).where(User.email == INVITEE)) is None


def test_a_pending_invitee_signing_in_by_magic_link_stops_at_the_gate_and_can_get_a_new_link(
        http, world, runtime, sender):
    from tests.support.sign_in_policy import set_sign_in_policy

    set_sign_in_policy(runtime, magic_links=True)
    invite(runtime)
    first = link_of(sender)
    location, html = page_after(http, http.get("/t/acme/authorize",
                                               query_string=authorize_params(pkce=Pkce())))
    asked = http.post(f"{location}/magic-link", data={"csrf_token": csrf_of(html),
                                                      "identifier": INVITEE})
    assert asked.status_code == 200
    magic = re.search(r"https?://[^/\s]+(/\S+/magic\?token=\S+)",
                      sender.wait_for(2, to=INVITEE)[1].text).group(1)
    gate = http.get(magic)
    assert gate.status_code == 403 and "AUTH-2104" in html_of(gate), \
        f"a pending invitee must stop at the gate: {gate.status_code} {html_of(gate)[:300]}"
    assert not any(c.startswith("as-acme=") for c in gate.headers.getlist("Set-Cookie")), \
        "no session may start before the invitation is accepted"
    uid = re.search(r'name="uid" value="([^"]+)"', html_of(gate)).group(1)
    resent = http.post("/t/acme/signup/resend", data={"csrf_token": csrf_of(html_of(gate)),
                                                      "uid": uid})
    assert resent.status_code == 200 and "We sent you a new link" in html_of(resent)
    newest = sender.wait_for(3, to=INVITEE)[2]
    assert newest.purpose == "invitation", f"the gate must re-send the invitation: {newest}"
    assert http.get(first).status_code == 410, "the earlier invitation stops working"
    assert accept(http, LINK.search(newest.text).group(1)).status_code == 200


def test_an_operator_setting_the_password_ends_the_invitation(http, world, runtime, sender):
    from authserver.services import user_admin

    invite(runtime)
    path = link_of(sender)
    user_admin.set_password(admin_context(runtime, "test"), "acme", INVITEE, None,
                            FIRST_PASSWORD)
    assert http.get(path).status_code == 410, "the invitation must end with the password"
    gate = login_attempt(http, INVITEE, FIRST_PASSWORD)
    assert gate.status_code == 403 and "AUTH-2009" in html_of(gate), \
        "the address is still unproven: the sign-in stops at the verification gate"
