"""`authserver serve` runs the real app under gunicorn on loopback, as `make run` does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import MASTER_KEY

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "authserver.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"authserver {' '.join(args)} failed: {done.stderr}"
    return done.stdout


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


def test_served_demo_tenant_publishes_its_jwks(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "AUTHSERVER_DATABASE_URL": database_url,
           "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(), "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
    run_cli(env, "db", "upgrade")
    issuer = json.loads(run_cli(env, "demo", "--json"))["issuer"]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "authserver.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", server)
        path = issuer.removeprefix("http://127.0.0.1:8000")
        with urllib.request.urlopen(f"{base}{path}/jwks", timeout=5) as response:  # noqa: S310
            assert response.headers["Cache-Control"].startswith("public, max-age=")
            keys = json.load(response)["keys"]
        assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
        assert all(not PRIVATE_MEMBERS & set(k) for k in keys), "JWKS leaks private parts"
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:  # noqa: S310
            assert json.load(response)["status"] == "ok"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()
