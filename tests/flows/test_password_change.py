"""Changing a password (issue 10 item 4), through the WSGI app: an expired password (or
an operator's "change required") stops the sign-in at
/interaction/<uid>/password-change before any code is issued; the account page changes
it with the current one; the policy's refusals are shown with their codes; hostile
input gets a plain page, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode, urlsplit

import pytest

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.storage.models import LoginSession, User
from tests.support import mail_runtime
from tests.support.browser_flow import html_of
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    REDIRECT,
    Pkce,
    approve_consent,
    authorize_params,
    csrf_of,
    form_action,
    query_of,
    sign_in,
)
from tests.support.tokens import audit_events, signed_in, tenant_id

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender, world = mail_runtime.runtime, mail_runtime.sender, mail_runtime.world

NEW = "a brand new long passphrase 42"
DAY = 86_400


def set_rules(runtime, **columns) -> None:
    with runtime.database.unit_of_work() as uow:
        row = uow.tenants.get(tenant_id(runtime))
        for name, value in columns.items():
            setattr(row, name, value)


def ann(runtime) -> User:
    with runtime.database.unit_of_work() as uow:
        user = uow.users(tenant_id(runtime)).by_email("ann@example.com")
        uow.session.expunge(user)
        return user


def open_sessions(runtime) -> list[str]:
    with runtime.database.unit_of_work() as uow:
        return [s.sid for s in uow.session.query(LoginSession).all() if s.ended_at is None]


def stopped_at_gate(http, world) -> str:
    """Start an authorization request, sign in with the password; returns the gate's
    page path (the sign-in must stop there)."""
    start = http.get(f"{ISSUER_PATH}/authorize?{urlencode(authorize_params(pkce=Pkce()))}")
    response = sign_in(http, start.headers["Location"])
    assert response.status_code == 303, f"sign-in must redirect: {response.status_code}"
    path = urlsplit(response.headers["Location"]).path
    assert re.fullmatch(rf"{ISSUER_PATH}/interaction/[\w\-]+/password-change", path), \
        f"an expired password must stop at the change page, not {path}"
    return path


def post_change(http, path: str, new: str, again: str | None = None):
    page = http.get(path)
    assert page.status_code == 200, f"the change page must show: {page.status_code}"
    return http.post(path, data={"csrf_token": csrf_of(html_of(page)), "password": new,
                                 "password_again": new if again is None else again})


def test_an_expired_password_must_be_changed_before_any_code(http, world, runtime, clock):
    set_rules(runtime, password_max_age=90 * DAY, password_history=3)
    clock.now += dt.timedelta(days=91)
    path = stopped_at_gate(http, world)
    page = html_of(http.get(path))
    assert "AUTH-3008" in page and 'name="password_again"' in page and "<script" not in page
    assert open_sessions(runtime) == [], "no session may start before the change"
    refused = post_change(http, path, PASSWORD)
    assert refused.status_code == 400 and "AUTH-3004" in html_of(refused), \
        "the expired password itself must be refused as reused"
    done = post_change(http, path, NEW)
    assert done.status_code in (302, 303), f"the flow must go on: {html_of(done)[:300]}"
    consent = approve_consent(http, done.headers["Location"])
    assert consent.headers["Location"].startswith(REDIRECT) and \
        "code" in query_of(consent.headers["Location"]), "the code follows the change"
    user = ann(runtime)
    assert user.password_changed_at == clock.now and runtime.passwords.verify(
        user.password_hash, NEW)
    assert len(audit_events(runtime, "user.password_changed")) == 1


def test_a_required_change_stops_the_sign_in_and_refuses_bad_passwords(http, world, runtime):
    set_rules(runtime, password_history=1)
    with runtime.database.unit_of_work() as uow:
        uow.users(tenant_id(runtime)).by_email("ann@example.com") \
            .password_change_required = True
    path = stopped_at_gate(http, world)
    assert "AUTH-3009" in html_of(http.get(path))
    for bad, code in (("correcthorsebatterystaple", "AUTH-3011"),
                      ("P@ssw0rd123!", "AUTH-3012"), ("short", "AUTH-3001"),
                      ("x" * 129, "AUTH-3002")):
        refused = post_change(http, path, bad)
        assert refused.status_code == 400 and code in html_of(refused), \
            f"{bad[:20]!r} must be refused with {code}: {html_of(refused)[:400]}"
    differ = post_change(http, path, NEW, NEW + "x")
    assert differ.status_code == 400 and "AUTH-3006" in html_of(differ)
    assert post_change(http, path, NEW).status_code in (302, 303)
    assert not ann(runtime).password_change_required


@pytest.mark.parametrize("fields", [
    {"password": "é" * 5000, "password_again": "é" * 5000},
    {"password": NEW},  # no second field
    {"password": ["a", "b"], "password_again": "a"},
    {},
])
def test_hostile_gate_input_gets_a_plain_page(http, world, runtime, fields):
    set_rules(runtime, password_max_age=DAY)
    runtime.clock.now += dt.timedelta(days=2)
    path = stopped_at_gate(http, world)
    token = csrf_of(html_of(http.get(path)))
    answer = http.post(path, data={"csrf_token": token, **fields})
    assert answer.status_code == 400 and "AUTH-3" in html_of(answer), \
        f"{fields!r} must get the form again with a code, got {answer.status_code}"
    assert "Traceback" not in html_of(answer)


def test_the_gate_page_refuses_a_missing_csrf_token_and_unknown_interactions(http, world,
                                                                             runtime):
    set_rules(runtime, password_max_age=DAY)
    runtime.clock.now += dt.timedelta(days=2)
    path = stopped_at_gate(http, world)
    assert http.post(path, data={"password": NEW, "password_again": NEW}).status_code == 400
    assert ann(runtime).password_changed_at != runtime.clock.now, "nothing may change"
    unknown = http.get(f"{ISSUER_PATH}/interaction/nope/password-change")
    assert unknown.status_code < 500 and "Traceback" not in html_of(unknown)


def test_no_gate_without_expiry(http, world, runtime):
    start = http.get(f"{ISSUER_PATH}/authorize?{urlencode(authorize_params(pkce=Pkce()))}")
    response = sign_in(http, start.headers["Location"])
    assert "password-change" not in response.headers["Location"]


# --- the account page ------------------------------------------------------------------


def account_form(http) -> str:
    page = http.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 200, f"the account page must show: {page.status_code}"
    html = html_of(page)
    assert 'name="current_password"' in html, "the account page needs a password section"
    return html


def change(http, current: str, new: str, again: str | None = None):
    html = account_form(http)
    return http.post(f"{ISSUER_PATH}/account/password", data={
        "csrf_token": csrf_of(html), "current_password": current, "password": new,
        "password_again": new if again is None else again})


def test_changing_on_the_account_page_ends_the_other_sessions_and_mails(
        http, app, world, runtime, sender):
    other = app.test_client()
    other_sid = signed_in(other, runtime)
    mine = signed_in(http, runtime)
    done = change(http, PASSWORD, NEW)
    assert done.status_code == 200 and "Your password was changed" in html_of(done), \
        html_of(done)[:400]
    assert open_sessions(runtime) == [mine], \
        f"only this session may stay open, not {other_sid}"
    mail = sender.wait_for(1)
    assert mail[0].to == "ann@example.com" and "was just changed" in mail[0].text
    assert runtime.passwords.verify(ann(runtime).password_hash, NEW)
    assert http.get(f"{ISSUER_PATH}/account").status_code == 200, "this browser stays in"


def test_a_wrong_current_password_is_refused_and_throttled(http, world, runtime):
    signed_in(http, runtime)
    for _ in range(4):
        wrong = change(http, "not my password at all", NEW)
        assert wrong.status_code == 401 and "AUTH-3005" in html_of(wrong), \
            html_of(wrong)[:300]
    change(http, "not my password at all", NEW)  # the fifth wrong try blocks
    blocked = change(http, PASSWORD, NEW)
    assert blocked.status_code == 429 and "AUTH-3007" in html_of(blocked), \
        "after five wrong tries even the right password must wait"
    assert blocked.headers["Retry-After"].isdigit()
    assert not runtime.passwords.verify(ann(runtime).password_hash, NEW)
    assert len(audit_events(runtime, "user.password_change_failed")) == 5


def test_reused_and_breached_passwords_are_refused_on_the_account_page(http, world, runtime):
    set_rules(runtime, password_history=2)
    signed_in(http, runtime)
    for bad, code in ((PASSWORD, "AUTH-3004"), ("correcthorsebatterystaple", "AUTH-3011")):
        refused = change(http, PASSWORD, bad)
        assert refused.status_code == 400 and code in html_of(refused), \
            f"{bad!r} must be refused with {code}"
    assert change(http, PASSWORD, NEW).status_code == 200
    again = change(http, NEW, PASSWORD)
    assert again.status_code == 400 and "AUTH-3004" in html_of(again), \
        "the previous password is within history 2"


@pytest.mark.parametrize("current,new,again", [
    ("q" * 5000, NEW, NEW), (PASSWORD, "w" * 5000, "w" * 5000), (PASSWORD, NEW, "other"),
    (PASSWORD, "", ""),
])
def test_hostile_account_input_gets_a_plain_page(http, world, runtime, current, new, again):
    signed_in(http, runtime)
    answer = change(http, current, new, again)
    assert 400 <= answer.status_code < 500 and "AUTH-3" in html_of(answer), \
        f"got {answer.status_code}: {html_of(answer)[:300]}"


def test_the_account_change_needs_csrf_and_a_session(http, world, runtime):
    answer = http.post(f"{ISSUER_PATH}/account/password", data={
        "current_password": PASSWORD, "password": NEW, "password_again": NEW})
    assert answer.status_code == 400, "no CSRF token: refused"
    signed_in(http, runtime)
    assert http.post(f"{ISSUER_PATH}/account/password", data={
        "current_password": PASSWORD, "password": NEW, "password_again": NEW}
    ).status_code == 400
    assert runtime.passwords.verify(ann(runtime).password_hash, PASSWORD)


def test_the_reset_link_records_history_and_refuses_reuse(http, world, runtime, sender):
    set_rules(runtime, password_history=3)
    page = http.get(f"{ISSUER_PATH}/reset")
    http.post(f"{ISSUER_PATH}/reset", data={"csrf_token": csrf_of(html_of(page)),
                                            "email": "ann@example.com"})
    path = re.search(r"(/t/acme/reset\?token=[\w\-]+)", sender.wait_for(1)[0].text).group(1)
    form = html_of(http.get(path))
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    reused = http.post(form_action(form), data={"csrf_token": csrf_of(form), "token": token,
                                                 "password": PASSWORD})
    assert reused.status_code == 400 and "AUTH-3004" in html_of(reused), \
        "a reset must not bring back a password in the history"
    done = http.post(form_action(form), data={"csrf_token": csrf_of(form), "token": token,
                                               "password": NEW})
    assert done.status_code == 200
    with runtime.database.unit_of_work() as uow:
        kept = list(uow.password_history(tenant_id(runtime)).of_user(ann(runtime).id))
    assert len(kept) == 1 and runtime.passwords.verify(kept[0].password_hash, PASSWORD)


def test_sign_up_refuses_breached_and_common_passwords(http, world, runtime, sender):
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=True))
    for bad in ("correcthorsebatterystaple", "P@ssw0rd123!"):
        answer = http.post(f"{ISSUER_PATH}/api/v1/signup",
                           json={"email": "new@example.com", "password": bad})
        assert answer.status_code == 400 and answer.get_json() == {
            "error": "invalid_password", "error_code": "AUTH-2003"}, \
            f"sign-up must refuse {bad!r} under the tenant's rules: {answer.get_json()}"
    assert sender.sent == [], "a refused sign-up sends nothing"
