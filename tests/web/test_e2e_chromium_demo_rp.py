"""README's first minute in Debian's headless Chromium, with JavaScript off: run
`authserver demo` (as `make run` does), open the URL it printed, sign in with the printed
email and password, allow the demo app, and see the ID token's claims and userinfo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import fresh_database_url
from tests.support.server import LiveServer, live_server
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with fresh_database_url(tmp_path) as url, live_server(url, tmp_path / "instance") as live:
        yield live


@pytest.fixture
def no_js_page(tmp_path: Path) -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make system-deps` installs chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, java_script_enabled=False)
        context.set_default_timeout(10_000)
        page = context.pages[0] if context.pages else context.new_page()
        page.console_lines = []
        page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
        try:
            yield page
        finally:
            context.close()


def test_a_newcomer_signs_in_to_the_printed_demo_rp_url_and_sees_the_claims(
        server: LiveServer, no_js_page: Any) -> None:
    printed = server.cli("demo")
    url = re.search(r"^Demo relying party: (\S+)$", printed, re.M)
    who = re.search(r"sign in there as (\S+) with password (\S+)$", printed, re.M)
    assert url and who, f"`authserver demo` must print the demo RP URL and login:\n{printed}"
    page = no_js_page

    page.goto(url.group(1))
    page.get_by_role("link", name="Sign in with authserver").click()
    page.get_by_label("Email or user name").fill(who.group(1))
    page.get_by_label("Password").fill(who.group(2))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()

    assert page.url == url.group(1), f"expected to land back on the demo RP, at {page.url}"
    assert page.locator("h1").inner_text() == "Signed in"
    claims = json.loads(page.locator("#id-token-claims").inner_text())
    assert claims["iss"] == server.issuer("demo")
    assert claims["aud"] in ("demo-web", ["demo-web"])
    userinfo = json.loads(page.locator("#userinfo").inner_text())
    assert (userinfo["sub"], userinfo["email"]) == (claims["sub"], who.group(1))
    assert not [line for line in page.console_lines if "Content Security Policy" in line], \
        f"the pages must load nothing the CSP blocks: {page.console_lines}"
