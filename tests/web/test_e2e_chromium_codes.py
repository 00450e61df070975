"""End to end with the real senders (issue 9): headless Chromium signs in through the
hosted pages of authserver under gunicorn, configured with the webhook SMS sender
pointing at a local receiver that checks the Standard Webhooks signature
(tests/support/webhook_receiver.py) and the SMTP sender pointing at a local aiosmtpd
sink (tests/support/mail_sink.py); the relying party (openid-client, tests/web/rp/)
finishes the flow and shows the ID token's claims.

- SMS code as the second factor, through the webhook;
- email code as the second factor, through SMTP;
- magic link through SMTP, in the browser that asked (and first in another one);
- the SMS gateway answering 503 to every retry: a clear page, and an audit event.

Each test opens a fresh browser context (no session carried over); the server, the peers
and the browser start once for the module.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.mail_sink import MailSink
from tests.support.server import loopback_listener, port_of, start_server
from tests.support.webhook_receiver import WebhookReceiver, make_secret
from tests.web.conftest import (
    _cli,
    _ensure_rp_installed,
    start_rp,
    stop_processes,
)

TENANT = "codes"
# One person per test: sending is limited per user and per number (1 per 30 s), and the
# server runs on the wall clock.
ADA, BOB, CAROL, DAN = (f"{name}@example.test" for name in ("ada", "bob", "carol", "dan"))
PHONE = "+15551234567"
PHONES = {ADA: PHONE, CAROL: "+15551230002", DAN: "+15551230003"}
PASSWORD = "correct horse battery staple codes"
SECRET = make_secret(bytes(range(32)))
CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class Stack:
    issuer: str
    rp_base: str
    database_url: str
    sink: MailSink
    receiver: WebhookReceiver
    server_log: Path

    def logs(self) -> str:
        return self.server_log.read_text(errors="replace")[-3000:]


def _users(settings: dict[str, str]) -> None:
    common = ("user", "create", "--tenant", TENANT, "--email-verified", "--password-stdin",
              "--json")
    for email, phone in PHONES.items():
        _cli(settings, *common, "--email", email, "--phone", phone, "--phone-verified",
             stdin=PASSWORD + "\n")
    _cli(settings, *common, "--email", BOB, stdin=PASSWORD + "\n")
    # Optional second factor: those with a verified phone are asked for one; Bob, whose only
    # second factor would be his email address, is not, so his magic link is enough.
    _cli(settings, "tenant", "update", TENANT, "--mfa", "optional", "--mfa-methods",
         "sms,email", "--magic-links", "on", "--phone-sign-in", "on")


def _peer_settings(sink: MailSink, receiver: WebhookReceiver) -> dict[str, str]:
    return {**sink.environ(email_from="Codes ID <id@example.test>"), **receiver.environ()}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    node = _ensure_rp_installed()
    folder = tmp_path_factory.mktemp("e2e-codes")
    sink = MailSink(folder, mode="plain").start()
    receiver = WebhookReceiver(SECRET).start()
    server = rp = None
    try:
        with loopback_listener() as rp_listener, fresh_database_url(folder) as database_url:
            rp_base = f"http://127.0.0.1:{port_of(rp_listener)}"
            settings = {"AUTHSERVER_DATABASE_URL": database_url,
                        "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
                        "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
            _cli(settings, "db", "upgrade")
            _cli(settings, "tenant", "create", TENANT, "--json")
            client = _cli(settings, "client", "create", "--tenant", TENANT, "--name",
                          "Codes RP", "--redirect-uri", f"{rp_base}/callback",
                          "--scope", "openid profile email", "--json")
            _users(settings)
            server_log, rp_log = folder / "gunicorn.log", folder / "rp.log"
            server, base = start_server(
                {**os.environ, **settings, **_peer_settings(sink, receiver)}, server_log)
            issuer = f"{base}/t/{TENANT}"
            rp = start_rp(node, rp_listener, issuer, client, rp_log)
            yield Stack(issuer, rp_base, database_url, sink, receiver, server_log)
    finally:
        stop_processes(rp=rp, server=server)
        receiver.stop()
        sink.stop()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context: its own cookies, no session."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _fresh_peers(stack: Stack) -> None:
    stack.receiver.reset()
    stack.sink.clear()


def password_step(tab: Any, stack: Stack, email: str = ADA) -> None:
    tab.goto(f"{stack.rp_base}/login")
    tab.fill("#identifier", email)
    tab.fill("#password", PASSWORD)
    tab.click("button[value=login]")
    tab.wait_for_selector("text=Confirm it's you")


def claims_after_consent(tab: Any, stack: Stack) -> dict[str, Any]:
    tab.click("button[value=approve]")
    tab.wait_for_url(f"{stack.rp_base}/callback?*")
    result = json.loads(tab.locator("#result").inner_text())
    assert "error" not in result, f"the RP refused the response: {result}\n{stack.logs()}"
    claims: dict[str, Any] = result["claims"]
    return claims


def mail_text(stack: Stack, to: str) -> str:
    return str(stack.sink.wait_for(to).message.get_content())


def test_an_sms_code_through_the_signed_webhook_is_the_second_factor(tab, stack):
    password_step(tab, stack)
    tab.click("text=Send a code by text message")
    tab.wait_for_selector("text=We sent a code to ••• 4567")
    delivery = stack.receiver.wait_for(PHONE)
    assert delivery.verified and delivery.json["purpose"] == "sign_in", delivery
    tab.fill("#sms-code", CODE.search(delivery.json["message"]).group(1))
    tab.click("#factor-sms button.primary")
    claims = claims_after_consent(tab, stack)
    assert (claims["amr"], claims["acr"]) == (["pwd", "sms", "mfa"], "2"), claims


def test_an_email_code_through_smtp_is_the_second_factor(tab, stack):
    password_step(tab, stack, CAROL)
    tab.click("text=Send a code by email")
    tab.wait_for_selector("text=We sent a code to c•••@example.test")
    tab.fill("#email-code", CODE.search(mail_text(stack, CAROL)).group(1))
    tab.click("#factor-email button.primary")
    claims = claims_after_consent(tab, stack)
    assert (claims["amr"], claims["acr"]) == (["pwd", "mail", "mfa"], "2"), claims


def test_a_magic_link_through_smtp_signs_in_only_in_the_browser_that_asked(
        tab, browser, stack):
    tab.goto(f"{stack.rp_base}/login")
    tab.fill("#magic-identifier", BOB)
    tab.click("text=Email me a sign-in link")
    tab.wait_for_selector("text=Check your inbox")
    link = re.search(r"(http://\S+/magic\?token=\S+)", mail_text(stack, BOB)).group(1)
    other = browser.new_context()
    try:
        elsewhere = other.new_page()
        elsewhere.goto(link)
        assert "Open this link in the browser where you asked for it" in elsewhere.content()
    finally:
        other.close()
    tab.goto(link)
    claims = claims_after_consent(tab, stack)
    assert (claims["amr"], claims["acr"]) == (["mail"], "1"), claims


def test_the_sms_gateway_down_is_a_clear_page_and_an_audit_event(tab, stack):
    password_step(tab, stack, DAN)
    stack.receiver.script(503, 503, 503)  # every retry of the sender refused
    with tab.expect_navigation() as navigation:
        tab.click("text=Send a code by text message")
    assert navigation.value.status == 503, navigation.value.status
    assert ("We could not send the code. Try again in a few minutes or use another "
            "method.") in tab.content()
    assert [d.status for d in stack.receiver.deliveries] == [503, 503, 503]
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT details FROM audit_events "
                                     "WHERE action = 'code.send_failed'")).all()
    finally:
        engine.dispose()
    details = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    assert [(d["channel"], d["purpose"]) for d in details] == [("sms", "sign_in")], details
    assert not any(CODE.search(json.dumps(d)) for d in details), "no code in the audit"
