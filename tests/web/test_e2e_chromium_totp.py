"""TOTP and recovery codes in Debian's headless Chromium, on a real server (gunicorn) with
the independent relying party (openid-client, tests/web/rp/): set up an authenticator
app on the account page from the key the page shows (codes computed with pyotp, as an
app would), sign in with password + code through the RP (amr pwd, otp, mfa; acr 2), a
replayed code refused, a recovery code in place of the app, and forced enrolment on a
tenant that requires a second factor.

One server, one relying party and one browser for the module; each test starts from a
browser with no cookies. The app's codes come from the real clock; each accepted code
uses a step no earlier one used (±1 step is accepted), so no test waits for the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.server import loopback_listener, port_of, start_server
from tests.support.tokens import unverified_parts
from tests.web.conftest import (
    EMAIL,
    PASSWORD,
    _cli,
    _ensure_rp_installed,
    start_rp,
    stop_processes,
)

TENANT = "e2e-totp"  # second factor optional: asked of those who set one up
ENFORCING = "e2e-enrol"  # second factor required, authenticator apps only
STEP_UP_EMAIL = "bob@example.test"  # signs in with a password, then is asked for more
REPLAYED = "That code has already been used. Wait for your app to show the next one."


@dataclass
class TotpStack:
    base: str
    rp_base: str
    server_log: Path
    rp_log: Path

    def issuer(self, slug: str) -> str:
        return f"{self.base}/t/{slug}"

    def logs(self) -> str:
        parts = []
        for path in (self.server_log, self.rp_log):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {path.name} (tail) ---\n{text[-3000:]}")
        return "\n".join(parts)


@dataclass
class App:
    """An authenticator app: the seed read off the page, and the last step it gave out."""

    seed: str
    last_step: int = 0
    last_code: str = ""  # the last code the server accepted
    recovery_codes: list[str] = field(default_factory=list)

    def next_code(self) -> str:
        """A code of a step no earlier code used: this step's, else the next one's (the
        server accepts one step either side, so a step boundary between here and the
        server's check changes nothing). Two codes are there without waiting for the
        clock; Ada needs two (confirming, one sign-in)."""
        totp = pyotp.TOTP(self.seed)
        now = totp.timecode(dt.datetime.now(dt.UTC))
        step = max(now, self.last_step + 1)
        assert step <= now + 1, "this module uses more codes than the clock offers"
        self.last_step = step
        self.last_code = totp.generate_otp(step)
        return self.last_code


@pytest.fixture(scope="module")
def totp_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TotpStack]:
    node = _ensure_rp_installed()
    folder = tmp_path_factory.mktemp("e2e-totp")
    with loopback_listener() as rp_listener, fresh_database_url(folder) as database_url:
        rp_base = f"http://127.0.0.1:{port_of(rp_listener)}"
        env = {"AUTHSERVER_DATABASE_URL": database_url, "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
               "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(env, "db", "upgrade")
        _cli(env, "tenant", "create", TENANT, "--name", "TOTP Test Co", "--json")
        _cli(env, "tenant", "create", ENFORCING, "--json")
        # Apps only (no email codes): a person without an app signs in with a password.
        _cli(env, "tenant", "update", TENANT, "--mfa", "optional", "--mfa-methods", "totp")
        _cli(env, "tenant", "update", ENFORCING, "--mfa", "required", "--mfa-methods", "totp")
        client = _cli(env, "client", "create", "--tenant", TENANT, "--name", "E2E RP",
                      "--redirect-uri", f"{rp_base}/callback",
                      "--scope", "openid profile email", "--json")
        for slug, email in ((TENANT, EMAIL), (ENFORCING, EMAIL), (TENANT, STEP_UP_EMAIL)):
            _cli(env, "user", "create", "--tenant", slug, "--email", email, "--email-verified",
                 "--password-stdin", "--json", stdin=PASSWORD + "\n")
        server_log, rp_log = folder / "gunicorn.log", folder / "rp.log"
        server, base = start_server({**os.environ, **env}, server_log)
        rp = None
        try:
            rp = start_rp(node, rp_listener, f"{base}/t/{TENANT}", client, rp_log)
            yield TotpStack(base, rp_base, server_log, rp_log)
        finally:
            stop_processes(rp=rp, server=server)
            assert "Traceback" not in server_log.read_text(errors="replace"), \
                server_log.read_text(errors="replace")[-3000:]


@pytest.fixture
def fresh(page: Any) -> Any:
    """The module's browser, with no cookies: nobody is signed in."""
    page.context.clear_cookies()
    return page


def password_sign_in(page: Any, email: str = EMAIL) -> None:
    page.get_by_label("Email or user name").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def read_app(page: Any) -> App:
    """Scan nothing: read the key the page shows as text, as someone typing it would."""
    assert page.locator("svg").count() >= 1, "the page shows the QR code"
    key = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key), f"grouped for typing: {key}"
    return App(key.replace(" ", ""))


@pytest.fixture(scope="module")
def ada(totp_stack: TotpStack, page: Any) -> App:
    """Ada sets up an app and recovery codes on her account page, once for the module."""
    page.context.clear_cookies()
    page.goto(f"{totp_stack.issuer(TENANT)}/account")
    password_sign_in(page)
    assert page.locator("h1").inner_text() == "Your account", page.url
    page.get_by_role("button", name="Set up an authenticator app").click()
    app = read_app(page)
    page.get_by_label("Code from your authenticator app").fill(app.next_code())
    page.get_by_role("button", name="Confirm").click()
    assert "Your authenticator app is set up" in page.locator("[role=status]").inner_text()
    page.get_by_role("button", name="Generate recovery codes").click()
    app.recovery_codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(app.recovery_codes) == 10, app.recovery_codes
    assert not [line for line in page.console_lines if "Content Security Policy" in line], \
        f"the account page must load nothing the CSP blocks: {page.console_lines}"
    return app


