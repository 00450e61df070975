"""Branding and translation in Debian's headless Chromium on a real server (gunicorn): a
tenant with an uploaded logo and a brand colour, a sign-in page asked for in German by
``ui_locales``. One page load shows the logo really decoded by the browser, the colour
really applied through the pages' CSP (no inline style), and the German text."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.images import png
from tests.support.server import start_server
from tests.web.conftest import _cli, stop_processes

TENANT = "e2e-brand"
REDIRECT = "https://app.example/cb"


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("e2e-brand")
    logo = folder / "logo.png"
    logo.write_bytes(png(48, 24))
    with fresh_database_url(folder) as database_url:
        settings = {"AUTHSERVER_DATABASE_URL": database_url,
                    "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
                    "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(settings, "db", "upgrade")
        _cli(settings, "tenant", "create", TENANT, "--name", "Acme", "--json")
        _cli(settings, "tenant", "update", TENANT, "--brand-name", "Acme Stores",
             "--brand-color", "#0a5", "--brand-logo-file", str(logo), "--json")
        client = _cli(settings, "client", "create", "--tenant", TENANT, "--name", "Shop",
                      "--redirect-uri", REDIRECT, "--scope", "openid email", "--json")
        log = folder / "gunicorn.log"
        server, base = start_server({**os.environ, **settings}, log)
        try:
            yield f"{base}/t/{TENANT}", client["client_id"], log
        finally:
            stop_processes(server=server)


def test_a_branded_german_sign_in_page(branded: tuple[str, str, Path], page: Any) -> None:
    issuer, client_id, log = branded
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    page.goto(f"{issuer}/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "scope": "openid email", "state": "s1", "code_challenge": challenge,
        "code_challenge_method": "S256", "ui_locales": "de-DE en"}))
    page.wait_for_selector("h1")
    logs = lambda: f"{page.console_lines}\n{log.read_text(errors='replace')[-2000:]}"  # noqa: E731

    assert page.get_attribute("html", "lang") == "de", logs()
    assert page.inner_text("h1") == "Anmelden", logs()
    assert page.inner_text("label[for=identifier]") == "E-Mail-Adresse oder Benutzername"
    assert page.text_content(".tenant") == "Acme Stores"
    logo = page.locator("#brand-logo")
    logo.wait_for()
    width = page.evaluate("() => document.getElementById('brand-logo').naturalWidth")
    assert width == 48, f"the browser must decode the uploaded logo (got {width}): {logs()}"
    colour = page.evaluate(
        "() => getComputedStyle(document.querySelector('button.primary')).backgroundColor")
    assert colour == "rgb(0, 170, 85)", f"the brand colour #0a5 must apply: {colour} {logs()}"
    assert not [line for line in page.console_lines if "Content Security Policy" in line], \
        f"nothing on the page may be blocked by its CSP: {page.console_lines}"
