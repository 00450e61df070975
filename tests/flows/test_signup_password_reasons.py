"""The hosted sign-up page names every reason the password rules refused a password
(AUTH-3001..3012) under AUTH-2003, as the reset and invitation pages do, and those
reasons are the same whether or not the typed address has an account: they depend on
the password and the tenant's rules only (services/signup.py checks them before the
address is looked up)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.storage.models import User
from tests.support import mail_runtime
from tests.support.browser_flow import html_of
from tests.support.oauth import build_world, csrf_of

runtime, sender = mail_runtime.runtime, mail_runtime.sender

NEW = "zoe@example.com"
EXISTING = "ann@example.com"  # build_world's user


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=True))
    return built


def submit(http, email: str, password: str, **headers: str):
    page = http.get("/t/acme/signup", headers=headers)
    html = html_of(page)
    response = http.post("/t/acme/signup", headers=headers, data={
        "csrf_token": csrf_of(html), "email": email, "password": password})
    return response, html_of(response).replace(csrf_of(html), "…")


def accounts(runtime) -> int:
    with runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(("password", "code", "message"), [
    ("short", "AUTH-3001", "This password is too short."),
    (" " * 40, "AUTH-3003", "This password is too easy to guess."),
    ("x" * 1100, "AUTH-3002", "This password is too long."),
    ("password1234", "AUTH-3011",
     "This password is on a list of passwords exposed in data breaches."),
    ("P@ssw0rd123!", "AUTH-3012", "This password is built around a very common password."),
])
def test_each_reason_is_shown_with_its_code(http, runtime, world, sender, password, code,
                                            message):
    before = accounts(runtime)
    response, body = submit(http, NEW, password)
    assert response.status_code == 400, f"a refused password answered {response.status_code}"
    assert "(AUTH-2003)" in body, "the page must still say AUTH-2003"
    assert f"{message}" in body and f"({code})" in body, \
        f"the page must name {code} ({message!r}); it said {body[:2000]!r}"
    assert accounts(runtime) == before, "a refused password must create no account"
    assert sender.sent == [], "a refused password must send no mail"


def test_the_reasons_are_the_same_for_a_new_and_a_taken_address(app, runtime, world, sender):
    for password in ("short", "password1234"):
        _, new = submit(app.test_client(), NEW, password)
        _, taken = submit(app.test_client(), EXISTING, password)
        assert new.replace(NEW, "@") == taken.replace(EXISTING, "@"), \
            "the refusal must not tell whether the address has an account"
    assert sender.sent == [], "nobody may be mailed about a refused password"


def test_the_reasons_are_in_the_page_language(http, world):
    response, body = submit(http, NEW, "short", **{"Accept-Language": "de"})
    assert response.status_code == 400
    assert "Dieses Passwort ist zu kurz. (AUTH-3001)" in body, \
        f"a German page must give the reason in German: {body[:2000]!r}"


def test_an_accepted_password_shows_no_reasons(http, world, sender):
    response, body = submit(http, NEW, "a long and unusual passphrase 42")
    assert response.status_code == 200 and "AUTH-30" not in body
    sender.wait_for(1, to=NEW)
