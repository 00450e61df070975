"""End to end for accounts (issue 10 "Done when"): headless Chromium on the hosted pages of
authserver under gunicorn, whose SMTP sender mails a local aiosmtpd sink
(tests/support/mail_sink.py):

- sign-up on {issuer}/signup → the verification mail → its link → sign-in issues a code;
- an invitation (`authserver user create --invite`) → the mail → the accept page → first
  password → sign-in issues a code;
- a password reset from a second browser ends the first browser's session (prompt=none
  answers login_required) and its refresh token (invalid_grant).

The client's redirect URI is a tiny loopback HTTP server that only says "back at the
app"; the test reads the code from the browser's address and exchanges it itself over
HTTP, as a confidential client would. One server,
one sink and one browser for the module; each test opens fresh browser contexts.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.mail_sink import MailSink
from tests.support.server import loopback_listener, port_of, start_server
from tests.web.conftest import _cli, stop_processes

TENANT = "accounts"
ZOE, IVY, ANN = "zoe@example.test", "ivy@example.test", "ann@example.test"
ANN_PASSWORD = "correct horse battery staple accounts"
NEW_PASSWORD = "a freshly chosen passphrase 2026"
LINK = re.compile(r"(http://\S+)")


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><p id=callback>back at the app</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # the query carries codes: not logged
        pass


@contextmanager
def redirect_receiver() -> Iterator[str]:
    """The client's redirect URI, served on a loopback port held from the start."""
    with loopback_listener() as sock:
        server = HTTPServer(sock.getsockname(), _Callback, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port_of(sock)}/callback"
        finally:
            server.shutdown()


@dataclass(frozen=True)
class Stack:
    issuer: str
    redirect: str
    client_id: str
    client_secret: str
    settings: dict[str, str]  # the CLI's environment, pointed at the running server
    sink: MailSink
    server_log: Path

    def logs(self) -> str:
        return self.server_log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("e2e-accounts")
    sink = MailSink(folder, mode="plain").start()
    server = None
    try:
        with fresh_database_url(folder) as database_url, redirect_receiver() as redirect:
            settings = {"AUTHSERVER_DATABASE_URL": database_url,
                        "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
                        "AUTHSERVER_INSTANCE_PATH": str(folder / "instance"),
                        **sink.environ(email_from="Accounts ID <id@example.test>")}
            _cli(settings, "db", "upgrade")
            _cli(settings, "tenant", "create", TENANT, "--json")
            _cli(settings, "tenant", "update", TENANT, "--signup", "on")
            # First party: no consent page, so each sign-in is one form.
            client = _cli(settings, "client", "create", "--tenant", TENANT, "--name",
                          "Accounts RP", "--redirect-uri", redirect, "--first-party",
                          "--scope", "openid profile email", "--json")
            _cli(settings, "user", "create", "--tenant", TENANT, "--email", ANN,
                 "--email-verified", "--password-stdin", "--json", stdin=ANN_PASSWORD + "\n")
            server_log = folder / "gunicorn.log"
            server, base = start_server({**os.environ, **settings}, server_log)
            yield Stack(f"{base}/t/{TENANT}", redirect, client["client_id"],
                        client["client_secret"], {**settings, "AUTHSERVER_PUBLIC_URL": base},
                        sink, server_log)
    finally:
        stop_processes(server=server)
        sink.stop()


@pytest.fixture
def contexts(browser: Any) -> Iterator[Any]:
    """New browser contexts (own cookies) on demand."""
    opened: list[Any] = []

    def open_tab() -> Any:
        context = browser.new_context()
        context.set_default_timeout(10_000)
        opened.append(context)
        return context.new_page()

    try:
        yield open_tab
    finally:
        for context in opened:
            context.close()


@dataclass(frozen=True)
class Authorization:
    url: str
    verifier: str
    state: str


def authorization(stack: Stack, **extra: str) -> Authorization:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(12)
    query = {"response_type": "code", "client_id": stack.client_id, "redirect_uri": stack.redirect,
             "scope": "openid profile email", "state": state, "nonce": secrets.token_hex(8),
             "code_challenge": challenge.decode(), "code_challenge_method": "S256", **extra}
    return Authorization(f"{stack.issuer}/authorize?{urlencode(query)}", verifier, state)


def callback_params(tab: Any, stack: Stack, request: Authorization) -> dict[str, str]:
    tab.wait_for_url(f"{stack.redirect}?*")
    params = {k: v[0] for k, v in parse_qs(urlsplit(tab.url).query).items()}
    assert params.get("state") == request.state, params
    return params


