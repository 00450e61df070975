"""Interoperability: an independent, OpenID-certified relying party library (openid-client
on Node, tests/web/rp/rp.mjs) registers itself at a real authserver under gunicorn with an
initial access token (RFC 7591: it finds ``registration_endpoint`` by discovery), reads
its registration back (RFC 7592), and a person then signs in to it through the hosted
pages (driven by a plain HTTP browser): openid-client exchanges the code and validates the
ID token and userinfo of the client it registered."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

from authserver.storage.database import Database
from tests.support.loopback_browser import Browser
from tests.support.server import live_server, loopback_listener, port_of, url_of
from tests.web.conftest import _ensure_rp_installed, start_rp, stop_processes

EMAIL = "ada@example.test"
PASSWORD = "correct horse battery staple dcr"


def _ready_line(log: Path) -> dict[str, Any]:
    for line in log.read_text().splitlines():
        if line.startswith('{"ready":true'):
            ready: dict[str, Any] = json.loads(line)
            return ready
    raise AssertionError(f"no ready line in the RP's log:\n{log.read_text()}")


def test_openid_client_registers_itself_and_signs_a_person_in(database: Database,
                                                             tmp_path: Path) -> None:
    node = _ensure_rp_installed()
    with live_server(url_of(database), tmp_path) as server, \
            loopback_listener() as listener:
        server.cli("tenant", "create", "dcr")
        server.cli("tenant", "update", "dcr", "--registration", "initial-access-token")
        user = server.cli_json("user", "create", "--tenant", "dcr", "--email", EMAIL,
                               "--given-name", "Ada", "--email-verified", "--password-stdin",
                               stdin=PASSWORD + "\n")
        token = server.cli_json("dcr", "token", "create", "--tenant", "dcr")
        issuer = server.issuer("dcr")
        rp_base = f"http://127.0.0.1:{port_of(listener)}"
        log = tmp_path / "rp.log"
        rp = start_rp(node, listener, issuer, None, log, RP_REGISTER="1",
                      RP_INITIAL_ACCESS_TOKEN=token["token"])
        try:
            registration = _ready_line(log)["registration"]
            client_id = registration["client_id"]
            assert registration["has_secret"], "a client_secret_basic client gets a secret"
            assert registration["read_back_client_id"] == client_id, registration
            assert registration["read_back_redirect_uris"] == [f"{rp_base}/callback"]

            browser = Browser()
            login = browser.go(f"{rp_base}/login")
            assert login.url.startswith(f"{issuer}/interaction/"), login.url
            consent = browser.submit(login, "/login", identifier=EMAIL, password=PASSWORD,
                                     action="login")
            assert "openid-client RP" in consent.text, \
                f"consent must name the registered client:\n{consent.text[:800]}"
            done = browser.submit(consent, "/consent", action="approve")
            assert done.url.startswith(f"{rp_base}/callback"), done.url
            match = re.search(r'<pre id="result">(.*?)</pre>', done.text, re.S)
            assert match, done.text[:800]
            result = json.loads(unescape(match.group(1)))
            assert "error" not in result, f"openid-client refused the response: {result}\n" \
                                          f"{log.read_text()[-2000:]}"
            claims = result["claims"]
            assert claims["iss"] == issuer
            assert claims["aud"] == client_id
            assert claims["sub"] == user["sub"] == result["userinfo"]["sub"]
            assert result["iss_param"] == issuer
        finally:
            stop_processes(rp=rp)
        listed = json.loads(server.cli("dcr", "token", "list", "--tenant", "dcr", "--json"))
        assert [(t["uses"], t["state"]) for t in listed] == [(1, "used up")]
