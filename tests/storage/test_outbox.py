"""The outbox repository (storage/repositories/outbox.py): a message is claimed by one
worker at a time, through a conditional UPDATE, on SQLite and PostgreSQL alike; a lease
that runs out makes it due again; settled messages stay settled; purge keeps what is
recent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from authserver.services.keys import KeyTiming
from authserver.services.tenants import create_tenant
from authserver.storage.database import Database
from authserver.storage.repositories.outbox import OutboxRepository
from tests.conftest import MASTER_KEY

LEASE = dt.timedelta(minutes=2)


@pytest.fixture
def tenant_id(database: Database, clock) -> int:
    with database.session() as session:
        tenant = create_tenant(session, MASTER_KEY, KeyTiming.from_seconds(600, 600), "acme",
                               "Acme", "test", clock())
        return int(tenant.id)


def enqueue(database: Database, tenant_id: int, now: dt.datetime, count: int = 1) -> list[int]:
    with database.unit_of_work() as uow:
        rows = [uow.outbox().enqueue(tenant_id, "backchannel_logout", b"{}", now)
                for _ in range(count)]
        uow.flush()
        return [r.id for r in rows]


def claim(database: Database, message_id: int, now: dt.datetime) -> bool:
    with database.unit_of_work() as uow:
        return uow.outbox().claim(message_id, now, LEASE) is not None


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(
        database, tenant_id, clock):
    [mid] = enqueue(database, tenant_id, clock())
    assert claim(database, mid, clock()), "a due message must be claimable"
    assert not claim(database, mid, clock()), "a leased message must not be claimed twice"
    with database.unit_of_work() as uow:
        assert uow.outbox().due_ids(clock(), 10) == [], "a leased message is not due"
    later = clock() + LEASE + dt.timedelta(seconds=1)
    assert claim(database, mid, later), \
        "a worker that died holding the lease must not hold the message forever"


def test_a_message_is_not_claimed_before_it_is_due(database, tenant_id, clock):
    [mid] = enqueue(database, tenant_id, clock() + dt.timedelta(seconds=30))
    with database.unit_of_work() as uow:
        assert uow.outbox().due_ids(clock(), 10) == []
    assert not claim(database, mid, clock()), "claiming must re-check next_attempt_at"


def test_settled_messages_are_neither_due_nor_settled_again(database, tenant_id, clock):
    delivered, retried, dead = enqueue(database, tenant_id, clock(), 3)
    with database.unit_of_work() as uow:
        outbox = uow.outbox()
        assert outbox.mark_delivered(delivered, clock())
        assert outbox.schedule_retry(retried, clock() + dt.timedelta(seconds=10), "x" * 900)
        assert outbox.mark_dead(dead, "gone")
        assert not outbox.mark_dead(delivered, "late"), "a delivered message stays delivered"
    with database.unit_of_work() as uow:
        outbox = uow.outbox()
        assert outbox.due_ids(clock(), 10) == []
        assert outbox.due_ids(clock() + dt.timedelta(seconds=10), 10) == [retried]
        row = outbox.get(retried)
        assert (row.attempts, len(row.last_error)) == (1, 500), \
            "an attempt is counted and a long error cut to the column"
        assert outbox.counts() == {"delivered": 1, "pending": 1, "dead": 1}


def test_purge_removes_old_delivered_and_dead_messages_only(database, tenant_id, clock):
    old = clock() - dt.timedelta(days=8)
    old_delivered, old_dead, pending = enqueue(database, tenant_id, old, 3)
    [recent] = enqueue(database, tenant_id, clock())
    with database.unit_of_work() as uow:
        outbox = uow.outbox()
        outbox.mark_delivered(old_delivered, old)
        outbox.mark_dead(old_dead, "gone")
        outbox.mark_delivered(recent, clock())
    with database.unit_of_work() as uow:
        gone = uow.outbox().purge(clock() - dt.timedelta(days=1), clock() - dt.timedelta(days=7))
    assert gone == 2, f"the old delivered and dead messages go: {gone}"
    with database.unit_of_work() as uow:
        assert {uow.outbox().get(i) is not None for i in (pending, recent)} == {True}, \
            "a pending message and a recent delivery are kept"


def test_two_workers_racing_never_claim_the_same_message(database, tenant_id, clock):
    ids = enqueue(database, tenant_id, clock(), 40)
    # Two engines, as two instances would have: no shared connection or session.
    engines = [Database(database.url.render_as_string(False)) for _ in range(2)]
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for mid in ids:
                if claim(engines[index], mid, clock()):
                    claimed[index].append(mid)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    assert errors == [], f"a worker failed: {errors}"
    both = set(claimed[0]) & set(claimed[1])
    assert both == set(), f"messages claimed by both workers: {sorted(both)}"
    assert sorted(claimed[0] + claimed[1]) == ids, "every message must be claimed once"


def test_outbox_repository_reads_every_tenant(database, tenant_id, clock):
    # Workers serve all tenants: the repository is not tenant-bound, each row names its own.
    [mid] = enqueue(database, tenant_id, clock())
    with database.session() as session:
        assert OutboxRepository(session).get(mid).tenant_id == tenant_id
