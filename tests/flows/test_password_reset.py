"""Password reset by an emailed link (issue 10 item 3), through the WSGI app: the mail
carries a link that works once and for 30 minutes, an unknown address gets the very same
answer, and a reset ends the account's sessions and their refresh tokens."""

from __future__ import annotations

import datetime as dt
import re
import time

from tests.support import mail_runtime
from tests.support.browser_flow import html_of
from tests.support.oauth import csrf_of
from tests.support.senders import RecordingSender
from tests.support.tokens import audit_events, expect_error, refresh, user_tokens

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender, world = mail_runtime.runtime, mail_runtime.sender, mail_runtime.world

EMAIL = "ann@example.com"
NEW_PASSWORD = "a brand new long passphrase 42"


def ask(http, email: str):
    page = http.get("/t/acme/reset")
    assert page.status_code == 200, f"the reset form must show: {page.status_code}"
    return http.post("/t/acme/reset", data={"csrf_token": csrf_of(html_of(page)),
                                             "email": email})


def link_path(sender: RecordingSender) -> str:
    found = re.search(r"https?://[^/\s]+(/t/acme/reset\?token=[\w\-]+)",
                      sender.wait_for(1)[0].text)
    assert found, f"the mail must carry a reset link: {sender.sent}"
    return found.group(1)


def set_password(http, path: str, password: str = NEW_PASSWORD):
    page = http.get(path)
    assert page.status_code == 200, f"a fresh link must show the form: {page.status_code}"
    token = re.search(r'name="token" value="([^"]+)"', html_of(page)).group(1)
    return http.post("/t/acme/reset/password", data={
        "csrf_token": csrf_of(html_of(page)), "token": token, "password": password})


def test_the_mailed_link_sets_a_new_password_once(http, world, sender, runtime):
    assert ask(http, EMAIL).status_code == 200
    path = link_path(sender)
    assert sender.wait_for(1)[0].to == EMAIL
    done = set_password(http, path)
    assert done.status_code == 200 and "Your password was changed" in html_of(done), \
        f"the reset must succeed: {done.status_code} {html_of(done)[:300]}"
    changed = sender.wait_for(2)
    assert len(changed) == 2 and "was just changed" in changed[1].text, \
        f"a 'your password was changed' mail must follow: {changed}"
    assert len(audit_events(runtime, "user.password_reset")) == 1
    again = http.get(path)
    assert again.status_code == 410 and "AUTH-3501" in html_of(again), \
        "a spent link must say it no longer works"


def test_the_link_expires_after_30_minutes(http, world, sender, clock):
    ask(http, EMAIL)
    path = link_path(sender)
    clock.now += dt.timedelta(minutes=30, seconds=1)
    assert http.get(path).status_code == 410, "a 31-minute-old link must not work"


def test_an_unknown_address_gets_a_byte_identical_answer(http, world, sender):
    def normalised(response):
        return (response.status_code, html_of(response),
                sorted(c.split("=")[0] for c in response.headers.getlist("Set-Cookie")))

    known = normalised(ask(http, EMAIL))
    unknown = normalised(ask(http, "nobody@example.com"))
    assert known == unknown, "the answer must not say whether the address has an account"
    assert [m.to for m in sender.wait_for(1)] == [EMAIL], "nothing may go to an unknown address"
    time.sleep(0.2)
    assert len(sender.sent) == 1


def test_a_reset_ends_sessions_and_their_refresh_tokens(http, world, sender, runtime):
    tokens = user_tokens(http, world)
    ask(http, EMAIL)
    assert set_password(http, link_path(sender)).status_code == 200
    expect_error(refresh(http, tokens.refresh_token, world.web_id, world.web_secret), 400,
                 "invalid_grant", "a session-bound refresh token issued before the reset")


def test_a_refused_password_changes_nothing_and_the_link_still_works(http, world, sender):
    ask(http, EMAIL)
    path = link_path(sender)
    refused = set_password(http, path, password="x")
    assert refused.status_code == 400 and "AUTH-3502" in html_of(refused), \
        f"a too-short password must be refused on the form: {refused.status_code}"
    assert set_password(http, path).status_code == 200, \
        "the link must still work after a refused password"


def test_a_reset_proves_the_address_and_clears_a_required_change(http, world, sender,
                                                                  runtime):
    from authserver.storage.models import User
    with runtime.database.unit_of_work() as uow:
        row = uow.session.query(User).filter_by(email=EMAIL).one()
        row.email_verified, row.verification_required = False, True
        row.password_change_required = True
    ask(http, EMAIL)
    assert set_password(http, link_path(sender)).status_code == 200
    with runtime.database.unit_of_work() as uow:
        row = uow.session.query(User).filter_by(email=EMAIL).one()
        state = (row.email_verified, row.verification_required, row.password_change_required)
    assert state == (True, False, False), (
        f"following the mailed link proves the address and sets a fresh password: {state}")
