"""The hosted sign-in pages and the session cookie (OWASP ASVS V6/V7, SECURITY.md
"Sign-in, sessions"; RFC 6265bis for cookie prefixes)."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest

from tests.support.browser_flow import (
    add_user,
    assert_error_redirect,
    authorize,
    disable_user,
    html_of,
    https_app,
    page_after,
    page_kind,
    redirected_to_client,
    session_cookie,
    submit,
)
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
    obtain_code,
    sign_in,
)

COOKIE = "as-acme"


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def params(**extra):
    return authorize_params(pkce=Pkce(), **extra)


def login_page(http, **extra):
    location, html = page_after(http, authorize(http, params(**extra)))
    assert page_kind(html) == "login", f"expected the login page: {html[:200]}"
    return location, html


def cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    first, *attrs = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    parsed = {}
    for attr in attrs:
        key, _, val = attr.partition("=")
        parsed[key.lower()] = val
    return name, value, parsed


def set_cookies(response) -> dict[str, tuple[str, dict[str, str]]]:
    result = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, value, attrs = cookie_attributes(header)
        result[name] = (value, attrs)
    return result


def prompt_none(http, **extra):
    p = params(prompt="none", **extra)
    return p, authorize(http, p)


def assert_signed_out(http, why: str) -> None:
    p, response = prompt_none(http)
    assert_error_redirect(response, "login_required", REDIRECT, p["state"])


def assert_signed_in(http, why: str) -> None:
    _, response = prompt_none(http)
    query = redirected_to_client(response, REDIRECT, 302)
    assert "code" in query, f"{why}: expected the session to be alive, got {query}"


# --- the pages ----------------------------------------------------------------------------


def all_pages(http):
    """(name, response) for every hosted page a person can meet in a flow."""
    pages = []
    location = authorize(http, params()).headers["Location"]
    pages.append(("login", http.get(location)))
    response = sign_in(http, location)
    consent_url = response.headers["Location"]
    pages.append(("consent", http.get(consent_url)))
    redirected_to_client(submit(http, html_of(pages[-1][1]), action="approve"), REDIRECT)
    select = authorize(http, params(prompt="select_account")).headers["Location"]
    pages.append(("select_account", http.get(select)))
    pages.append(("logout", http.get(f"{ISSUER_PATH}/logout")))
    pages.append(("error", authorize(http, params(client_id="nobody"))))
    return pages


def test_every_page_sends_the_protective_headers(http, world):
    for name, response in all_pages(http):
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, f"{name} page: CSP must forbid framing: {csp!r}"
        assert "default-src 'none'" in csp, f"{name} page: CSP must default to nothing: {csp!r}"
        assert response.headers.get("X-Frame-Options") == "DENY", f"{name} page: X-Frame-Options"
        assert response.headers.get("Referrer-Policy") == "no-referrer", f"{name}: Referrer"
        assert response.headers.get("Cache-Control") == "no-store", f"{name}: Cache-Control"
        assert response.headers.get("X-Content-Type-Options") == "nosniff", f"{name}: nosniff"
        assert "Access-Control-Allow-Origin" not in response.headers, f"{name}: no CORS"


def test_pages_load_nothing_from_other_origins_and_need_no_javascript(http, world):
    for name, response in all_pages(http):
        html = html_of(response)
        # The one script allowed is the passkey ceremony's own file (docs/sign-in/
        # passkeys.md); everything else on the page works without it.
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I)
        tags = re.findall(r"<script\b[^>]*>", html, re.I)
        assert all(tag == '<script src="/static/passkeys.js" defer>' for tag in tags) \
            and not any(body.strip() for body in scripts), \
            f"{name} page must work without JavaScript (only passkeys.js): {tags}"
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, \
                f"{name} page refers to another origin: {url}"
        assert re.search(r'<form method="post" action="/t/acme/', html) or name == "error", \
            f"{name} page must submit a plain POST form to authserver"


def test_login_form_has_labelled_fields(http, world):
    _, html = login_page(http)
    for field, kind, autocomplete in (("identifier", "text", "username"),
                                      ("password", "password", "current-password")):
        assert f'<label for="{field}">' in html, f"the {field} field needs a <label for>"
        assert re.search(rf'<input id="{field}" name="{field}" type="{kind}" '
                         rf'autocomplete="{autocomplete}"', html), f"{field} input"
    assert 'name="csrf_token"' in html


def test_login_works_as_a_plain_form_post(http, world):
    _, html = login_page(http)
    response = http.post(form_action(html), data={
        "csrf_token": csrf_of(html), "identifier": "ANN@example.com ", "password": PASSWORD,
        "action": "login"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert session_cookie(http) is not None


def test_sign_in_by_user_name(http, world):
    location, _ = login_page(http)
    response = sign_in(http, location, identifier="ann")
    assert response.status_code == 303 and session_cookie(http)


# --- failures look the same -----------------------------------------------------------------


def failed_login(app, identifier, password):
    browser = app.test_client()
    _, html = login_page(browser)
    response = browser.post(form_action(html), data={
        "csrf_token": csrf_of(html), "identifier": identifier, "password": password,
        "action": "login"})
    body = html_of(response)
    body = body.replace(csrf_of(html), "CSRF").replace(identifier, "IDENTIFIER")
    body = re.sub(r"/interaction/[^/\"]+/", "/interaction/UID/", body)
    cookies = {name: attrs for name, (_, attrs) in set_cookies(response).items()}
    return response.status_code, body, cookies, session_cookie(browser)


def test_unknown_user_wrong_password_and_disabled_user_look_the_same(app, runtime, world):
    add_user(runtime, "dora@example.com", disabled=True)
    unknown = failed_login(app, "nobody@example.com", PASSWORD)
    wrong = failed_login(app, "ann@example.com", PASSWORD + "!")
    disabled = failed_login(app, "dora@example.com", PASSWORD)
    assert unknown[0] == wrong[0] == disabled[0] == 401, \
        f"statuses differ: {unknown[0]}, {wrong[0]}, {disabled[0]}"
    assert unknown[1] == wrong[1], "unknown user and wrong password must give the same page"
    assert wrong[1] == disabled[1], "a disabled user must get the same page as a wrong password"
    assert unknown[2] == wrong[2] == disabled[2], \
        f"cookies set differ: {unknown[2]}, {wrong[2]}, {disabled[2]}"
    assert unknown[3] is wrong[3] is disabled[3] is None, "no session after a failed sign-in"
    assert "The email address or password is not correct." in unknown[1]


def test_failed_sign_in_keeps_the_flow_and_echoes_the_identifier(http, world):
    location, html = login_page(http)
    response = http.post(form_action(html), data={
        "csrf_token": csrf_of(html), "identifier": "ann@example.com", "password": "nope",
        "action": "login"})
    retry = html_of(response)
    assert 'value="ann@example.com"' in retry
    assert "nope" not in retry, "the password must never be echoed"
    _, html = page_after(http, sign_in(http, location))
    assert page_kind(html) == "consent", "the same request must continue after a retry"


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "token"), [("missing", None), ("wrong", "x" * 43),
                                            ("empty", "")])
def test_login_without_the_right_csrf_token_is_refused(http, world, case, token):
    _, html = login_page(http)
    data = {"identifier": "ann@example.com", "password": PASSWORD, "action": "login"}
    if token is not None:
        data["csrf_token"] = token
    response = http.post(form_action(html), data=data)
    assert response.status_code == 400, f"{case} CSRF token: got {response.status_code}"
    assert COOKIE not in set_cookies(response), f"{case} CSRF token: a session cookie was set"
    assert session_cookie(http) is None
    assert_signed_out(http, f"{case} CSRF token")


def test_cancel_without_csrf_is_refused(http, world):
    _, html = login_page(http)
    response = http.post(form_action(html), data={"action": "cancel"})
    assert response.status_code == 400
    assert "Location" not in response.headers


# --- the session cookie -----------------------------------------------------------------


def test_sign_in_sets_a_hardened_session_cookie(http, world):
    location, _ = login_page(http)
    response = sign_in(http, location)
    cookies = set_cookies(response)
    assert COOKIE in cookies, f"sign-in must set {COOKIE}: {list(cookies)}"
    value, attrs = cookies[COOKIE]
    assert "httponly" in attrs, "the session cookie must be HttpOnly"
    assert attrs.get("samesite") == "Lax"
    assert attrs.get("path") == "/"
    assert "domain" not in attrs, "the session cookie must be host-only"
    assert "secure" not in attrs, "plain-http deployment: Secure would drop the cookie"
    assert len(value) >= 43, "the session token must carry at least 128 bits (here 256)"
    assert value not in html_of(response)


def test_https_deployment_uses_host_prefixed_secure_cookies(runtime, settings, database,
                                                             clock):
    build_world(runtime)
    _, app = https_app(settings, database, clock)
    browser = app.test_client()
    base = "https://id.example"
    first = browser.get(f"{ISSUER_PATH}/authorize?{urlencode(params())}", base_url=base)
    location = first.headers["Location"]
    flow = set_cookies(first)
    assert "__Host-authserver-flow" in flow, f"flow cookie must be __Host-: {list(flow)}"
    assert "secure" in flow["__Host-authserver-flow"][1]
    html = html_of(browser.get(location, base_url=base))
    response = browser.post(form_action(html), base_url=base, data={
        "csrf_token": csrf_of(html), "identifier": "ann@example.com", "password": PASSWORD,
        "action": "login"})
    assert response.status_code == 303
    cookies = set_cookies(response)
    assert "__Host-as-acme" in cookies, f"https session cookie must be __Host-: {list(cookies)}"
    assert COOKIE not in cookies
    _, attrs = cookies["__Host-as-acme"]
    assert "secure" in attrs and "httponly" in attrs
    assert attrs.get("path") == "/" and "domain" not in attrs
    assert attrs.get("samesite") == "Lax"
    html = html_of(browser.get(response.headers["Location"], base_url=base))
    done = browser.post(form_action(html), base_url=base,
                        data={"csrf_token": csrf_of(html), "action": "approve"})
    assert redirected_to_client(done, REDIRECT, 303)["iss"] == "https://id.example/t/acme"


def test_every_sign_in_makes_a_new_session_token(app, world):
    browser = app.test_client()
    obtain_code(browser, params())
    first = session_cookie(browser)
    location, _ = page_after(browser, authorize(browser, params(prompt="login")))
    redirected_to_client(sign_in(browser, location), REDIRECT, 303)
    second = session_cookie(browser)
    assert first and second and first != second, "sign-in must issue a new session token"
    assert_signed_in(browser, "the new session")

    stale = app.test_client()
    stale.set_cookie(COOKIE, first)
    assert_signed_out(stale, "the replaced session token must no longer work")


def test_a_pre_set_session_cookie_is_not_adopted(app, world):
    # Session fixation: a token planted before sign-in is never what the browser ends with.
    browser = app.test_client()
    browser.set_cookie(COOKIE, "planted-by-attacker-" + "a" * 24)
    obtain_code(browser, params())
    assert session_cookie(browser) != "planted-by-attacker-" + "a" * 24


def test_csrf_token_changes_at_sign_in(http, world):
    location, login_html = login_page(http)
    _, consent_html = page_after(http, sign_in(http, location))
    assert csrf_of(login_html) != csrf_of(consent_html), \
        "the flow cookie (and its CSRF token) must be renewed at sign-in"


# --- limits -------------------------------------------------------------------------------


def test_idle_session_ends_after_the_idle_limit(http, world, clock):
    obtain_code(http, params())
    clock.advance(minutes=29)
    assert_signed_in(http, "29 minutes idle is within the 30-minute limit")
    clock.advance(minutes=30, seconds=1)
    assert_signed_out(http, "past the idle limit")
    _, html = page_after(http, authorize(http, params()))
    assert page_kind(html) == "login", "an idle session must lead to the login page"


def test_session_ends_at_the_absolute_limit_even_when_active(http, world, clock):
    obtain_code(http, params())
    for _ in range(11 * 2 + 1):  # active every 30 minutes minus a bit, for 11.5 hours
        clock.advance(minutes=29, seconds=59)
        assert http.get(f"{ISSUER_PATH}/logout").status_code == 200  # touches the session
    clock.advance(minutes=29)  # 11h59m... still inside 12 h
    assert_signed_in(http, "just inside the absolute limit")
    clock.advance(minutes=2)
    assert_signed_out(http, "past the 12-hour absolute limit")


def test_cancel_on_the_login_page_is_access_denied(http, world):
    p = params()
    _, html = page_after(http, authorize(http, p))
    response = submit(http, html, action="cancel")
    assert response.status_code == 303
    assert_error_redirect(response, "access_denied", REDIRECT, p["state"])
    assert session_cookie(http) is None


def test_disabling_the_user_ends_their_session(http, runtime, world):
    obtain_code(http, params())
    assert_signed_in(http, "before disabling")
    disable_user(runtime, "ann@example.com")
    assert_signed_out(http, "a disabled user's session must end at once")
