"""A real authserver under gunicorn on loopback, driven through its CLI, for end-to-end tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import MASTER_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]

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


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited early"
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@contextmanager
def live_server(database_url: str, folder: Path, **settings: str) -> Iterator[LiveServer]:
    """Migrate, then serve on a free loopback port with PUBLIC_URL set to that port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AUTHSERVER_DATABASE_URL": database_url,
           "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(), "AUTHSERVER_INSTANCE_PATH": str(folder),
           "AUTHSERVER_PUBLIC_URL": base}
    env.update({f"AUTHSERVER_{k.upper()}": v for k, v in settings.items()})
    subprocess.run([sys.executable, "-m", "authserver.cli", "db", "upgrade"], env=env,
                   check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [sys.executable, "-m", "authserver.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--no-access-log"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        wait_for(f"{base}/healthz", process)
        yield LiveServer(base, env, process)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
        assert b"Traceback" not in err, err.decode()
