"""Error codes on the hosted pages (issue 10 item 6): every failure a person sees on the
sign-in pages (AUTH-1xxx) and anywhere on the server (AUTH-9xxx) shows its stable code
next to the message; a code never tells whether an account exists; every defined code
is documented in docs/errors.md; expired links get one page with a code and a way on."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

import authserver.services
from authserver.runtime import Runtime
from authserver.services import sign_in_errors
from authserver.services.error_codes import all_codes, by_message
from tests.support.browser_flow import add_user, disable_user, html_of, interaction_location
from tests.support.oauth import (
    ISSUER_PATH,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
)
from tests.support.sign_in_policy import set_sign_in_policy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CODE = re.compile(r'<span class="code">\((AUTH-\d{4})\)</span>')


def every_code() -> list:
    for module in pkgutil.walk_packages(authserver.services.__path__, "authserver.services."):
        importlib.import_module(module.name)
    return all_codes()


def test_every_defined_code_is_documented_in_docs_errors_md_with_its_name_and_status() -> None:
    # A row may add a second status in words ("403 (API: 404)"); the first is the code's.
    documented = set(re.findall(r"^\| (AUTH-\d{4}) \| `(\w+)` \| (\d{3})\b", DOCS.read_text(),
                                re.M))
    missing = [f"{c.code} {c.name} {c.status}" for c in every_code()
               if (c.code, c.name, str(c.status)) not in documented]
    assert not missing, f"add or correct these rows of the code table in docs/errors.md: {missing}"


def test_sign_in_and_general_codes_are_in_their_ranges_with_their_own_words() -> None:
    ours = [c for c in every_code() if c.code[5] in "19"]
    assert {c.code for c in ours} >= {"AUTH-1001", "AUTH-9001", "AUTH-9002"}
    for entry in ours:
        assert by_message(entry.message) is entry, \
            f"{entry.code} shares its message with {by_message(entry.message).code}"


@pytest.fixture
def acme(runtime: Runtime) -> Runtime:
    build_world(runtime)
    add_user(runtime, "off@example.com")
    disable_user(runtime, "off@example.com")
    return runtime


def login(http: FlaskClient, identifier: str, password: str):  # type: ignore[no-untyped-def]
    response = http.get(f"{ISSUER_PATH}/authorize", query_string=authorize_params(pkce=Pkce()))
    html = html_of(http.get(interaction_location(response)))
    return http.post(form_action(html), data={"csrf_token": csrf_of(html), "action": "login",
                                              "identifier": identifier, "password": password})


def shown_code(html: str) -> str | None:
    match = CODE.search(html)
    return match.group(1) if match else None


def test_wrong_password_unknown_and_disabled_accounts_share_one_code(
        acme: Runtime, http: FlaskClient) -> None:
    pages = [login(http, who, "not the password") for who in
             ("ann@example.com", "nobody@example.com", "off@example.com")]
    assert [p.status_code for p in pages] == [401, 401, 401]
    for page in pages:
        html = html_of(page)
        assert ('<p class="error" role="alert" id="login-error">The email address or password '
                'is not correct. <span class="code">(AUTH-1001)</span></p>') in html, html[:900]
    assert len({CODE.findall(html_of(p)).__repr__() for p in pages}) == 1


def test_too_many_attempts_has_its_code_and_the_wait(acme: Runtime, http: FlaskClient) -> None:
    last = None
    for _ in range(12):
        last = login(http, "ann@example.com", "not the password")
        if last.status_code == 429:
            break
    assert last is not None and last.status_code == 429, "the throttle must engage"
    html = html_of(last)
    assert re.search(r"Too many attempts\. Try again in \d+ minutes?\. "
                     r'<span class="code">\(AUTH-1002\)</span>', html), html[:900]


def test_an_untrusted_authorization_request_shows_its_code(acme: Runtime,
                                                          http: FlaskClient) -> None:
    response = http.get(f"{ISSUER_PATH}/authorize", headers=HTML,
                        query_string=authorize_params(client_id="nope", pkce=Pkce()))
    assert response.status_code == 400
    assert shown_code(html_of(response)) == sign_in_errors.UNKNOWN_CLIENT.code == "AUTH-1102"


def test_an_expired_sign_in_request_shows_its_code(acme: Runtime, http: FlaskClient) -> None:
    response = http.get(f"{ISSUER_PATH}/interaction/{'x' * 32}", headers=HTML)
    assert response.status_code == 400
    assert shown_code(html_of(response)) == "AUTH-1107"


def test_a_form_without_its_csrf_token_says_so_with_a_code(acme: Runtime,
                                                           http: FlaskClient) -> None:
    response = http.get(f"{ISSUER_PATH}/authorize", query_string=authorize_params(pkce=Pkce()))
    location = interaction_location(response)
    html = html_of(http.get(location))
    refused = http.post(form_action(html), headers=HTML,
                        data={"identifier": "ann@example.com", "password": "x",
                              "action": "login"})
    assert refused.status_code == 400
    page = html_of(refused)
    assert "This form has expired or was not sent from this browser." in page
    assert "Error code: AUTH-9005" in page, page[:900]


def test_404_and_405_pages_carry_general_codes_and_api_clients_get_json(
        acme: Runtime, http: FlaskClient) -> None:
    missing = http.get("/no/such/page", headers=HTML)
    assert missing.status_code == 404 and "Error code: AUTH-9001" in html_of(missing)
    assert "HTTP status 404." in html_of(missing)
    wrong = http.post(f"{ISSUER_PATH}/jwks", headers=HTML)
    assert wrong.status_code == 405 and "Error code: AUTH-9002" in html_of(wrong)
    api = http.get("/no/such/page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    api = http.post(f"{ISSUER_PATH}/jwks")
    assert api.status_code == 405 and api.is_json and "Allow" in api.headers


def assert_expired_link_page(response, code: str, again: str) -> None:  # type: ignore[no-untyped-def]
    html = html_of(response)
    assert "<h1>This link no longer works</h1>" in html, html[:900]
    assert f'<span class="code">({code})</span>' in html, html[:900]
    link = re.search(r'<a href="([^"]+)" id="link-again">([^<]+)</a>', html)
    assert link, "the page offers a way forward"
    assert urlsplit(link.group(1).replace("&amp;", "&")).path.startswith(again), link.group(1)
    assert response.headers["Cache-Control"] == "no-store"


def test_expired_magic_verification_and_reset_links_share_one_page(
        acme: Runtime, http: FlaskClient) -> None:
    set_sign_in_policy(acme, magic_links=True)
    response = http.get(f"{ISSUER_PATH}/authorize", query_string=authorize_params(pkce=Pkce()))
    location = urlsplit(interaction_location(response)).path
    magic = http.get(f"{location}/magic?token={'x' * 43}")
    assert magic.status_code == 410
    assert_expired_link_page(magic, "AUTH-1040", location)

    verify = http.get(f"{ISSUER_PATH}/signup/verify?token=made-up")
    assert verify.status_code == 400
    assert_expired_link_page(verify, "AUTH-2008", f"{ISSUER_PATH}/account")

    reset = http.get(f"{ISSUER_PATH}/reset?token={'y' * 43}")
    assert reset.status_code == 410
    assert_expired_link_page(reset, "AUTH-3501", f"{ISSUER_PATH}/reset")


def test_passkey_answers_carry_the_code_passkeys_js_shows(acme: Runtime,
                                                         http: FlaskClient) -> None:
    response = http.get(f"{ISSUER_PATH}/authorize", query_string=authorize_params(pkce=Pkce()))
    location = urlsplit(interaction_location(response)).path
    stale = http.post(f"{location}/passkey/options", data={"mode": "login",
                                                           "csrf_token": "stale"})
    assert stale.status_code == 400 and stale.is_json
    assert stale.get_json() == {
        "error": "This page has expired. Reload it and try again. (AUTH-1051)",
        "error_code": "AUTH-1051"}
    german = http.post(f"{location}/passkey/options", data={"mode": "login"},
                       headers={"Accept-Language": "de"})
    assert german.get_json()["error"] == ("Diese Seite ist abgelaufen. Laden Sie sie neu und "
                                          "versuchen Sie es erneut. (AUTH-1051)")
