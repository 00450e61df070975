"""A forked child (gunicorn preforking) can verify, even if the parent held the cache lock."""

from __future__ import annotations

import os
import signal

import pytest
from avtestkit import AUDIENCE, default_claims, mint

from authserver_verifier import Verifier

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _run_in_child(fn) -> int:
    """Fork, run ``fn`` in the child and return its exit code (0 = success)."""
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            signal.alarm(20)  # a deadlock would otherwise hang the suite
            code = 0 if fn() else 3
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_child_verifies_after_fork_while_parent_lock_was_held(server, keys, clock):
    verifier = Verifier(
        issuer=server.issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks_uri=server.jwks_uri,
        cache_options={"clock": clock, "refresh_ahead": 1.0},
    )
    token = mint(keys["ES256"], default_claims(server.issuer))
    verifier.verify(token)

    def child() -> bool:
        # Keys expired: the child must take the cache lock and fetch.
        clock.advance(10_000)
        return verifier.verify(token).sub == "user-123"

    # Simulate a parent thread caught mid-refresh at fork time.
    verifier.jwks._lock.acquire()
    try:
        code = _run_in_child(child)
    finally:
        verifier.jwks._lock.release()
    assert code == 0, f"child failed to verify after fork (exit code {code})"
    assert server.jwks_fetches() == 2, "child did not refetch with its own fresh lock"
    assert verifier.verify(token).sub == "user-123", "parent broken after fork"
    assert server.jwks_fetches() == 2, "parent refetched although its keys are still fresh"


def test_child_can_start_its_own_background_refresh(server, keys, clock):
    server.state.cache_control = "max-age=100"
    verifier = Verifier(
        issuer=server.issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks_uri=server.jwks_uri,
        cache_options={"clock": clock, "refresh_ahead": 0.5},
    )
    token = mint(keys["ES256"], default_claims(server.issuer))
    verifier.verify(token)
    verifier.jwks._bg_running = True  # parent "has" a refresher thread the child won't inherit

    def child() -> bool:
        clock.advance(60)
        verifier.verify(token)
        thread = verifier.jwks._bg_thread
        if thread is None:
            return False
        thread.join(10)
        return verifier.jwks.fetch_count == 2

    code = _run_in_child(child)
    verifier.jwks._bg_running = False
    assert code == 0, f"child did not run its own background refresh (exit code {code})"
