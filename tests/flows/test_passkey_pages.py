"""Passkey routes over HTTP (the app in-process, the real database): the username-less
ceremony from /authorize to the tokens, registration / rename / removal on the account
page, and the JSON endpoints' answers to bad input (JSON errors, never a 500). The
WebAuthn responses come from the software authenticator (tests/support/
soft_authenticator.py); the browser ceremony itself is tested in
tests/web/test_e2e_chromium_passkeys.py."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.authn.webauthn import RelyingParty
from authserver.services.passkeys import Passkeys
from authserver.storage.models import User
from tests.support.browser_flow import (
    authorize,
    html_of,
    page_after,
    redirected_to_client,
    submit,
    tenant_id,
)
from tests.support.oauth import (
    ISSUER,
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    World,
    authorize_params,
    build_world,
    csrf_of,
    exchange,
    sign_in,
)
from tests.support.sign_in_policy import set_sign_in_policy
from tests.support.soft_authenticator import SoftPasskey
from tests.support.tokens import verify_jwt

RP = RelyingParty.for_issuer(ISSUER, "Acme")


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def registered_key(runtime: Runtime) -> SoftPasskey:
    """A passkey of Ann's, registered through the service (the account page's part is
    tested below)."""
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        ann = session.query(User).filter_by(tenant_id=tid, email="ann@example.com").one()
        user_id = ann.id
    passkeys, key = Passkeys(runtime.database, tid, RP), SoftPasskey(RP.rp_id, RP.origin)
    options = passkeys.registration_options(user_id, "set-up", runtime.clock())
    passkeys.register(user_id, "set-up", key.create(options), "Test key", runtime.clock())
    return key


def uid_of(location: str) -> str:
    match = re.search(r"/interaction/([^/?]+)", location)
    assert match, f"not an interaction URL: {location}"
    return match.group(1)


def passkey_options(http: FlaskClient, uid: str, csrf: str, mode: str = "login") -> str:
    answer = http.post(f"{ISSUER_PATH}/interaction/{uid}/passkey/options",
                       data={"csrf_token": csrf, "mode": mode})
    assert answer.status_code == 200 and answer.mimetype == "application/json", \
        f"options: {answer.status_code} {answer.get_data(as_text=True)[:200]}"
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_data(as_text=True)


def test_username_less_passkey_sign_in_from_authorize_to_tokens(http, world, runtime) -> None:
    key = registered_key(runtime)
    pkce = Pkce()
    location, html = page_after(http, authorize(http, authorize_params(pkce=pkce)))
    assert "Sign in with a passkey" in html and "passkeys.js" in html
    uid, csrf = uid_of(location), csrf_of(html)
    assertion = key.get(passkey_options(http, uid, csrf))
    done = http.post(f"{ISSUER_PATH}/interaction/{uid}/passkey",
                     data={"csrf_token": csrf, "credential": assertion})
    assert done.status_code == 303, f"signed in: {done.status_code} {html_of(done)[:300]}"
    _, consent = page_after(http, done)
    query = redirected_to_client(submit(http, consent, action="approve"), REDIRECT, 303)
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    _, claims = verify_jwt(http, tokens["id_token"])
    assert (claims["amr"], claims["acr"], claims["sub"]) == (["hwk", "mfa"], "2",
                                                             world.user_sub), claims


def test_a_replayed_or_malformed_assertion_gets_the_login_page_again(
        http, world, runtime) -> None:
    key = registered_key(runtime)
    location, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    uid, csrf = uid_of(location), csrf_of(html)
    assertion = key.get(passkey_options(http, uid, csrf))
    url = f"{ISSUER_PATH}/interaction/{uid}/passkey"
    # A first, failed attempt takes the challenge: the valid assertion is now too late.
    for credential in ("{", "[]", "x" * 100_000, '{"id": "AA", "rawId": "AA"}', assertion):
        refused = http.post(url, data={"csrf_token": csrf, "credential": credential})
        assert refused.status_code == 401, f"{credential[:20]!r}: got {refused.status_code}"
        assert "That passkey could not be used" in html_of(refused)
        assert 'name="password"' in html_of(refused), "the login page again"


@pytest.mark.parametrize("data, status", [
    ({"mode": "login"}, 400),  # no CSRF token
    ({"mode": "elsewhere", "csrf_token": "from-page"}, 400),
    ({"mode": "factor", "csrf_token": "from-page"}, 400),  # nobody signed in yet
])
def test_options_endpoint_answers_bad_requests_with_json(http, world, data, status) -> None:
    location, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    if data.get("csrf_token") == "from-page":
        data = {**data, "csrf_token": csrf_of(html)}
    answer = http.post(f"{ISSUER_PATH}/interaction/{uid_of(location)}/passkey/options",
                       data=data)
    assert (answer.status_code, answer.mimetype) == (status, "application/json")
    assert answer.get_json()["error"], answer.get_data(as_text=True)


def test_options_endpoints_for_unknown_requests_and_oversized_bodies(http, world) -> None:
    location, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    csrf = csrf_of(html)
    unknown = http.post(f"{ISSUER_PATH}/interaction/nope/passkey/options",
                        data={"csrf_token": csrf, "mode": "login"})
    assert (unknown.status_code, unknown.mimetype) == (400, "application/json")
    huge = http.post(f"{ISSUER_PATH}/interaction/{uid_of(location)}/passkey/options",
                     data={"csrf_token": csrf, "mode": "login", "pad": "x" * 2_000_000},
                     headers={"Accept": "application/json"})
    assert (huge.status_code, huge.mimetype) == (413, "application/json")
    signed_out = http.post(f"{ISSUER_PATH}/account/passkeys/options",
                           data={"csrf_token": csrf})
    assert (signed_out.status_code, signed_out.mimetype) == (401, "application/json")


def account_page(http: FlaskClient) -> str:
    page = http.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 200, f"account page: {page.status_code}"
    return html_of(page)


def test_register_rename_and_remove_on_the_account_page(http, world, runtime) -> None:
    first = http.get(f"{ISSUER_PATH}/account")
    sign_in(http, first.headers["Location"])
    html = account_page(http)
    assert "You have no passkeys yet." in html and "Add a passkey" in html
    csrf, key = csrf_of(html), SoftPasskey(RP.rp_id, RP.origin)
    options = http.post(f"{ISSUER_PATH}/account/passkeys/options", data={"csrf_token": csrf})
    assert options.status_code == 200, options.get_data(as_text=True)
    added = http.post(f"{ISSUER_PATH}/account/passkeys", data={
        "csrf_token": csrf, "credential": key.create(options.get_data(as_text=True)),
        "name": "Phone"})
    assert added.status_code == 303, html_of(added)[:300]
    html = account_page(http)
    passkey_id = re.search(r'data-passkey-id="(\d+)"', html).group(1)
    assert '<strong class="passkey-name">Phone</strong>' in html
    renamed = http.post(f"{ISSUER_PATH}/account/passkeys/{passkey_id}/rename",
                        data={"csrf_token": csrf, "name": "Old phone"})
    assert renamed.status_code == 303 and "Old phone" in account_page(http)
    removed = http.post(f"{ISSUER_PATH}/account/passkeys/{passkey_id}/delete",
                        data={"csrf_token": csrf})
    assert removed.status_code == 303 and "You have no passkeys yet." in account_page(http)
    again = http.post(f"{ISSUER_PATH}/account/passkeys/{passkey_id}/delete",
                      data={"csrf_token": csrf})
    assert again.status_code == 404 and "does not exist" in html_of(again)


@pytest.mark.parametrize("credential", ["", "{", "x" * 100_000, '{"id": 5}'])
def test_a_bad_registration_answer_gets_a_plain_page(http, world, credential) -> None:
    first = http.get(f"{ISSUER_PATH}/account")
    sign_in(http, first.headers["Location"])
    csrf = csrf_of(account_page(http))
    http.post(f"{ISSUER_PATH}/account/passkeys/options", data={"csrf_token": csrf})
    refused = http.post(f"{ISSUER_PATH}/account/passkeys",
                        data={"csrf_token": csrf, "credential": credential})
    assert refused.status_code == 400, f"got {refused.status_code}"
    assert "could not be read" in html_of(refused), html_of(refused)[:300]


def test_passkeys_are_no_way_in_where_the_tenant_does_not_list_them(
        http, world, runtime) -> None:
    key = registered_key(runtime)
    set_sign_in_policy(runtime, methods="totp")
    location, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    assert "Sign in with a passkey" not in html
    uid, csrf = uid_of(location), csrf_of(html)
    options = http.post(f"{ISSUER_PATH}/interaction/{uid}/passkey/options",
                        data={"csrf_token": csrf, "mode": "login"})
    assert (options.status_code, options.mimetype) == (400, "application/json")
    refused = http.post(f"{ISSUER_PATH}/interaction/{uid}/passkey",
                        data={"csrf_token": csrf, "credential": key.get(
                            '{"rpId": "127.0.0.1", "challenge": "AAAA"}')})
    assert refused.status_code == 400 and "not available" in html_of(refused)


PASSKEY_TEXTS = {
    "en": {"cancelled": "The passkey request was cancelled or timed out. Try again.",
           "failed": "The passkey could not be used.",
           "refused": "The server refused the passkey request. Reload the page and try again.",
           "unsupported": "This browser cannot use passkeys."},
    "de": {"cancelled": "Die Passkey-Anfrage wurde abgebrochen oder hat zu lange gedauert. "
                        "Versuchen Sie es erneut.",
           "failed": "Der Passkey konnte nicht verwendet werden.",
           "refused": "Der Server hat die Passkey-Anfrage abgelehnt. Laden Sie die Seite neu "
                      "und versuchen Sie es erneut.",
           "unsupported": "Dieser Browser kann keine Passkeys verwenden."},
}


def passkey_form_texts(html: str) -> list[dict[str, str]]:
    """The data-text-* messages of each passkey form on the page (what passkeys.js shows)."""
    forms = re.findall(r'<form method="post" class="passkey"(.*?)>', html, re.S)
    assert forms, "the page has a passkey form"
    return [{name: value.replace("&#39;", "'")
             for name, value in re.findall(r'data-text-(\w+)="([^"]*)"', tag)} for tag in forms]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_scripts_messages_come_from_the_page_in_its_language(
        http, world, runtime, language) -> None:
    registered_key(runtime)
    headers = {"Accept-Language": language}
    response = http.get(f"{ISSUER_PATH}/authorize", headers=headers,
                        query_string=authorize_params(pkce=Pkce()))
    login = http.get(response.headers["Location"], headers=headers)
    assert passkey_form_texts(html_of(login)) == [PASSKEY_TEXTS[language]], \
        "the sign-in page's passkey form carries the script's messages, translated"
    first = http.get(f"{ISSUER_PATH}/account", headers=headers)
    assert sign_in(http, first.headers["Location"]).status_code == 303
    account = http.get(f"{ISSUER_PATH}/account", headers=headers)
    assert passkey_form_texts(html_of(account)) == [PASSKEY_TEXTS[language]], \
        "so does the account page's form that adds a passkey"
