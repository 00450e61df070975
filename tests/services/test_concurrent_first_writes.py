"""Concurrent "first writes" are idempotent (SECURITY.md, availability): when two requests
create the same row at the same moment, both succeed and the row ends up as if they had
run one after the other. Real threads against the real database (SQLite, or PostgreSQL
with AUTHSERVER_TEST_DATABASE_URL); a barrier on the INSERT itself makes both
transactions reach it together, which is the interleaving that used to fail with a
duplicate key (IntegrityError, a 500 to the person consenting)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from authserver.runtime import Runtime
from authserver.services.consent import ConsentService
from authserver.storage.models import Consent, RevokedToken, User
from tests.support.oauth import World, build_world
from tests.support.tokens import (
    client_credentials,
    expect_tokens,
    is_active,
    revoke,
    tenant_id,
)

PARTIES = 2


@contextmanager
def inserts_meet(runtime: Runtime, table: str, parties: int = PARTIES) -> Iterator[None]:
    """The first ``parties`` INSERTs into ``table`` wait for each other, then run together."""
    barrier = threading.Barrier(parties)
    waiting = iter(range(parties))
    lock = threading.Lock()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            return
        with lock:
            turn = next(waiting, None)
        if turn is not None:
            barrier.wait(timeout=20)

    engine = runtime.database.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in its own thread; re-raise the first failure."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=60) for future in futures]


def user_id(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        found = session.scalar(select(User.id).where(User.email == "ann@example.com"))
        assert found is not None
        return int(found)


def test_two_first_consents_at_the_same_moment_both_succeed_and_merge(
        runtime: Runtime) -> None:
    build_world(runtime)
    consents = ConsentService(runtime.database, tenant_id(runtime))
    uid, now = user_id(runtime), runtime.clock()
    with inserts_meet(runtime, "consents"):
        in_parallel(lambda: consents.remember(uid, "web", ["openid", "profile"], now),
                    lambda: consents.remember(uid, "web", ["openid", "email"], now))
    with runtime.database.session() as session:
        rows = session.scalars(select(Consent).where(Consent.user_id == uid)).all()
        assert len(rows) == 1, f"expected one consent row, found {len(rows)}"
        assert sorted(rows[0].scopes) == ["email", "openid", "profile"], (
            f"both consents must be remembered, got {rows[0].scopes}")


def test_a_repeated_consent_adds_scopes_to_the_remembered_ones(runtime: Runtime) -> None:
    build_world(runtime)
    consents = ConsentService(runtime.database, tenant_id(runtime))
    uid = user_id(runtime)
    consents.remember(uid, "web", ["openid"], runtime.clock())
    consents.remember(uid, "web", ["email"], runtime.clock())
    assert consents.granted(uid, "web") == {"openid", "email"}, "scopes accumulate"


def test_two_revocations_of_one_access_token_at_the_same_moment_both_succeed(
        runtime: Runtime, app: Flask, http: FlaskClient) -> None:
    world: World = build_world(runtime)
    token = expect_tokens(client_credentials(http, world), "service token")["access_token"]

    def revoke_once() -> int:
        response = revoke(app.test_client(), token, world.service_id, world.service_secret)
        return int(response.status_code)

    with inserts_meet(runtime, "revoked_tokens"):
        statuses = in_parallel(revoke_once, revoke_once)
    assert statuses == [200, 200], f"RFC 7009 §2.2: both revocations answer 200: {statuses}"
    assert not is_active(http, world, token), "the token must be revoked"
    with runtime.database.session() as session:
        count = len(session.scalars(select(RevokedToken)).all())
        assert count == 1, f"one revocation row expected, found {count}"
