"""A real authserver under gunicorn on loopback, driven through its CLI, for end-to-end tests.

Ports: choosing a port by binding port 0, closing, and binding it again later leaves a
window of seconds (a migration, an interpreter start) in which any other process on this
shared machine may take it. Children that can inherit a socket (the browser test's
relying party, in-process servers) get one already listening (``loopback_listener``).
gunicorn is started through ``authserver serve --bind HOST:PORT``, as operators start
it, so ``start_server`` picks a port, retries with another when gunicorn reports it in
use, and only trusts the port once this very process says it listens there: a test never
waits for, or talks to, someone else's server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from authserver.storage.database import Database
from tests.conftest import MASTER_KEY

BIND_ATTEMPTS = 3


@contextmanager
def loopback_listener() -> Iterator[socket.socket]:
    """A socket listening on a free loopback port, held from the moment it is chosen; for
    an in-process server or a child that inherits it (pass_fds). Close it once the child
    holds it."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.set_inheritable(True)
    with sock:
        yield sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def free_port() -> int:
    """A port free right now, for a server that binds it itself and is checked by
    ``start_server`` (prefer ``loopback_listener`` where the server can take a socket)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def url_of(database: Database) -> str:
    """The URL of the session's database for a live server. Take it from the ``database``
    fixture, which empties every table afterwards: what the server writes (`db upgrade`'s
    default tenant, `demo`'s tenant) must not reach the next test."""
    return database.url.render_as_string(hide_password=False)


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "authserver.cli", *args], env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, f"authserver {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def cli_json(self, *args: str, stdin: str | None = None) -> dict:  # type: ignore[type-arg]
        return json.loads(self.cli(*args, "--json", stdin=stdin))

    def issuer(self, slug: str) -> str:
        return f"{self.base_url}/t/{slug}"


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _listening(process: subprocess.Popen[bytes], log: Path, port: int,
               timeout: float) -> bool:
    """True once gunicorn's arbiter (this process) logs that it listens on ``port``;
    False when it gave up because the port is in use; an error for anything else."""
    mine = re.compile(rf"Listening at: http://127\.0\.0\.1:{port} \({process.pid}\)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if mine.search(text):
            return True
        if process.poll() is not None:
            if "Connection in use" in text:
                return False
            raise AssertionError(f"gunicorn exited early ({process.returncode}):\n{_tail(log)}")
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen on {port} within {timeout}s:\n{_tail(log)}")


def start_server(env: dict[str, str], log: Path, *options: str, timeout: float = 30,
                 public_host: str = "127.0.0.1") -> tuple[subprocess.Popen[bytes], str]:
    """``authserver serve`` on a free loopback port with PUBLIC_URL set to it; returns the
    process and its base URL once it answers /healthz. Output is appended to ``log``.
    ``public_host="localhost"`` for WebAuthn, which refuses an IP-literal origin (it
    still listens on 127.0.0.1 only)."""
    for _ in range(BIND_ATTEMPTS):
        port = free_port()
        base = f"http://{public_host}:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "authserver.cli", "serve", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", *options],
                env={**env, "AUTHSERVER_PUBLIC_URL": base}, stdout=out, stderr=subprocess.STDOUT)
        if _listening(process, log, port, timeout):
            wait_for(f"{base}/healthz", process, timeout)
            return process, base
    raise AssertionError(f"{BIND_ATTEMPTS} free ports were taken before gunicorn bound them")


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited early ({process.returncode})"
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@contextmanager
def live_server(database_url: str, folder: Path, **settings: str) -> Iterator[LiveServer]:
    """Migrate, then serve on a free loopback port with PUBLIC_URL set to that port."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AUTHSERVER_DATABASE_URL": database_url,
           "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(), "AUTHSERVER_INSTANCE_PATH": str(folder)}
    env.update({f"AUTHSERVER_{k.upper()}": v for k, v in settings.items()})
    subprocess.run([sys.executable, "-m", "authserver.cli", "db", "upgrade"], env=env,
                   check=True, capture_output=True, timeout=120)
    log = folder / "gunicorn.log"
    process, base = start_server(env, log, "--no-access-log")
    try:
        yield LiveServer(base, {**env, "AUTHSERVER_PUBLIC_URL": base}, process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert "Traceback" not in log.read_text(errors="replace"), _tail(log)
