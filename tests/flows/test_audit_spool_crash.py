"""The audit spool survives the process (docs/audit.md, "The spool"): a real server
(gunicorn, no worker thread) answers client-credentials requests, whose records exist
only in its spool file, and is killed with SIGKILL; the next start ships them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from authserver.runtime import Runtime
from authserver.storage.database import Database
from tests.conftest import MASTER_KEY
from tests.support.audit import rows, verify
from tests.support.oauth import basic, build_world
from tests.support.server import _listening, url_of, wait_for

# This helper's ports (issue 11: the audit helper runs servers on 19100-19199 only).
PORTS = range(19150, 19200)


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    for port in PORTS:
        base = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "authserver.cli", "serve", "--bind",
                 f"127.0.0.1:{port}", "--workers", "1", "--no-access-log"],
                env={**env, "AUTHSERVER_PUBLIC_URL": base}, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        if _listening(process, log, port, 60):
            wait_for(f"{base}/healthz", process, 60)
            return process, base
    raise AssertionError("no free port in this helper's range")


def _token(base: str, secret: str, request_id: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/t/acme/token", data=b"grant_type=client_credentials", method="POST",
        headers={**basic("service", secret), "X-Request-ID": request_id,
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        assert response.headers["X-Request-ID"] == request_id
        return int(response.status)


def test_records_spooled_by_a_killed_process_are_stored_at_the_next_start(
        runtime: Runtime, database: Database, tmp_path: Path) -> None:
    world = build_world(runtime)
    env = {**os.environ, "AUTHSERVER_DATABASE_URL": url_of(database),
           "AUTHSERVER_MASTER_KEY": MASTER_KEY.hex(),
           "AUTHSERVER_INSTANCE_PATH": str(tmp_path / "instance"),
           "AUTHSERVER_AUDIT_SPOOL_DIR": str(tmp_path / "spool"),
           # No worker thread: the records stay in the spool until someone ships them.
           "AUTHSERVER_OUTBOX_POLL": "0"}
    process, base = _serve(env, tmp_path / "gunicorn.log")
    try:
        ids = [f"crash-test-{n:04d}" for n in range(3)]
        for request_id in ids:
            assert _token(base, world.service_secret, request_id) == 200
        assert not [r for r in rows(runtime) if r.request_id in ids], \
            "before the crash the records are in the spool only"
        spooled = list((tmp_path / "spool").glob("*.jsonl"))
        assert any(all(i.encode() in f.read_bytes() for i in ids) for f in spooled), \
            "the server wrote the records to its spool file before answering"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the arbiter and its worker, no clean-up
        process.wait(timeout=30)
    # The next start: one worker round (what every server process runs first).
    done = subprocess.run([sys.executable, "-m", "authserver.cli", "worker", "--once"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    shipped = [r for r in rows(runtime, action="token.issued") if r.request_id in ids]
    assert sorted(r.request_id for r in shipped) == ids, "every answered request's record"
    assert all(r.seq is not None and r.ip == "127.0.0.1" for r in shipped), \
        "shipped, sealed, with the request's context"
    assert not list((tmp_path / "spool").glob("*.jsonl")), "the shipped file is gone"
    assert verify(runtime).intact
