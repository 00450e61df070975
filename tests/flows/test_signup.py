"""Self sign-up with email verification (issue 10 item 1), through the real WSGI app:
the hosted page, the JSON API, the mailed link and the gate before verification."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.storage.models import User
from tests.support import mail_runtime
from tests.support.browser_flow import html_of, page_after
from tests.support.oauth import (
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
    query_of,
)

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender = mail_runtime.runtime, mail_runtime.sender

NEW = "zoe@example.com"
EXISTING = "ann@example.com"
PASSWORD_NEW = "a long and unusual passphrase 42"


def set_signup(runtime, on: bool, domains: str | None = None) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=on, signup_domains=domains))


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    set_signup(runtime, True)
    return built


def signup_form(http, **fields: str):
    page = http.get("/t/acme/signup")
    assert page.status_code == 200, f"the sign-up page answered {page.status_code}"
    html = html_of(page)
    return http.post("/t/acme/signup", data={"csrf_token": csrf_of(html), **fields}), html


def user_row(runtime, email: str):
    with runtime.database.session() as session:
        row = session.scalar(select(User).where(User.email == email))
        return None if row is None else (row.email_verified, row.verification_required)


def sign_in_attempt(http, pkce: Pkce, email: str, password: str):
    _, html = page_after(http, http.get("/t/acme/authorize",
                                        query_string=authorize_params(pkce=pkce)))
    assert "/t/acme/signup" in html, "the login page should link to sign-up when it is on"
    return http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                              "identifier": email, "password": password,
                                              "action": "login"})


def test_sign_up_verify_and_sign_in(http, runtime, world, sender):
    response, _ = signup_form(http, email=NEW, password=PASSWORD_NEW, given_name="Zoe")
    assert response.status_code == 200, f"sign-up answered {response.status_code}"
    assert "Check your inbox" in html_of(response)
    # The account is created after the answer (services/deferred.py), before its mail.
    [mail] = sender.wait_for(1, to=NEW)
    assert user_row(runtime, NEW) == (False, True), "a new account must await verification"
    link = re.search(r"https?://\S+/signup/verify\?token=\S+", mail.text)
    assert link, f"the verification mail carries no link: {mail.text!r}"

    blocked = sign_in_attempt(http, Pkce(), NEW, PASSWORD_NEW)
    assert blocked.status_code == 403, "sign-in before verification must stop at the gate"
    assert "AUTH-2009" in html_of(blocked) and not any(
        c.startswith("as-acme=") for c in blocked.headers.getlist("Set-Cookie")), \
        "no session may start before the address is verified"

    parts = urlsplit(link.group(0))
    verified = http.get(f"{parts.path}?{parts.query}")
    assert verified.status_code == 200 and "you can sign in now" in html_of(verified)
    assert user_row(runtime, NEW) == (True, False), "the link must verify the address"
    again = http.get(f"{parts.path}?{parts.query}")
    assert again.status_code == 400 and "AUTH-2008" in html_of(again), \
        "a spent link must be a plain page"

    pkce = Pkce()
    done = sign_in_attempt(http, pkce, NEW, PASSWORD_NEW)
    assert done.status_code == 303, f"sign-in after verification answered {done.status_code}"
    consent = http.get(done.headers["Location"])
    html = html_of(consent)
    approved = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                                  "action": "approve"})
    assert approved.headers["Location"].startswith(REDIRECT)
    assert "code" in query_of(approved.headers["Location"]), "no authorization code issued"


def normalised(response, html: str) -> tuple[int, str, list[str]]:
    body = html_of(response).replace(csrf_of(html), "…")
    cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
    return response.status_code, body, cookies


def test_an_existing_address_gets_a_notice_and_the_same_answer(app, runtime, world, sender):
    new, html_new = signup_form(app.test_client(), email=NEW, password=PASSWORD_NEW)
    taken, html_taken = signup_form(app.test_client(), email=EXISTING, password=PASSWORD_NEW)
    assert normalised(new, html_new) == normalised(taken, html_taken), \
        "the answer must not tell whether the address has an account"
    [notice] = sender.wait_for(1, to=EXISTING)
    assert "tried to sign up" in notice.text and "token=" not in notice.text
    sender.wait_for(1, to=NEW)  # the new account is created after the answer, then mailed
    with runtime.database.session() as session:
        assert len(session.scalars(select(User).where(User.email == EXISTING)).all()) == 1


def test_the_api_answers_the_same_for_new_and_taken_addresses(http, runtime, world, sender):
    body = {"email": NEW, "password": PASSWORD_NEW, "given_name": "Zoe",
            "family_name": "Example", "client_id": "web"}
    new = http.post("/t/acme/api/v1/signup", json=body)
    taken = http.post("/t/acme/api/v1/signup", json={**body, "email": EXISTING})
    for response in (new, taken):
        assert (response.status_code, response.get_json()) == (
            202, {"status": "verification_sent"})
    assert sender.wait_for(1, to=NEW) and sender.wait_for(1, to=EXISTING)
    assert user_row(runtime, NEW) == (False, True)


@pytest.mark.parametrize("body", [
    {"email": NEW}, {"email": 3, "password": PASSWORD_NEW}, ["x"],
    {"email": NEW, "password": PASSWORD_NEW, "given_name": 7}])
def test_the_api_refuses_malformed_input_with_its_code(http, world, body):
    response = http.post("/t/acme/api/v1/signup", json=body)
    assert (response.status_code, response.get_json()) == (
        400, {"error": "malformed_request", "error_code": "AUTH-2007"})


def test_the_api_names_a_bad_address_and_a_short_password(http, world):
    bad = http.post("/t/acme/api/v1/signup", json={"email": "nope", "password": PASSWORD_NEW})
    short = http.post("/t/acme/api/v1/signup", json={"email": NEW, "password": "short"})
    assert (bad.status_code, bad.get_json()["error_code"]) == (400, "AUTH-2002")
    assert (short.status_code, short.get_json()["error_code"]) == (400, "AUTH-2003")


def test_sign_up_off_says_so(http, runtime, world, sender):
    set_signup(runtime, False)
    page = http.get("/t/acme/signup")
    assert page.status_code == 403 and "AUTH-2001" in html_of(page)
    api = http.post("/t/acme/api/v1/signup", json={"email": NEW, "password": PASSWORD_NEW})
    assert api.status_code == 404, "the API must not exist while sign-up is off"
    _, html = page_after(http, http.get("/t/acme/authorize",
                                        query_string=authorize_params(pkce=Pkce())))
    assert "/t/acme/signup" not in html, "no sign-up link while sign-up is off"


def test_a_domain_not_allowed_is_refused(http, runtime, world, sender):
    set_signup(runtime, True, domains="corp.example")
    response, _ = signup_form(http, email=NEW, password=PASSWORD_NEW)
    assert response.status_code == 403 and "AUTH-2005" in html_of(response)
    api = http.post("/t/acme/api/v1/signup", json={"email": NEW, "password": PASSWORD_NEW})
    assert (api.status_code, api.get_json()["error_code"]) == (403, "AUTH-2005")
    assert user_row(runtime, NEW) is None and not sender.sent


def test_a_made_up_verification_link_is_a_plain_page(http, world):
    response = http.get("/t/acme/signup/verify?token=made-up")
    assert response.status_code == 400 and "AUTH-2008" in html_of(response)


def _grant_explicit_errors(runtime, client_id: str) -> None:
    from authserver.storage.models import Client
    with runtime.database.unit_of_work() as uow:
        row = uow.session.query(Client).filter_by(client_id=client_id).one()
        row.explicit_errors = True
    runtime.clients.invalidate()


def test_only_a_client_that_proves_its_explicit_errors_grant_hears_email_taken(
        http, runtime, world):
    _grant_explicit_errors(runtime, "web")
    body = {"email": EXISTING, "password": PASSWORD_NEW, "client_id": "web"}
    named = http.post("/t/acme/api/v1/signup", json=body)
    assert (named.status_code, named.get_json()) == (202, {"status": "verification_sent"}), (
        "naming a client with explicit_errors, without its secret, must not reveal that the "
        "address has an account")
    wrong = http.post("/t/acme/api/v1/signup", json=body, auth=("web", "not-the-secret"))
    assert wrong.status_code == 202, "a wrong secret must get the public answer"
    proved = http.post("/t/acme/api/v1/signup", json=body, auth=("web", world.web_secret))
    assert (proved.status_code, proved.get_json()) == (
        409, {"error": "email_taken", "error_code": "AUTH-2006"}), (
        "the client that authenticated with its secret is told the precise reason")


def test_signing_up_again_before_verifying_mails_a_fresh_link(http, runtime, world, sender):
    first, _ = signup_form(http, email=NEW, password=PASSWORD_NEW)
    assert first.status_code == 200
    [original] = sender.wait_for(1, to=NEW)
    second, _ = signup_form(http, email=NEW, password="a different passphrase 77")
    assert second.status_code == 200 and "Check your inbox" in html_of(second)
    mails = sender.wait_for(2, to=NEW)
    assert "/signup/verify?token=" in mails[1].text, (
        f"an unverified account must get a new verification link, not a notice: "
        f"{mails[1].text!r}")
    old = re.search(r"https?://\S+/signup/verify\?token=\S+", original.text)
    assert old is not None
    parts = urlsplit(old.group(0))
    assert http.get(f"{parts.path}?{parts.query}").status_code == 400, \
        "only the newest verification link works"
    assert user_row(runtime, NEW) == (False, True)


def test_a_new_account_gets_the_tenants_default_role(http, runtime, world, sender):
    from authserver.services import role_admin
    from authserver.services.roles import RoleSpec

    ctx = admin_context(runtime, "test")
    role_admin.create_role(ctx, "acme", RoleSpec("customer", permissions=["orders:read"]))
    tenant_admin.update_tenant(ctx, "acme", None, None, None,
                               accounts=AccountPolicyChange(default_role="customer"))
    body = {"email": NEW, "password": PASSWORD_NEW, "client_id": "web"}
    assert http.post("/t/acme/api/v1/signup", json=body).status_code == 202
    assert sender.wait_for(1, to=NEW), "no verification mail"
    access = role_admin.user_access(ctx, "acme", email=NEW)
    assert (access["roles"], access["permissions"]) == (["customer"], ["orders:read"]), access
