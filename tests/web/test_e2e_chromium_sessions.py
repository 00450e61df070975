"""Sessions in Debian's headless Chromium on a real server (gunicorn): single active
session displaces the earlier browser, and ending a session from the account page signs
the other browser out (issue 10, Done when). Two browser contexts are two devices: each
has its own cookies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.server import start_server
from tests.web.conftest import EMAIL, PASSWORD, _cli, stop_processes

SINGLE = "e2e-single"  # single active session on
MANY = "e2e-many"  # several sessions allowed (the default)
LAPTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/130.0.0.0 Safari/537.36")
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


@dataclass
class SessionStack:
    base: str
    server_log: Path

    def account(self, slug: str) -> str:
        return f"{self.base}/t/{slug}/account"

    def logs(self) -> str:
        return self.server_log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionStack]:
    folder = tmp_path_factory.mktemp("e2e-sessions")
    with fresh_database_url(folder) as database_url:
        env = {"AUTHSERVER_DATABASE_URL": database_url, "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
               "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(env, "db", "upgrade")
        for slug in (SINGLE, MANY):
            _cli(env, "tenant", "create", slug, "--json")
            _cli(env, "user", "create", "--tenant", slug, "--email", EMAIL, "--email-verified",
                 "--password-stdin", "--json", stdin=PASSWORD + "\n")
        _cli(env, "tenant", "update", SINGLE, "--single-session", "on")
        server_log = folder / "gunicorn.log"
        server, base = start_server({**os.environ, **env}, server_log)
        try:
            yield SessionStack(base, server_log)
        finally:
            stop_processes(server=server)
            assert "Traceback" not in server_log.read_text(errors="replace"), \
                server_log.read_text(errors="replace")[-3000:]


@pytest.fixture
def devices(browser: Any) -> Iterator[tuple[Any, Any]]:
    """A laptop and a phone: two contexts, so two cookie jars."""
    contexts = [browser.new_context(user_agent=ua) for ua in (LAPTOP_UA, PHONE_UA)]
    pages = []
    for context in contexts:
        context.set_default_timeout(10_000)
        pages.append(context.new_page())
    try:
        yield pages[0], pages[1]
    finally:
        for context in contexts:
            context.close()


def sign_in_to_account(page: Any, url: str) -> None:
    page.goto(url)
    assert page.locator("h1").inner_text() == "Sign in", page.url
    page.get_by_label("Email or user name").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.locator("h1").inner_text() == "Your account", page.url


def test_single_session_displaces_the_earlier_browser(stack: SessionStack,
                                                      devices: tuple[Any, Any]) -> None:
    laptop, phone = devices
    sign_in_to_account(laptop, stack.account(SINGLE))
    sign_in_to_account(phone, stack.account(SINGLE))
    laptop.reload()
    assert laptop.locator("h1").inner_text() == "Sign in", \
        f"the displaced laptop must sign in again: {laptop.url}\n{stack.logs()}"
    notice = laptop.locator("#signed-out")
    assert notice.inner_text() == ("You were signed out because your account signed in on "
                                   "another device. (AUTH-4003)"), laptop.content()
    laptop.reload()
    assert laptop.locator("h1").inner_text() == "Sign in"
    assert laptop.locator("#signed-out").count() == 0, "the notice is shown once"
    phone.reload()
    assert phone.locator("h1").inner_text() == "Your account", "the newer sign-in stays"
    items = phone.locator(".session-item")
    assert items.count() == 1, "only the phone's session is open"
    assert "This device" in items.first.inner_text()


def test_ending_a_session_from_the_account_page_signs_the_other_browser_out(
        stack: SessionStack, devices: tuple[Any, Any]) -> None:
    laptop, phone = devices
    sign_in_to_account(phone, stack.account(MANY))
    sign_in_to_account(laptop, stack.account(MANY))
    items = laptop.locator(".session-item")
    assert items.count() == 2, laptop.content()
    this = laptop.locator(".session-item", has_text="This device")
    assert "Chrome 130 on Linux" in this.inner_text()
    other = laptop.locator(".session-item", has_text="Mobile Safari 17 on iOS (iPhone)")
    assert "127.0.0.1" in other.inner_text(), "the address is shown"
    other.get_by_role("button", name="End the session on Mobile Safari 17 on iOS (iPhone)"
                      ).click()
    assert "That session has ended." in laptop.locator("[role=status]").inner_text()
    assert laptop.locator(".session-item").count() == 1
    phone.reload()
    assert phone.locator("h1").inner_text() == "Sign in", \
        f"the ended phone must sign in again: {phone.url}\n{stack.logs()}"
    assert "ended from another device. (AUTH-4007)" in phone.locator("#signed-out").inner_text()
    laptop.reload()
    assert laptop.locator("h1").inner_text() == "Your account", "the laptop stays signed in"
