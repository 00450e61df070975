"""Fixtures for the end-to-end browser tests: a real authserver under gunicorn on loopback
(fresh SQLite or PostgreSQL database), an independent relying party (openid-client on
Node, tests/web/rp/) and Debian's headless Chromium driven by Playwright.

Nothing here skips: a missing browser, Node or RP dependency is a failure that says what
to install (``make test`` installs all of them)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MASTER_KEY
from tests.support.databases import fresh_database_url
from tests.support.server import loopback_listener, port_of, start_server

RP_DIR = Path(__file__).parent / "rp"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TENANT = "e2e"
EMAIL = "ada@example.test"
PASSWORD = "correct horse battery staple e2e"


@dataclass(frozen=True)
class Stack:
    issuer: str
    client_id: str
    client_secret: str
    user: dict[str, Any]
    rp_base: str
    server_log: Path
    rp_log: Path

    def logs(self) -> str:
        """Tails of the server's and the RP's logs, for assertion messages."""
        parts = []
        for path in (self.server_log, self.rp_log):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {path.name} (tail) ---\n{text[-3000:]}")
        return "\n".join(parts)


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> Any:
    """Run ``authserver ARGS`` in this process (an interpreter start per command would
    cost seconds); returns the parsed --json output."""
    from authserver import cli as cli_module

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        cli_module._runtime.cache_clear()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                cli_module.main(list(args))
            status = 0
        except SystemExit as exc:
            status = int(exc.code or 0)
        finally:
            cli_module._runtime.cache_clear()
    assert status == 0, f"authserver {' '.join(args)} failed ({status}): {err.getvalue()}"
    return json.loads(out.getvalue()) if "--json" in args else out.getvalue()


def _ensure_rp_installed() -> str:
    node = shutil.which("node")
    npm = shutil.which("npm")
    assert node and npm, "Node.js and npm are needed for the relying party (tests/web/rp)"
    if not (RP_DIR / "node_modules" / "openid-client" / "package.json").exists():
        # `make install-test` runs this; done here too so `pytest tests/web` works alone.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=RP_DIR, check=True,
                       timeout=300, capture_output=True)
    return node


def _wait_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    """Wait for the RP's {"ready":true} line: discovery succeeded and it listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if '{"ready":true' in log.read_text(errors="replace"):
            return
        assert process.poll() is None, f"relying party exited:\n{log.read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"relying party not ready within {timeout}s:\n{log.read_text()}")


def start_rp(node: str, listener: Any, issuer: str, client: dict[str, Any] | None,
             log: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    """The relying party (tests/web/rp/) for ``client`` of ``issuer``, on the port
    ``listener`` holds (it is in the redirect URI), ready to be driven. ``client`` None
    with ``RP_REGISTER="1"`` in ``extra_env``: the RP registers itself (RFC 7591)."""
    credentials = {"RP_CLIENT_ID": client["client_id"],
                   "RP_CLIENT_SECRET": client["client_secret"]} if client else {}
    env = {**os.environ, "RP_ISSUER": issuer, **credentials, **extra_env,
           "RP_PORT": str(port_of(listener)), "RP_LISTEN_FD": str(listener.fileno())}
    with log.open("w") as out:
        rp = subprocess.Popen([node, str(RP_DIR / "rp.mjs")], cwd=RP_DIR, env=env,
                              stdout=out, stderr=subprocess.STDOUT,
                              pass_fds=(listener.fileno(),))
    listener.close()  # the relying party holds it now
    try:
        _wait_ready(rp, log)
    except BaseException:
        stop_processes(rp=rp)
        raise
    return rp


def stop_processes(rp: subprocess.Popen[bytes] | None = None,
                   server: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM for the RP; SIGINT for gunicorn (its quick shutdown: SIGTERM waits for
    the graceful timeout)."""
    for process, stop in ((rp, signal.SIGTERM), (server, signal.SIGINT)):
        if process is not None and process.poll() is None:
            process.send_signal(stop)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    node = _ensure_rp_installed()
    folder = tmp_path_factory.mktemp("e2e")
    # The RP's port is held from the moment it is chosen (it is in the redirect URI) and
    # inherited by the RP; authserver's is chosen and checked by start_server.
    with loopback_listener() as rp_listener, fresh_database_url(folder) as database_url:
        rp_base = f"http://127.0.0.1:{port_of(rp_listener)}"
        settings = {"AUTHSERVER_DATABASE_URL": database_url,
                    "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
                    "AUTHSERVER_INSTANCE_PATH": str(folder / "instance")}
        _cli(settings, "db", "upgrade")
        _cli(settings, "tenant", "create", TENANT, "--json")
        client = _cli(settings, "client", "create", "--tenant", TENANT, "--name", "E2E RP",
                      "--redirect-uri", f"{rp_base}/callback",
                      "--scope", "openid profile email", "--json")
        user = _cli(settings, "user", "create", "--tenant", TENANT, "--email", EMAIL,
                    "--given-name", "Ada", "--family-name", "Lovelace", "--email-verified",
                    "--password-stdin", "--json", stdin=PASSWORD + "\n")
        server_log = folder / "gunicorn.log"
        rp_log = folder / "rp.log"
        server, base = start_server({**os.environ, **settings}, server_log)
        issuer = f"{base}/t/{TENANT}"
        rp = None
        try:
            rp = start_rp(node, rp_listener, issuer, client, rp_log)
            yield Stack(issuer=issuer, client_id=client["client_id"],
                        client_secret=client["client_secret"], user=user,
                        rp_base=rp_base, server_log=server_log, rp_log=rp_log)
        finally:
            stop_processes(rp=rp, server=server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a test module; tests open their own contexts on it."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make system-deps` installs chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium profile (fresh --user-data-dir) shared by the module's tests,
    so they all see the session cookie of the module's one sign-in."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make system-deps` installs chromium"
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def page(browser_context: Any) -> Any:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    # The browser's console (CSP violations, blocked navigations) for failure reports.
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
    return page


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshot_on_failure(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed or "page" not in request.fixturenames:
        return
    page = request.getfixturevalue("page")
    shot = tmp_path / "failure.png"
    page.screenshot(path=str(shot), full_page=True)
    (tmp_path / "failure.html").write_text(page.content())
    console = "\n".join(page.console_lines)
    (tmp_path / "console.log").write_text(console)
    print(f"\nscreenshot of the failing page ({page.url}): {shot}\nbrowser console:\n{console}")
