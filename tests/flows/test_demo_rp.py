"""The built-in demo relying party (development only), over real HTTP under gunicorn.

A newcomer runs `make run`, opens the printed URL and signs in as the demo user: the page
shows the validated ID token's claims, the access token's claims and the userinfo
response; a refresh rotates the tokens; signing out goes through authserver's
RP-initiated logout page and back. In production the demo RP does not exist."""

from __future__ import annotations

import dataclasses
import json
import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient

from authserver.settings import Settings
from authserver.storage.database import Database
from tests.support.loopback_browser import Browser, Page
from tests.support.server import LiveServer, live_server, url_of


def panel(page: Page, element_id: str) -> dict[str, Any]:
    match = re.search(rf'<pre id="{element_id}">(.*?)</pre>', page.text, re.S)
    assert match, f"the demo RP page has no #{element_id} panel:\n{page.text[:1500]}"
    return json.loads(unescape(match.group(1)))


def notice(page: Page) -> str:
    match = re.search(r'<p class="(?:notice|error)"[^>]*>(.*?)</p>', page.text, re.S)
    assert match, f"expected a notice on {page.url}:\n{page.text[:1500]}"
    return unescape(match.group(1))


def sign_in(browser: Browser, server: LiveServer, demo: dict[str, Any]) -> Page:
    start = browser.go(demo["demo_rp"])
    assert start.status == 200, f"the demo RP answered {start.status}"
    assert 'href="/demo-rp/login">Sign in with authserver</a>' in start.text
    login = browser.go(f"{server.base_url}/demo-rp/login")
    assert login.url.startswith(f"{demo['issuer']}/interaction/"), login.url
    assert 'name="password"' in login.text, "expected authserver's sign-in page"
    consent = browser.submit(login, "/login", identifier=demo["user"]["email"],
                             password=demo["user"]["password"], action="login")
    assert "Allow Demo web app?" in consent.text, f"expected consent:\n{consent.text[:800]}"
    return browser.submit(consent, "/consent", action="approve")


def test_the_demo_rp_signs_in_shows_the_tokens_refreshes_and_signs_out(
        database: Database, tmp_path: Any) -> None:
    with live_server(url_of(database), tmp_path) as server:
        demo = server.cli_json("demo")
        issuer = demo["issuer"]
        browser = Browser()
        home = sign_in(browser, server, demo)
        assert (home.status, home.url) == (200, demo["demo_rp"]), home.text[:800]
        assert notice(home) == "Signed in. The ID token's signature and claims were checked."

        id_claims = panel(home, "id-token-claims")
        assert id_claims["iss"] == issuer
        assert id_claims["aud"] in ("demo-web", ["demo-web"])
        assert id_claims["sub"] == demo["user"]["sub"]
        assert id_claims["nonce"], "the demo RP must send and check a nonce"
        access = panel(home, "access-token-claims")
        assert access["client_id"] == "demo-web"
        assert access["sub"] == demo["user"]["sub"]
        userinfo = panel(home, "userinfo")
        assert userinfo["sub"] == demo["user"]["sub"]
        assert userinfo["email"] == "demo@example.com"
        assert "demo-rp" in {c.name for c in browser.jar}, "tokens live in the RP's cookie"
        rp_cookie = next(c for c in browser.jar if c.name == "demo-rp")
        assert rp_cookie.path == "/demo-rp", "authserver's own pages must not get RP tokens"
        assert access["jti"] not in rp_cookie.value, "the cookie must be encrypted"

        refreshed = browser.submit(home, "/demo-rp/refresh")
        assert refreshed.status == 200, refreshed.text[:800]
        assert notice(refreshed) == ("Refreshed: a new access token, ID token and refresh "
                                     "token (the old one is now spent).")
        assert panel(refreshed, "access-token-claims")["jti"] != access["jti"]
        assert panel(refreshed, "userinfo")["sub"] == demo["user"]["sub"]

        confirm = browser.submit(refreshed, "/demo-rp/logout")
        assert confirm.url.startswith(f"{issuer}/logout?"), confirm.url
        assert "Demo web app asked to sign you out" in confirm.text, confirm.text[:800]
        back = browser.submit(confirm, "/logout/confirm", action="logout")
        assert back.url.startswith(f"{demo['demo_rp']}?state="), back.url
        assert notice(back) == ("You are signed out of authserver, and the demo RP forgot "
                                "your tokens.")
        assert "Sign in with authserver" in back.text
        again = browser.go(f"{server.base_url}/demo-rp/login")
        assert 'name="password"' in again.text, "after logout authserver must ask to sign in"


def test_a_callback_this_browser_did_not_start_is_refused(database: Database,
                                                          tmp_path: Any) -> None:
    with live_server(url_of(database), tmp_path) as server:
        server.cli_json("demo")
        page = Browser().go(f"{server.base_url}/demo-rp/callback?code=x&state=forged")
        assert page.status == 400, page.text[:500]
        assert notice(page) == ("this sign-in response does not belong to a sign-in this "
                                "browser started (state does not match): start again")


def test_the_demo_rp_does_not_exist_in_production(settings: Settings, database: Any) -> None:
    from authserver import create_app
    from authserver.runtime import build_runtime

    production = dataclasses.replace(settings, env="production",
                                     public_url="https://id.example")
    runtime = build_runtime(production, database=database)
    client: FlaskClient = create_app(runtime=runtime).test_client()
    for path in ("/demo-rp/", "/demo-rp/login", "/demo-rp/callback?code=x&state=y"):
        response = client.get(path, base_url="https://id.example")
        assert response.status_code == 404, f"{path} must not exist in production"
    assert "demo_rp" not in client.application.blueprints
