"""End to end: a single-page app on another origin uses authserver from Debian's headless
Chromium, with nothing but the browser's own ``fetch`` and WebCrypto (tests/web/spa/).

The SPA is served from ``http://localhost:SPAPORT`` by a tiny loopback server; authserver
runs under gunicorn at ``http://127.0.0.1:PORT``: two origins, so every call below is
cross-origin and the browser enforces CORS for real. The SPA makes a PKCE S256 verifier
with ``crypto.getRandomValues`` and ``crypto.subtle.digest``, sends the browser to the
authorization endpoint, the person signs in and consents on the hosted pages (Playwright
fills them), and back on the SPA's callback it fetches discovery, the token endpoint (a
simple POST), userinfo (``Authorization: Bearer`` forces a preflight), the JWKS (to check
the ID token's signature with WebCrypto), a replayed code (the SPA must be able to read
``invalid_grant``), a refresh, a revocation, and introspection, which the browser must
block: it sends no CORS headers. Served as ``http://127.0.0.1:SPAPORT``, an origin nobody
registered, the same script can read none of authserver's answers.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.databases import fresh_database_url
from tests.support.server import LiveServer, live_server, loopback_listener, port_of
from tests.web.conftest import _cli

SPA_DIR = Path(__file__).parent / "spa"
TENANT = "spa"
CLIENT_ID = "browser-spa"
EMAIL = "grace@example.test"
PASSWORD = "correct horse battery staple spa"


@dataclass(frozen=True)
class SpaStack:
    server: LiveServer
    spa_base: str  # http://localhost:SPAPORT, the registered web origin
    user: dict[str, Any]

    @property
    def unregistered_base(self) -> str:
        """The same SPA server by another name: another origin, which nobody registered."""
        return self.spa_base.replace("//localhost:", "//127.0.0.1:")

    @property
    def issuer(self) -> str:
        return self.server.issuer(TENANT)


def spa_server(listener: socket.socket, issuer: str, redirect_uri: str) -> ThreadingHTTPServer:
    """Serves the SPA: its page on / and /callback, its script on /app.js. The page's
    CSP lets it run only its own script and connect only to authserver."""
    config = json.dumps({"issuer": issuer, "client_id": CLIENT_ID, "redirect_uri": redirect_uri})
    authserver_origin = issuer.split("/t/", 1)[0]
    html = (f'<!doctype html><meta charset="utf-8"><title>SPA</title>'
            f'<script type="application/json" id="config">{config}</script>'
            f'<pre id="result"></pre><script src="/app.js"></script>').encode()
    script = (SPA_DIR / "app.js").read_bytes()
    csp = (f"default-src 'none'; script-src 'self'; connect-src {authserver_origin}; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server dispatches on this name
            path = self.path.split("?", 1)[0]
            if path in ("/", "/callback", "/probe"):
                self._send(html, "text/html; charset=utf-8")
            elif path == "/app.js":
                self._send(script, "text/javascript")
            else:
                self.send_error(404)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    # On the socket held since the port was chosen (it is in the registered origin).
    httpd = ThreadingHTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = listener
    return httpd


@pytest.fixture(scope="module")
def spa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpaStack]:
    folder = tmp_path_factory.mktemp("spa")
    with loopback_listener() as spa_listener, fresh_database_url(folder) as database_url, \
            live_server(database_url, folder / "instance") as server:
        spa_base = f"http://localhost:{port_of(spa_listener)}"
        settings = {k: v for k, v in server.env.items() if k.startswith("AUTHSERVER_")}
        _cli(settings, "tenant", "create", TENANT, "--json")
        _cli(settings, "client", "create", "--tenant", TENANT, "--name", "Browser SPA",
             "--public", "--client-id", CLIENT_ID, "--redirect-uri", f"{spa_base}/callback",
             "--web-origin", spa_base, "--scope", "openid profile email", "--json")
        user = _cli(settings, "user", "create", "--tenant", TENANT, "--email", EMAIL,
                    "--given-name", "Grace", "--family-name", "Hopper", "--email-verified",
                    "--password-stdin", "--json", stdin=PASSWORD + "\n")
        httpd = spa_server(spa_listener, server.issuer(TENANT), f"{spa_base}/callback")
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield SpaStack(server, spa_base, user)
        finally:
            httpd.shutdown()
            httpd.server_close()


def spa_result(page: Any, stack: SpaStack) -> dict[str, Any]:
    try:
        page.wait_for_url(f"{stack.spa_base}/callback?*")
        # A selector, not wait_for_function: the page's CSP forbids evaluating strings.
        page.locator("#result:not(:empty)").wait_for()
    except PlaywrightTimeout:
        console = "\n".join(page.console_lines)
        raise AssertionError(f"the SPA did not finish; the browser is at {page.url}\n"
                             f"browser console:\n{console}") from None
    result: dict[str, Any] = json.loads(page.locator("#result").inner_text())
    assert "error" not in result, f"the SPA failed: {result}\n" + "\n".join(page.console_lines)
    return result


def test_an_spa_on_another_origin_signs_in_with_pkce_and_uses_fetch(
        page: Any, spa_stack: SpaStack) -> None:
    stack = spa_stack
    page.goto(f"{stack.spa_base}/")
    # The SPA fetched discovery cross-origin, then sent the browser to /authorize.
    page.wait_for_url(f"{stack.issuer}/interaction/*")
    page.fill("#identifier", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[value=login]")
    page.click("button[value=approve]")
    result = spa_result(page, stack)

    assert result["state_ok"], f"state must come back unchanged: {result['params']}"
    assert result["params"]["iss"] == stack.issuer, "RFC 9207 iss on the response"
    check_code_exchange_and_userinfo(result, stack)
    check_id_token_against_the_jwks(result)
    check_refresh_and_revocation(result)

    replayed = result["replayed_code"]
    assert replayed.get("status") == 400 and replayed["body"]["error"] == "invalid_grant", (
        f"the SPA must be able to read an error such as invalid_grant: {replayed}")
    blocked = result["introspection"]
    assert "Failed to fetch" in blocked.get("blocked", ""), (
        f"introspection sends no CORS headers, so the browser must block it: {blocked}")


def check_code_exchange_and_userinfo(result: dict[str, Any], stack: SpaStack) -> None:
    token = result["token"]
    assert token.get("status") == 200, f"code exchange via fetch: {token}"
    assert {"access_token", "id_token", "refresh_token"} <= set(token["body"]), token
    userinfo = result["userinfo"]
    assert userinfo.get("status") == 200, f"userinfo after its preflight: {userinfo}"
    assert userinfo["body"]["sub"] == stack.user["sub"]
    assert userinfo["body"]["email"] == EMAIL
    challenge = result["userinfo_without_token"]
    assert challenge.get("status") == 401, f"a bad token must be readable as 401: {challenge}"
    assert (challenge["www_authenticate"] or "").startswith("Bearer "), (
        f"WWW-Authenticate must be exposed to the page: {challenge}")


def check_id_token_against_the_jwks(result: dict[str, Any]) -> None:
    assert result["jwks"]["status"] == 200 and result["jwks"]["kids"], result["jwks"]
    id_token = result["id_token"] or {}
    assert id_token.get("valid") is True, "the ID token must verify against the fetched JWKS"
    assert id_token["alg"] == "RS256"
    assert id_token["claims"]["aud"] == CLIENT_ID
    assert id_token["claims"]["nonce"] == result["nonce"]


def check_refresh_and_revocation(result: dict[str, Any]) -> None:
    refresh = result["refresh"]
    assert refresh.get("status") == 200, f"refresh via fetch: {refresh}"
    assert refresh["body"]["refresh_token"] != result["token"]["body"]["refresh_token"]
    assert result["revocation"].get("status") == 200, f"revocation: {result['revocation']}"
    after = result["refresh_after_revocation"]
    assert after.get("status") == 400 and after["body"]["error"] == "invalid_grant", (
        f"the revoked refresh token must be refused, readably: {after}")


def test_the_same_spa_from_an_origin_nobody_registered_can_read_nothing(
        page: Any, spa_stack: SpaStack) -> None:
    page.goto(f"{spa_stack.unregistered_base}/probe")
    page.locator("#result:not(:empty)").wait_for()
    result = json.loads(page.locator("#result").inner_text())
    for call in ("discovery", "jwks", "token", "userinfo"):
        assert "Failed to fetch" in result[call].get("blocked", ""), (
            f"{call} from {spa_stack.unregistered_base} must be blocked by the browser: "
            f"{result[call]}")
