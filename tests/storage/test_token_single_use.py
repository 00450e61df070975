"""Single use is decided by the database, not by whoever looked first: two transactions
that burn the same code, rotate the same refresh token, link-or-mark the same code or use
the same client assertion at the same moment have exactly one winner. Real threads
against the real database (SQLite, or PostgreSQL with AUTHSERVER_TEST_DATABASE_URL); a
barrier on the deciding statement makes both transactions reach it together."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from authserver.protocol.ports import CodeRecord, CodeStatus, GrantRecord
from authserver.services.oauth_store import TenantAssertionGuard
from authserver.storage.database import Database
from authserver.storage.models import Tenant, User
from authserver.storage.repositories.codes import REPLAYED, CodeRepository
from authserver.storage.repositories.grants import GrantRepository
from authserver.storage.repositories.refresh_tokens import RefreshTokenRepository
from authserver.storage.repositories.user_records import UserRecordRepository

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
PARTIES = 2


@contextmanager
def statements_meet(database: Database, prefix: str, parties: int = PARTIES) -> Iterator[None]:
    """The first ``parties`` statements starting with ``prefix`` wait for each other,
    then run together."""
    barrier = threading.Barrier(parties)
    waiting = iter(range(parties))
    lock = threading.Lock()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(prefix.upper()):
            return
        with lock:
            turn = next(waiting, None)
        if turn is not None:
            barrier.wait(timeout=20)

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(database.engine, "before_cursor_execute", before)


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in its own thread; re-raise the first failure."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=60) for future in futures]


@pytest.fixture
def tenant_user(database: Database) -> tuple[int, int]:
    with database.session() as session:
        tenant = Tenant(slug="acme", display_name="Acme", wrapped_data_key=b"k",
                        master_key_id="test")
        session.add(tenant)
        session.flush()
        user = User(tenant_id=tenant.id, sub=secrets.token_hex(8), email="ann@example.com")
        session.add(user)
        session.flush()
        return tenant.id, user.id


def a_code(user_id: int) -> CodeRecord:
    return CodeRecord(
        client_id="web", user_id=user_id, sid=None, redirect_uri="https://rp.example/cb",
        scope="openid", nonce=None, code_challenge=None, resources=(), claims=None,
        auth_time=NOW, acr="1", amr=("pwd",), expires_at=NOW + dt.timedelta(minutes=1),
        code_digest=secrets.token_hex(32))


def a_grant(user_id: int) -> GrantRecord:
    return GrantRecord(
        grant_id=secrets.token_urlsafe(24), client_id="web", user_id=user_id, sid=None,
        scope="openid offline_access", resources=(), claims=None, auth_time=NOW, acr="1",
        amr=("pwd",), offline=True, absolute_expires_at=NOW + dt.timedelta(days=1))


def stored_code(database: Database, tenant_id: int, user_id: int) -> CodeRecord:
    code = a_code(user_id)
    with database.session() as session:
        CodeRepository(session, tenant_id).add(code)
    return code


def test_two_redemptions_of_one_code_at_once_have_exactly_one_winner(
        database: Database, tenant_user: tuple[int, int]) -> None:
    tenant_id, user_id = tenant_user
    code = stored_code(database, tenant_id, user_id)

    def redeem() -> CodeStatus:
        with database.session() as session:
            return CodeRepository(session, tenant_id).redeem(code.code_digest, NOW)[1]

    with statements_meet(database, "UPDATE authorization_codes"):
        statuses = in_parallel(redeem, redeem)
    assert sorted(s.value for s in statuses) == ["ok", "used"], (
        f"RFC 6749 §4.1.2: one redemption may issue tokens, the other is a replay: {statuses}")


def test_a_redeemed_code_comes_back_as_it_was_stored_and_an_unknown_one_is_unknown(
        database: Database, tenant_user: tuple[int, int]) -> None:
    tenant_id, user_id = tenant_user
    code = stored_code(database, tenant_id, user_id)
    with database.session() as session:
        codes = CodeRepository(session, tenant_id)
        assert codes.redeem(code.code_digest, NOW) == (code, CodeStatus.OK)
        assert codes.redeem(code.code_digest, NOW) == (code, CodeStatus.USED)
        assert codes.redeem("0" * 64, NOW) == (None, CodeStatus.UNKNOWN)
        assert CodeRepository(session, tenant_id + 1).redeem(code.code_digest, NOW) == (
            None, CodeStatus.UNKNOWN), "another tenant must not find, nor burn, the code"


def test_a_replay_and_the_first_redemptions_grant_link_at_once_leave_nothing_live(
        database: Database, tenant_user: tuple[int, int]) -> None:
    """Either the link wins and the replay finds the grant to revoke, or the replay
    wins and the grant must be stored revoked: never a grant nobody will revoke."""
    tenant_id, user_id = tenant_user
    code = stored_code(database, tenant_id, user_id)
    grant_id = "grant-of-first-redemption"

    def link() -> bool:
        with database.session() as session:
            return CodeRepository(session, tenant_id).link_grant(code.code_digest, grant_id)

    def mark() -> Any:
        with database.session() as session:
            return CodeRepository(session, tenant_id).mark_replayed(code.code_digest)

    with statements_meet(database, "UPDATE authorization_codes"):
        linked, replayed = in_parallel(link, mark)
    assert replayed is not None
    if linked:
        assert replayed.issued_grant_id == grant_id, (
            f"the link won, so the replay must revoke its grant: {replayed}")
    else:
        assert (replayed.grant_id, replayed.issued_grant_id) == (REPLAYED, None), (
            f"the replay won, so the link must fail and the grant be born revoked: {replayed}")


def test_two_rotations_of_one_refresh_token_at_once_have_exactly_one_winner(
        database: Database, tenant_user: tuple[int, int]) -> None:
    tenant_id, user_id = tenant_user
    grant, digest = a_grant(user_id), secrets.token_hex(32)
    with database.session() as session:
        GrantRepository(session, tenant_id).add(grant, NOW)
        RefreshTokenRepository(session, tenant_id).add(digest, grant.grant_id, NOW,
                                                       NOW + dt.timedelta(hours=1))

    def spend() -> bool:
        with database.session() as session:
            return RefreshTokenRepository(session, tenant_id).spend(digest, NOW)

    with statements_meet(database, "UPDATE refresh_tokens"):
        won = in_parallel(spend, spend)
    assert sorted(won) == [False, True], (
        f"RFC 9700 §4.14.2: exactly one rotation may succeed: {won}")


def test_one_client_assertion_used_twice_at_once_passes_once(
        database: Database, tenant_user: tuple[int, int]) -> None:
    guard = TenantAssertionGuard(database, tenant_user[0])
    jti = secrets.token_urlsafe(16)

    def use() -> bool:
        return guard.first_use("report-worker", jti, NOW + dt.timedelta(minutes=5))

    with statements_meet(database, "INSERT INTO used_client_assertions"):
        passed = in_parallel(use, use)
    assert sorted(passed) == [False, True], f"RFC 7523 §3: a jti is accepted once: {passed}"


def test_a_new_grant_is_refused_for_a_disabled_or_missing_user(
        database: Database, tenant_user: tuple[int, int]) -> None:
    tenant_id, user_id = tenant_user
    with database.session() as session:
        users = UserRecordRepository(session, tenant_id)
        assert users.lock_if_enabled(user_id), "an enabled user may get a grant"
        assert not users.lock_if_enabled(user_id + 1000), "a missing user may not"
        assert not UserRecordRepository(session, tenant_id + 1).lock_if_enabled(user_id), (
            "a user of another tenant may not")
        row = session.get(User, user_id)
        assert row is not None
        row.disabled = True
        session.flush()
        assert not users.lock_if_enabled(user_id), "a disabled user may not"