def sign_in(tab: Any, stack: Stack, email: str, password: str) -> tuple[Authorization, str]:
    """The whole browser side of a sign-in; returns the request and the issued code."""
    request = authorization(stack)
    tab.goto(request.url)
    tab.fill("#identifier", email)
    tab.fill("#password", password)
    tab.click("button[value=login]")
    params = callback_params(tab, stack, request)
    assert "code" in params, f"no code issued for {email}: {params}\n{stack.logs()}"
    return request, params["code"]


def token_request(stack: Stack, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    basic = base64.b64encode(f"{stack.client_id}:{stack.client_secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (the loopback server's https-less issuer)
        f"{stack.issuer}/token", data=urlencode(form).encode(), method="POST",
        headers={"Authorization": f"Basic {basic}",
                 "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def exchange(stack: Stack, request: Authorization, code: str) -> dict[str, Any]:
    status, body = token_request(stack, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": stack.redirect,
        "code_verifier": request.verifier})
    assert status == 200 and "id_token" in body, f"code exchange: {status} {body}"
    return body


def userinfo(stack: Stack, tokens: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(f"{stack.issuer}/userinfo", headers={  # noqa: S310
        "Authorization": f"Bearer {tokens['access_token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        claims: dict[str, Any] = json.loads(response.read())
    return claims


def mailed_link(stack: Stack, to: str, path: str) -> str:
    text = str(stack.sink.wait_for(to).message.get_content())
    found = [link for link in LINK.findall(text) if f"/t/{TENANT}/{path}" in link]
    assert found, f"the mail to {to} carries no {path} link: {text!r}"
    return found[0]


def test_sign_up_then_the_mailed_link_then_sign_in_issues_a_code(contexts, stack):
    tab = contexts()
    tab.goto(f"{stack.issuer}/signup")
    tab.fill("#email", ZOE)
    tab.fill("#given_name", "Zoe")
    tab.fill("#password", NEW_PASSWORD)
    tab.click("button.primary")
    tab.wait_for_selector("text=Check your inbox")
    tab.goto(mailed_link(stack, ZOE, "signup/verify?token="))
    assert "Your address is verified" in tab.content()
    request, code = sign_in(tab, stack, ZOE, NEW_PASSWORD)
    claims = userinfo(stack, exchange(stack, request, code))
    assert (claims["email"], claims["email_verified"]) == (ZOE, True), claims


def test_an_invitation_then_the_first_password_then_sign_in_issues_a_code(contexts, stack):
    invited = _cli(stack.settings, "user", "create", "--tenant", TENANT, "--email", IVY,
                   "--given-name", "Ivy", "--invite", "--json")
    assert invited["invitation"]["sent"] is True, invited
    tab = contexts()
    tab.goto(mailed_link(stack, IVY, "invitation?token="))
    assert IVY in tab.content(), "the accept page names the account being set up"
    tab.fill("#new-password", "short")
    tab.fill("#new-password-again", "short")
    tab.click("button.primary")
    assert "AUTH-3001" in tab.locator("#invitation-problems").inner_text(), \
        "a too-short first password is refused with its code"
    tab.fill("#new-password", NEW_PASSWORD)
    tab.fill("#new-password-again", NEW_PASSWORD)
    tab.click("button.primary")
    tab.wait_for_selector("text=Your account is ready")
    assert tab.locator("#sign-in").get_attribute("href") == f"{stack.issuer}/account"
    request, code = sign_in(tab, stack, IVY, NEW_PASSWORD)
    claims = userinfo(stack, exchange(stack, request, code))
    assert (claims["email"], claims["email_verified"], claims["given_name"]) == (
        IVY, True, "Ivy"), claims


def test_a_reset_from_another_browser_ends_the_first_browsers_session_and_refresh_token(
        contexts, stack):
    first = contexts()
    request, code = sign_in(first, stack, ANN, ANN_PASSWORD)
    refresh_token = exchange(stack, request, code).get("refresh_token")
    assert refresh_token, "the sign-in must yield a refresh token to test its end"

    second = contexts()
    second.goto(f"{stack.issuer}/reset")
    second.fill("#reset-email", ANN)
    second.click("button[type=submit]")
    second.wait_for_selector("text=Check your inbox")
    second.goto(mailed_link(stack, ANN, "reset?token="))
    second.fill("#new-password", NEW_PASSWORD)
    second.click("button[type=submit]")
    second.wait_for_selector("text=Your password was changed")

    silent = authorization(stack, prompt="none")
    first.goto(silent.url)
    params = callback_params(first, stack, silent)
    assert params.get("error") == "login_required", \
        f"the first browser's session must be gone after the reset: {params}"
    status, body = token_request(stack, {"grant_type": "refresh_token",
                                         "refresh_token": refresh_token})
    assert (status, body.get("error")) == (400, "invalid_grant"), \
        f"the refresh token from before the reset must be refused: {status} {body}"
