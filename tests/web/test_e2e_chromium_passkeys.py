"""Passkeys in Debian's headless Chromium with the CDP virtual authenticator (a CTAP2
platform authenticator with resident keys and user verification), against the real
server under gunicorn, served as ``http://localhost:PORT`` (WebAuthn refuses an
IP-literal origin; the server still listens on 127.0.0.1 only).

One story, in order, on one page (tests share the module's browser and server): sign in
with a password, register a passkey on the account page, sign out, sign in username-less
with it through /authorize → code → tokens (amr "hwk" + "mfa"), remove it, add a second
one with a name, and use it as the second factor after the password (tenant mfa
"optional": enrolled people are asked for it)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.server import start_server
from tests.web.conftest import _cli, stop_processes

TENANT = "pk"
EMAIL = "grace@example.test"
PASSWORD = "correct horse battery staple passkeys"
SEEN: dict[str, str] = {}  # the person's sub, from the first sign-in


@dataclass(frozen=True)
class Server:
    base: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"client callback")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("passkeys")
    # The client's redirect URI: a stub answering 200 (the test reads the code from the
    # browser's request to it; Playwright cannot route a request reached by a redirect).
    callback = ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=callback.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{callback.server_address[1]}/callback"
    with fresh_database_url(folder) as database_url:
        env = {"AUTHSERVER_DATABASE_URL": database_url, "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
               "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(env, "db", "upgrade")
        _cli(env, "tenant", "create", TENANT, "--name", "Passkey Works", "--json")
        _cli(env, "tenant", "update", TENANT, "--mfa", "optional", "--mfa-methods", "webauthn")
        client = _cli(env, "client", "create", "--tenant", TENANT, "--name", "Passkey RP",
                      "--redirect-uri", redirect_uri, "--scope", "openid email",
                      "--first-party", "--json")
        _cli(env, "user", "create", "--tenant", TENANT, "--email", EMAIL, "--email-verified",
             "--password-stdin", "--json", stdin=PASSWORD + "\n")
        log = folder / "gunicorn.log"
        process, base = start_server({**os.environ, **env}, log, public_host="localhost")
        try:
            yield Server(base, f"{base}/t/{TENANT}", client["client_id"],
                         client["client_secret"], redirect_uri)
        finally:
            stop_processes(server=process)
            callback.shutdown()
            callback.server_close()
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]


@pytest.fixture(scope="module")
def authenticator(browser_context: Any, page: Any) -> dict[str, Any]:
    cdp = browser_context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return {"cdp": cdp, "id": added["authenticatorId"]}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def start_authorize(page: Any, server: Server) -> dict[str, str]:
    """Open /authorize in the browser; the code's redirect is caught before it leaves."""
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": server.client_id,
              "redirect_uri": server.redirect_uri, "scope": "openid email",
              "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
              "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
              "code_challenge_method": "S256"}
    page.goto(f"{server.issuer}/authorize?{urllib.parse.urlencode(params)}")
    return {"verifier": verifier, "state": params["state"]}


def tokens_after(page: Any, server: Server, started: dict[str, str],
                 action: Callable[[], None]) -> dict[str, Any]:
    """Do ``action``, catch the browser's request to the client's redirect URI (a stub
    that answers 200, so no failed navigation races the next test's), and exchange its
    code at the token endpoint."""
    with page.expect_request(lambda r: r.url.startswith(f"{server.redirect_uri}?")) as caught:
        action()
    url = caught.value.url
    page.wait_for_url(lambda current: current.startswith(f"{server.redirect_uri}?"))
    page.wait_for_load_state()
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query.get("state") == started["state"] and "code" in query, \
        f"expected a code for this request, got {url}"
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": query["code"],
        "redirect_uri": server.redirect_uri, "code_verifier": started["verifier"]}).encode()
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    request = urllib.request.Request(f"{server.issuer}/token", data=body, headers={  # noqa: S310
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
        return json.loads(answer.read())


def passkey_names(page: Any) -> list[str]:
    return page.locator(".passkey-name").all_inner_texts()


def test_password_sign_in_then_register_a_passkey_on_the_account_page(
        page: Any, server: Server, authenticator: dict[str, Any]) -> None:
    started = start_authorize(page, server)
    page.get_by_label("Email or user name").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    tokens = tokens_after(page, server, started,
                          page.get_by_role("button", name="Sign in", exact=True).click)
    first = _claims(tokens["id_token"])
    assert first["amr"] == ["pwd"]
    SEEN["sub"] = first["sub"]

    page.goto(f"{server.issuer}/account")
    assert "You have no passkeys yet." in page.content()
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(".passkey-name")
    assert passkey_names(page) == ["Passkey 1"], page.content()
    credentials = authenticator["cdp"].send("WebAuthn.getCredentials",
                                            {"authenticatorId": authenticator["id"]})
    assert [c["isResidentCredential"] for c in credentials["credentials"]] == [True]
    assert credentials["credentials"][0]["rpId"] == "localhost"
    assert not [line for line in page.console_lines if "Content Security Policy" in line], \
        f"the pages must load nothing the CSP blocks: {page.console_lines}"


def test_username_less_sign_in_with_the_passkey_reaches_the_tokens(
        page: Any, browser_context: Any, server: Server) -> None:
    browser_context.clear_cookies()  # signed out
    started = start_authorize(page, server)
    tokens = tokens_after(page, server, started,
                          page.get_by_role("button", name="Sign in with a passkey").click)
    id_token, access = _claims(tokens["id_token"]), _claims(tokens["access_token"])
    assert "hwk" in id_token["amr"] and "mfa" in id_token["amr"], id_token
    assert id_token["acr"] == "2" and id_token["sub"] == SEEN["sub"], id_token
    assert "hwk" in access.get("amr", []), access


def test_remove_the_passkey_then_add_a_named_one(page: Any, server: Server) -> None:
    page.goto(f"{server.issuer}/account")
    assert passkey_names(page) == ["Passkey 1"]
    page.get_by_role("button", name="Remove Passkey 1").click()
    page.wait_for_selector("text=You have no passkeys yet.")
    page.get_by_label("Name for a new passkey (optional)").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(".passkey-name")
    assert passkey_names(page) == ["Work laptop"]
    page.get_by_label("New name").fill("Old laptop")
    page.get_by_role("button", name="Rename").click()
    page.wait_for_selector("text=Old laptop")
    assert passkey_names(page) == ["Old laptop"]


def test_the_passkey_as_second_factor_after_the_password(
        page: Any, browser_context: Any, server: Server) -> None:
    browser_context.clear_cookies()
    started = start_authorize(page, server)
    page.get_by_label("Email or user name").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    tokens = tokens_after(page, server, started,
                          page.get_by_role("button", name="Use a passkey").click)
    id_token = _claims(tokens["id_token"])
    assert {"pwd", "hwk", "mfa"} <= set(id_token["amr"]), id_token
    assert id_token["acr"] == "2"