def rp_result(page: Any, stack: TotpStack) -> dict[str, Any]:
    """Past consent (first time only) to the RP's callback; what the RP received."""
    if "/interaction/" in page.url and page.locator("button[value=approve]").count():
        page.locator("button[value=approve]").click()
    page.wait_for_url(f"{stack.rp_base}/callback?*")
    result = json.loads(page.locator("#result").inner_text())
    assert "error" not in result, f"RP rejected the response: {result}\n{stack.logs()}"
    return result


def rp_claims(page: Any, stack: TotpStack) -> dict[str, Any]:
    """The ID token's claims, as the RP verified them."""
    claims: dict[str, Any] = rp_result(page, stack)["claims"]
    return claims


def access_token_claims(token: str) -> dict[str, Any]:
    """The access token's payload (the RP checked nothing of it; the test reads it)."""
    _, claims = unverified_parts(token)
    return claims


def to_second_step(page: Any, stack: TotpStack) -> None:
    page.goto(f"{stack.rp_base}/login")
    password_sign_in(page)
    assert page.locator("h1").inner_text() == "Confirm it's you", page.url


def test_password_and_authenticator_code_through_the_rp_give_mfa(
        totp_stack: TotpStack, ada: App, fresh: Any) -> None:
    to_second_step(fresh, totp_stack)
    fresh.get_by_label("Code from your authenticator app").fill(ada.next_code())
    fresh.get_by_role("button", name="Continue").click()
    result = rp_result(fresh, totp_stack)
    claims, access = result["claims"], access_token_claims(result["access_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "2", claims
    assert access["amr"] == ["pwd", "otp", "mfa"] and access["acr"] == "2", access


def test_a_replayed_code_is_refused(totp_stack: TotpStack, ada: App, fresh: Any) -> None:
    # The code the server accepted last (when confirming the app, or at a sign-in), typed
    # again as someone who watched it being typed would.
    to_second_step(fresh, totp_stack)
    fresh.get_by_label("Code from your authenticator app").fill(ada.last_code)
    with fresh.expect_response(lambda r: r.request.method == "POST") as answer:
        fresh.get_by_role("button", name="Continue").click()
    assert answer.value.status == 401, f"the replay is refused, got {answer.value.status}"
    assert fresh.locator("[role=alert]").inner_text() == f"{REPLAYED} (AUTH-1021)"
    assert fresh.locator("h1").inner_text() == "Confirm it's you"


def test_a_recovery_code_signs_in_in_place_of_the_app(
        totp_stack: TotpStack, ada: App, fresh: Any) -> None:
    to_second_step(fresh, totp_stack)
    fresh.get_by_label("Recovery code").fill(ada.recovery_codes[0].upper())
    fresh.get_by_role("button", name="Use recovery code").click()
    claims = rp_claims(fresh, totp_stack)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "2", claims


def test_a_tenant_requiring_a_second_factor_makes_ada_set_one_up_and_lets_her_in(
        totp_stack: TotpStack, fresh: Any) -> None:
    fresh.goto(f"{totp_stack.issuer(ENFORCING)}/account")
    password_sign_in(fresh)
    assert fresh.locator("h1").inner_text() == "Set up a second sign-in step", fresh.url
    fresh.get_by_role("button", name="Set up an authenticator app").click()
    app = read_app(fresh)
    fresh.get_by_label("Code from your authenticator app").fill(app.next_code())
    fresh.get_by_role("button", name="Confirm").click()
    assert fresh.locator("h1").inner_text() == "Your account", fresh.url
    assert "An authenticator app is set up" in fresh.locator("#totp-status").inner_text()



def test_a_client_asking_for_acr_2_steps_a_password_session_up(
        totp_stack: TotpStack, fresh: Any) -> None:
    """OIDC Core §3.1.2.1 acr_values on an existing session: only the missing factor is
    asked (here set up, as Bob has none), never the password again."""
    fresh.goto(f"{totp_stack.rp_base}/login")
    password_sign_in(fresh, STEP_UP_EMAIL)
    claims = rp_claims(fresh, totp_stack)
    assert claims["amr"] == ["pwd"] and claims["acr"] == "1", claims
    fresh.goto(f"{totp_stack.rp_base}/login?acr_values=2")
    assert fresh.locator("h1").inner_text() == "Set up a second sign-in step", fresh.url
    assert fresh.locator("input[type=password]").count() == 0, "no password asked again"
    fresh.get_by_role("button", name="Set up an authenticator app").click()
    app = read_app(fresh)
    fresh.get_by_label("Code from your authenticator app").fill(app.next_code())
    fresh.get_by_role("button", name="Confirm").click()
    stepped = rp_claims(fresh, totp_stack)
    assert stepped["amr"] == ["pwd", "otp", "mfa"] and stepped["acr"] == "2", stepped
    assert stepped["auth_time"] >= claims["auth_time"], "auth_time moves to the step-up"
    assert stepped["sid"] != claims["sid"], "a step-up starts a new session"
    fresh.goto(f"{totp_stack.rp_base}/login")
    again = rp_claims(fresh, totp_stack)
    assert again["acr"] == "2" and again["sid"] == stepped["sid"], \
        "the stepped-up session satisfies the next request without a page"
